"""Small landed batches for the suites' tests: good rows of every entity, and how to land and read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

from connectors import schemas
from expectations import runner

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
TS = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)

# Two or more valid rows per entity (their keys distinct).
GOOD: dict[str, list[dict[str, Any]]] = {
    "hris.employee": [
        {
            "employee_id": "E1",
            "email": "ada@corp.example",
            "status": "active",
            "hire_date": date(2020, 1, 6),
            "snapshot_date": date(2024, 5, 31),
        },
        {
            "employee_id": "E2",
            "email": "bob.smith+hr@corp.example",
            "status": "terminated",
            "hire_date": date(2019, 4, 1),
            "termination_date": date(2024, 2, 29),
            "snapshot_date": date(2024, 5, 31),
        },
        {
            "employee_id": "E3",
            "email": "cy@corp.example",
            "status": "leave",
            "hire_date": date(2025, 1, 6),  # a future starter, within a year of the snapshot
            "termination_date": date(9999, 12, 31),  # "open end" as some HRIS export it
            "snapshot_date": date(2024, 5, 31),
        },
    ],
    "lms.learning_record": [
        {
            "record_id": "st-1",
            "learner_ref": "ada@corp.example",
            "course_ref": "SAFETY-101",
            "verb": "completed",
            "occurred_at": TS,
            "score_scaled": 0.9,
        },
        {
            "record_id": "st-2",
            "learner_ref": "E2",
            "course_ref": "SAFETY-101",
            "verb": "failed",
            "occurred_at": TS,
            "score_scaled": -1.0,
        },
        {
            "record_id": "st-3",
            "learner_ref": "account:https://lms.example|cy",
            "course_ref": "HIPAA",
            "verb": "passed",
            "occurred_at": NOW + timedelta(hours=3),  # clock skew is tolerated
        },
    ],
    "lms.session": [
        {
            "session_id": "S1",
            "course_ref": "FIRST-AID",
            "modality": "ilt",
            "starts_at": TS,
            "ends_at": TS + timedelta(hours=4),
            "capacity": 12,
            "status": "delivered",
        },
        {
            "session_id": "S2",
            "course_ref": "FIRST-AID",
            "modality": "vilt",
            "starts_at": TS,
            "capacity": 99_999,
            "status": "cancelled_by_vendor",
        },
        {"session_id": "S3", "course_ref": "ETHICS", "modality": "self_paced", "starts_at": TS, "capacity": 1},
    ],
    "lms.booking": [
        {"session_id": "S1", "learner_ref": "ada@corp.example", "status": "attended"},
        {"session_id": "S1", "learner_ref": "bob@corp.example", "status": "no_show"},
        {"session_id": "S2", "learner_ref": "ada@corp.example", "status": "booked"},
    ],
    "vendor.invoice": [
        {
            "vendor_id": "V1",
            "invoice_number": "INV-1",
            "document_type": "invoice",
            "issue_date": date(2024, 4, 1),
            "currency": "EUR",
            "period_start": date(2024, 3, 1),
            "period_end": date(2024, 3, 31),
            "total_excl_tax": Decimal("1200.00"),
        },
        {
            "vendor_id": "V1",
            "invoice_number": "CN-1",
            "document_type": "credit_note",
            "issue_date": date(2024, 4, 2),
            "currency": "EUR",
            "total_excl_tax": Decimal("100.00"),
            "preceding_invoice": "INV-1",
        },
        {
            "vendor_id": "V2",
            "invoice_number": "INV-1",
            "document_type": "invoice",
            "issue_date": date(2024, 4, 1),
            "currency": "GBP",
            "total_excl_tax": Decimal("50"),
        },
    ],
    "vendor.invoice_line": [
        {
            "vendor_id": "V1",
            "invoice_number": "INV-1",
            "line_id": "1",
            "quantity": Decimal("3"),
            "unit_price": Decimal("400"),
            "line_amount": Decimal("1200"),
            "learner_refs": ["ada@corp.example", "E2"],
            "period_start": date(2024, 3, 1),
            "period_end": date(2024, 3, 1),
        },
        {
            "vendor_id": "V1",
            "invoice_number": "INV-1",
            "line_id": "2",
            "quantity": Decimal("0"),
            "unit_price": Decimal("400"),
            "line_amount": Decimal("0"),
        },
        {
            "vendor_id": "V1",
            "invoice_number": "INV-2",
            "line_id": "1",
            "quantity": Decimal("1"),
            "unit_price": Decimal("10"),
            "line_amount": Decimal("10"),
        },
    ],
}


def make_table(entity: str, rows: list[dict[str, Any]], load_id: str = "load-1", first_row: int = 0) -> pa.Table:
    landed = [
        {
            "_load_id": load_id,
            "_row": first_row + i,
            "_source": "test",
            "_source_file": f"{entity}.csv",
            "_source_line": first_row + i + 2,
            **row,
        }
        for i, row in enumerate(rows)
    ]
    return pa.Table.from_pylist(landed, schema=schemas.full_schema(entity))


def found(report: runner.ValidationReport) -> set[tuple[int, str, str]]:
    return {(q["_row"], q["rule"], q["severity"]) for q in report.quarantine}
