"""Bad batches: exactly the right rows quarantined, with their rule, severity, value, location and record."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from gx_batches import GOOD, NOW, TS, found, make_table

from connectors import schemas
from expectations.runner import validate_batch

# -- bad batches: exactly the right rows, rules and severities ---------------------------------

BAD_CASES = {
    "bad employee status": (
        "hris.employee",
        [{"employee_id": "E9", "email": "x@corp.example", "status": "retired", "hire_date": date(2020, 1, 1)}],
        {(3, "employee.status_accepted", "error")},
    ),
    "termination before hire": (
        "hris.employee",
        [
            {
                "employee_id": "E9",
                "email": "x@corp.example",
                "status": "terminated",
                "hire_date": date(2021, 5, 1),
                "termination_date": date(2021, 4, 30),
            }
        ],
        {(3, "employee.termination_not_before_hire", "error")},
    ),
    "implausible hire dates": (
        "hris.employee",
        [
            {
                "employee_id": "E8",
                "email": "x@corp.example",
                "status": "active",
                "hire_date": date(1899, 12, 31),
                "snapshot_date": date(2024, 5, 31),
            },
            {
                "employee_id": "E9",
                "email": "y@corp.example",
                "status": "active",
                "hire_date": date(2025, 6, 1),
                "snapshot_date": date(2024, 5, 31),
            },
        ],
        {
            (3, "employee.hire_date_not_before_1900", "error"),
            (4, "employee.hire_date_within_year_of_snapshot", "error"),
        },
    ),
    "malformed email is a warning": (
        "hris.employee",
        [{"employee_id": "E9", "email": "not-an-email", "status": "active", "hire_date": date(2020, 1, 1)}],
        {(3, "employee.email_format", "warning")},
    ),
    "duplicate employee in one snapshot": (
        "hris.employee",
        [
            {
                "employee_id": "E1",
                "email": "ada2@corp.example",
                "status": "active",
                "hire_date": date(2020, 1, 6),
                "snapshot_date": date(2024, 5, 31),
            }
        ],
        {(0, "employee.key_unique", "error"), (3, "employee.key_unique", "error")},
    ),
    "unknown verb is a warning": (
        "lms.learning_record",
        [{"record_id": "st-9", "learner_ref": "a", "course_ref": "c", "verb": "liked", "occurred_at": TS}],
        {(3, "learning_record.verb_known", "warning")},
    ),
    "score out of range and far-future timestamp": (
        "lms.learning_record",
        [
            {
                "record_id": "st-8",
                "learner_ref": "a",
                "course_ref": "c",
                "verb": "passed",
                "occurred_at": TS,
                "score_scaled": 85.0,
            },
            {
                "record_id": "st-9",
                "learner_ref": "a",
                "course_ref": "c",
                "verb": "completed",
                "occurred_at": NOW + timedelta(days=30),
            },
            {
                "record_id": "st-10",
                "learner_ref": "a",
                "course_ref": "c",
                "verb": "completed",
                "occurred_at": datetime(1970, 1, 1, tzinfo=UTC),
            },
        ],
        {
            (3, "learning_record.score_scaled_range", "error"),
            (4, "learning_record.occurred_at_plausible", "error"),
            (5, "learning_record.occurred_at_plausible", "error"),
        },
    ),
    "duplicate record id": (
        "lms.learning_record",
        [{"record_id": "st-2", "learner_ref": "a", "course_ref": "c", "verb": "passed", "occurred_at": TS}],
        {(1, "learning_record.key_unique", "error"), (3, "learning_record.key_unique", "error")},
    ),
    "capacity 0 and 100000, bad modality, ends before start": (
        "lms.session",
        [
            {"session_id": "S7", "course_ref": "c", "modality": "ilt", "starts_at": TS, "capacity": 0},
            {"session_id": "S8", "course_ref": "c", "modality": "ilt", "starts_at": TS, "capacity": 100_000},
            {"session_id": "S9", "course_ref": "c", "modality": "webinar", "starts_at": TS, "capacity": 5},
            {
                "session_id": "S10",
                "course_ref": "c",
                "modality": "vilt",
                "starts_at": TS,
                "ends_at": TS - timedelta(minutes=1),
                "capacity": 5,
                "status": "done",
            },
        ],
        {
            (3, "session.capacity_range", "error"),
            (4, "session.capacity_range", "error"),
            (5, "session.modality_accepted", "error"),
            (6, "session.ends_not_before_start", "error"),
            (6, "session.status_accepted", "error"),
        },
    ),
    "duplicate session": (
        "lms.session",
        [{"session_id": "S1", "course_ref": "c", "modality": "ilt", "starts_at": TS, "capacity": 5}],
        {(0, "session.key_unique", "error"), (3, "session.key_unique", "error")},
    ),
    "bad booking status and duplicate booking": (
        "lms.booking",
        [
            {"session_id": "S2", "learner_ref": "zed@corp.example", "status": "maybe"},
            {"session_id": "S1", "learner_ref": "bob@corp.example", "status": "attended"},
        ],
        {
            (3, "booking.status_accepted", "error"),
            (1, "booking.key_unique", "error"),
            (4, "booking.key_unique", "error"),
        },
    ),
    "bad currency and document type": (
        "vendor.invoice",
        [
            {
                "vendor_id": "V3",
                "invoice_number": "A",
                "document_type": "invoice",
                "issue_date": date(2024, 4, 1),
                "currency": "eur",
                "total_excl_tax": Decimal("1"),
            },
            {
                "vendor_id": "V3",
                "invoice_number": "B",
                "document_type": "invoice",
                "issue_date": date(2024, 4, 1),
                "currency": "ABC",
                "total_excl_tax": Decimal("1"),
            },
            {
                "vendor_id": "V3",
                "invoice_number": "C",
                "document_type": "debit_note",
                "issue_date": date(2024, 4, 1),
                "currency": "USD",
                "total_excl_tax": Decimal("1"),
            },
        ],
        {
            (3, "invoice.currency_iso4217", "error"),
            (4, "invoice.currency_iso4217", "error"),
            (5, "invoice.document_type_accepted", "error"),
        },
    ),
    "duplicate invoice line and inverted period": (
        "vendor.invoice_line",
        [
            {
                "vendor_id": "V1",
                "invoice_number": "INV-1",
                "line_id": "2",
                "quantity": Decimal("1"),
                "unit_price": Decimal("1"),
                "line_amount": Decimal("1"),
            },
            {
                "vendor_id": "V1",
                "invoice_number": "INV-3",
                "line_id": "1",
                "quantity": Decimal("1"),
                "unit_price": Decimal("1"),
                "line_amount": Decimal("1"),
                "period_start": date(2024, 3, 31),
                "period_end": date(2024, 3, 1),
            },
        ],
        {
            (1, "invoice_line.key_unique", "error"),
            (3, "invoice_line.key_unique", "error"),
            (4, "invoice_line.period_end_not_before_start", "error"),
        },
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_rows_are_quarantined_with_their_rule_and_severity(case: str) -> None:
    entity, bad, expected = BAD_CASES[case]
    report = validate_batch(entity, make_table(entity, GOOD[entity] + bad), now=NOW, max_error_fraction=1.0)
    assert found(report) == expected
    assert report.quarantined_rows == len({row for row, _, severity in expected if severity == "error"})
    assert report.critical == []
    failed = {r["rule"]: r for r in report.results if not r["success"]}
    assert set(failed) == {rule for _, rule, _ in expected}
    for rule, result in failed.items():
        assert result["unexpected_count"] == sum(1 for _, r, _ in expected if r == rule)


def test_quarantine_rows_follow_the_quarantine_schema_and_carry_value_location_and_record() -> None:
    bad = {"session_id": "S2", "learner_ref": "zed@corp.example", "status": "maybe"}
    report = validate_batch("lms.booking", make_table("lms.booking", [*GOOD["lms.booking"], bad]))
    [row] = report.quarantine
    assert list(row) == schemas.QUARANTINE.names
    assert row == {
        "_load_id": "load-1",
        "_row": 3,
        "_source": "test",
        "_source_file": "lms.booking.csv",
        "_source_line": 5,
        "entity": "lms.booking",
        "rule": "booking.status_accepted",
        "severity": "error",
        "column_name": "status",
        "value": "maybe",
        "message": "status is not one of booked, attended, no_show, cancelled",
        "record": row["record"],
    }
    assert json.loads(row["record"]) == {**dict.fromkeys(schemas.ENTITIES["lms.booking"].names), **bad}
    assert '": ' not in row["record"] and '", "' not in row["record"]  # compact JSON
    table = report.quarantine_table()
    assert table.schema == schemas.QUARANTINE and table.num_rows == 1


def test_multi_column_values_are_json_objects_and_dates_iso() -> None:
    bad = {
        "employee_id": "E9",
        "email": "x@corp.example",
        "status": "terminated",
        "hire_date": date(2021, 5, 1),
        "termination_date": date(2021, 4, 30),
        "snapshot_date": date(2024, 5, 31),
    }
    report = validate_batch("hris.employee", make_table("hris.employee", [*GOOD["hris.employee"], bad]))
    [row] = report.quarantine
    assert row["column_name"] == "termination_date,hire_date"
    assert json.loads(row["value"]) == {"termination_date": "2021-04-30", "hire_date": "2021-05-01"}
    assert json.loads(row["record"])["snapshot_date"] == "2024-05-31"


def test_a_row_failing_two_rules_is_listed_twice_but_counted_once() -> None:
    bad = {"session_id": "S1", "course_ref": "c", "modality": "bus", "starts_at": TS, "capacity": 0}
    report = validate_batch("lms.session", make_table("lms.session", [*GOOD["lms.session"], bad]))
    assert found(report) == {
        (0, "session.key_unique", "error"),
        (3, "session.key_unique", "error"),
        (3, "session.modality_accepted", "error"),
        (3, "session.capacity_range", "error"),
    }
    assert report.quarantined_rows == 2
    assert [q["_row"] for q in report.quarantine] == sorted(q["_row"] for q in report.quarantine)


def test_warnings_do_not_count_towards_the_error_fraction() -> None:
    rows = [
        {"record_id": f"st-{i}", "learner_ref": "a", "course_ref": "c", "verb": "liked", "occurred_at": TS}
        for i in range(4)
    ]
    report = validate_batch("lms.learning_record", make_table("lms.learning_record", rows), now=NOW)
    assert len(report.quarantine) == 4
    assert {q["severity"] for q in report.quarantine} == {"warning"}
    assert report.quarantined_rows == 0
    assert report.ok
