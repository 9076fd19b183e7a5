"""Every foreign export under tests/fixtures/foreign/ onboarded with configuration only (the
trainops.yaml beside them): the canonical rows each makes — values, dates, statuses — and its rejects."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.base import ParseResult
from connectors.mapping.preview import parse_as_source
from connectors.registry import file_parser
from pipeline.config import Config, FileSource, parse_config

FOREIGN = Path(__file__).resolve().parents[2] / "fixtures" / "foreign"


@pytest.fixture(scope="module")
def config() -> Config:
    path = FOREIGN / "trainops.yaml"
    return parse_config(yaml.safe_load(path.read_text(encoding="utf-8")), path, env={})


def read(config: Config, name: str) -> tuple[list[Path], ParseResult]:
    source = config.source(name)
    assert isinstance(source, FileSource) and source.mapping is not None
    parser = file_parser(source.kind, source)
    files = sorted(source.path.glob(source.glob or parser.patterns[0]))
    assert files, f"no fixture for {name}"
    return files, parse_as_source(source.name, source.kind, source, files)


def pick(records: list[dict[str, Any]], *fields: str) -> list[tuple[Any, ...]]:
    return [tuple(record[field] for field in fields) for record in records]


def test_every_fixture_is_read_by_exactly_one_source(config: Config) -> None:
    claimed: list[Path] = []
    for source in config.sources:
        claimed += read(config, source.name)[0]
    # lrs/ and reference/ hold the README's LRS example (xAPI, no mapping: test_readme_mappings.py)
    readme_lrs = {FOREIGN / "lrs", FOREIGN / "reference"}
    every = sorted(
        p for p in FOREIGN.rglob("*") if p.is_file() and p.name != "trainops.yaml" and p.parent not in readme_lrs
    )
    assert sorted(claimed) == every


def test_personio_cp1252_semicolons_german_headers(config: Config) -> None:
    _, result = read(config, "hr_personio")
    rows = result.records["hris.employee"]
    assert pick(rows, "employee_id", "family_name", "status", "hire_date", "termination_date") == [
        ("1001", "Müller", "active", date(2019, 3, 1), None),
        ("1002", "Weiß", "active", date(2021, 8, 15), None),
        ("1003", "Schäfer", "terminated", date(2018, 1, 2), date(2026, 9, 30)),
        ("1004", "Groß", "leave", date(2022, 11, 11), None),
    ]
    assert {row["snapshot_date"] for row in rows} == {date(2026, 10, 28)}
    assert {row["country"] for row in rows} == {"DE"}
    assert json.loads(rows[0]["raw"]) == {"Standort": "München"}
    assert not result.rejects


def test_hibob_label_value_envelopes(config: Config) -> None:
    _, result = read(config, "hr_hibob")
    rows = result.records["hris.employee"]
    assert pick(rows, "employee_id", "email", "status", "hire_date", "termination_date", "region") == [
        ("3332883884017713238", "Priya.Natarajan@example.com", "active", date(2020, 2, 3), None, "London"),
        (
            "3332883884017713239",
            "tom.oneill@example.com",
            "terminated",
            date(2017, 9, 18),
            date(2026, 6, 30),
            "Manchester",
        ),
        ("3332883884017713240", "chen.wei@example.com", "leave", date(2023, 5, 2), None, "London"),
    ]
    assert [row["_source_line"] for row in rows] == [1, 2, 3]  # json: the record's position
    assert {row["raw"] for row in rows} == {None}  # keep_unmapped: false


def test_successfactors_report_us_dates_and_export_date(config: Config) -> None:
    _, result = read(config, "hr_successfactors")
    rows = result.records["hris.employee"]
    assert pick(rows, "employee_id", "status", "hire_date", "job_title", "snapshot_date") == [
        ("E-20417", "active", date(2016, 3, 15), "Supervisor, Warehouse", date(2026, 10, 28)),
        ("E-20418", "leave", date(2020, 11, 2), "Forklift Operator", date(2026, 10, 28)),
        ("E-20419", "terminated", date(2019, 7, 1), "Chemist", date(2026, 10, 28)),
        ("E-20420", "active", date(2025, 1, 9), "Forklift Operator", date(2026, 10, 28)),
    ]


def test_cornerstone_transcript_words_and_chicago_times(config: Config) -> None:
    _, result = read(config, "lms_cornerstone")
    rows = result.records["lms.learning_record"]
    assert pick(rows, "learner_ref", "verb", "success", "occurred_at", "score_scaled") == [
        ("E-20417", "completed", True, datetime(2026, 10, 15, 19, 32, tzinfo=UTC), 92.0),
        ("E-20418", "failed", False, datetime(2026, 10, 16, 14, 5, tzinfo=UTC), 41.0),
        ("E-20419", "completed", True, datetime(2026, 9, 30, 22, 45, tzinfo=UTC), None),
        ("E-20420", "registered", None, datetime(2026, 10, 20, 13, 0, tzinfo=UTC), None),
    ]
    assert rows[0]["record_id"] == "E-20417|8f3c1a2e-0b7d-4e8a-9d61-2b1f0c5e7a10|10/15/2026 14:32"


def test_docebo_statuses_and_an_enrolment_without_a_date(config: Config) -> None:
    _, result = read(config, "lms_docebo")
    rows = result.records["lms.learning_record"]
    assert pick(rows, "record_id", "verb", "completion", "occurred_at", "duration_seconds") == [
        ("priya.natarajan:HS-101", "completed", True, datetime(2026, 9, 3, 14, 20, 11, tzinfo=UTC), 2710.0),
        ("tom.oneill:HS-101", "progressed", False, datetime(2026, 9, 2, 8, 1, tzinfo=UTC), 600.0),
        ("chen.wei:GDPR-2", "completed", True, datetime(2026, 10, 2, 9, 45, 30, tzinfo=UTC), 1800.0),
    ]
    [reject] = result.rejects
    assert (reject.rule, reject.column_name, reject.source_line) == ("parse.missing_required", "occurred_at", 5)


def test_talentlms_pass_fail_day_first_and_decimal_comma(config: Config) -> None:
    _, result = read(config, "lms_talentlms")
    rows = result.records["lms.learning_record"]
    assert pick(rows, "record_id", "verb", "success", "score_scaled", "occurred_at") == [
        ("5501", "passed", True, 86.5, datetime(2026, 10, 15, 13, 32, tzinfo=UTC)),  # London summer time
        ("5502", "failed", False, 40.0, datetime(2026, 10, 16, 8, 5, tzinfo=UTC)),
        ("5503", "passed", True, 100.0, datetime(2026, 11, 1, 8, 15, tzinfo=UTC)),  # after the clocks went back
    ]


def test_cornerstone_sessions(config: Config) -> None:
    _, result = read(config, "sessions_cornerstone")
    rows = result.records["lms.session"]
    assert pick(rows, "session_id", "modality", "starts_at", "capacity", "status") == [
        ("S-9001", "ilt", datetime(2026, 11, 3, 15, 0, tzinfo=UTC), 12, "scheduled"),
        ("S-9002", "vilt", datetime(2026, 11, 4, 21, 0, tzinfo=UTC), 40, "scheduled"),
        ("S-9003", "ilt", datetime(2026, 10, 20, 13, 30, tzinfo=UTC), 16, "cancelled_by_vendor"),
    ]


def test_docebo_sessions_json(config: Config) -> None:
    _, result = read(config, "sessions_docebo")
    rows = result.records["lms.session"]
    assert pick(rows, "session_id", "modality", "starts_at", "capacity", "location") == [
        ("311", "ilt", datetime(2026, 11, 10, 9, 0, tzinfo=UTC), 20, "London HQ, Room 4"),
        ("312", "vilt", datetime(2026, 11, 12, 13, 0, tzinfo=UTC), 100, None),
    ]


def test_docebo_bookings_with_a_status_word_the_mapping_lacks(config: Config) -> None:
    _, result = read(config, "bookings_docebo")
    rows = result.records["lms.booking"]
    assert pick(rows, "session_id", "learner_ref", "status") == [
        ("311", "priya.natarajan@example.com", "booked"),
        ("311", "chen.wei@example.com", "attended"),
        ("312", "tom.oneill@example.com", "no_show"),
    ]
    [reject] = result.rejects
    assert (reject.rule, reject.value, reject.source_file, reject.source_line) == (
        "mapping.unmapped_value",
        "Waiting list",
        "docebo_session_enrollments.csv",
        5,
    )


def test_german_invoice_with_decimal_commas_and_a_credit_note(config: Config) -> None:
    _, result = read(config, "invoices_de")
    invoices = result.records["vendor.invoice"]
    assert pick(invoices, "invoice_number", "document_type", "issue_date", "currency", "total_excl_tax") == [
        ("RE-2026-0417", "invoice", date(2026, 10, 31), "EUR", Decimal("15312.40")),
        ("GS-2026-0031", "credit_note", date(2026, 11, 5), "EUR", Decimal("-1250.00")),
    ]
    lines = result.records["vendor.invoice_line"]
    assert pick(lines, "quantity", "unit_price", "line_amount") == [
        (Decimal(12), Decimal("1250.00"), Decimal("15000.00")),
        (Decimal(1), Decimal("312.40"), Decimal("312.40")),
        (Decimal(-1), Decimal("1250.00"), Decimal("-1250.00")),
    ]


def test_quickbooks_like_bills_with_thousands_separators(config: Config) -> None:
    _, result = read(config, "invoices_acme")
    invoices = result.records["vendor.invoice"]
    assert pick(invoices, "vendor_id", "invoice_number", "document_type", "total_excl_tax", "period_start") == [
        ("V-ACME", "INV-10233", "invoice", Decimal("4452.00"), date(2026, 10, 31)),
        ("V-ACME", "INV-10240", "credit_note", Decimal("-1200.00"), date(2026, 10, 20)),
    ]


def test_ariba_like_tab_separated_report_with_a_title(config: Config) -> None:
    _, result = read(config, "invoices_ariba")
    lines = result.records["vendor.invoice_line"]
    assert pick(lines, "line_id", "item_ref", "quantity", "line_amount", "_source_line") == [
        ("1", "LIC-ELEARN", Decimal(250), Decimal("1050.00"), 4),
        ("2", "SUPPORT", Decimal(1), Decimal("300.00"), 5),
    ]
    assert pick(result.records["vendor.invoice"], "invoice_number", "currency", "total_excl_tax") == [
        ("AR-88120", "GBP", Decimal("1350.00"))
    ]
