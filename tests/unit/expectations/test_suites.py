"""The GX suites on small good and bad batches, and the runner that turns failures into quarantine."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from connectors import schemas
from expectations import runner, suites
from expectations.runner import validate_batch

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


# -- the suites themselves ---------------------------------------------------------------------


@pytest.mark.parametrize("entity", list(schemas.ENTITIES))
def test_every_entity_has_a_suite_with_severity_and_rule_on_each_expectation(entity: str) -> None:
    suite = suites.build_suite(entity)
    assert suite.name == entity
    assert suite.expectations
    rules = []
    for expectation in suite.expectations:
        meta = expectation.meta or {}
        assert meta.get("severity") in suites.SEVERITIES, expectation
        assert meta.get("rule", "").startswith(suites.SHORT_NAMES[entity] + "."), expectation
        assert expectation.description, expectation
        rules.append(meta["rule"])
    assert len(rules) == len(set(rules)), "rule names are unique within a suite"


@pytest.mark.parametrize("entity", list(schemas.ENTITIES))
def test_every_suite_checks_its_natural_key_as_a_row_level_error(entity: str) -> None:
    suite = suites.build_suite(entity)
    keyed = [e for e in suite.expectations if suites.expectation_columns(e) == ["_source_file", *schemas.KEYS[entity]]]
    assert [e.meta["rule"] for e in keyed] == [f"{suites.SHORT_NAMES[entity]}.key_unique"]
    assert keyed[0].meta["severity"] == "error"


def test_suites_read_only_columns_of_their_entity_or_derived_helpers() -> None:
    for entity, schema in schemas.ENTITIES.items():
        helpers = {d.name for d in suites.DERIVED.get(entity, ())}
        for expectation in suites.build_suite(entity).expectations:
            for column in suites.expectation_columns(expectation):
                assert column in schema.names or column in helpers or column == "_source_file", (entity, column)


def test_iso_4217_list_is_three_upper_case_letters_and_holds_the_usual_currencies() -> None:
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in suites.ISO_4217_ACTIVE)
    assert {"EUR", "USD", "GBP", "JPY", "CHF", "INR", "XCG"} <= suites.ISO_4217_ACTIVE
    assert not {"DEM", "HRK", "ANG", "ZWL"} & suites.ISO_4217_ACTIVE  # withdrawn
    assert "XXX" not in suites.INVOICE_CURRENCIES


def test_compliance_verbs_are_known() -> None:
    assert {"completed", "passed", "failed", "voided", "waived", "attended"} <= set(suites.KNOWN_VERBS)


# -- good batches ------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", list(schemas.ENTITIES))
def test_good_batch_passes_with_no_quarantine(entity: str) -> None:
    report = validate_batch(entity, make_table(entity, GOOD[entity]), now=NOW)
    assert report.quarantine == []
    assert report.critical == []
    assert report.ok
    assert report.rows == len(GOOD[entity])
    assert report.quarantined_rows == 0
    assert [r["rule"] for r in report.results] == [e.meta["rule"] for e in suites.build_suite(entity).expectations]
    assert all(r["success"] and r["unexpected_count"] == 0 for r in report.results), report.results


def test_empty_batch_is_fine() -> None:
    report = validate_batch("lms.booking", make_table("lms.booking", []))
    assert (report.rows, report.quarantine, report.critical) == (0, [], [])
    assert all(r["success"] for r in report.results)


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


# -- what blocks the run -----------------------------------------------------------------------


def test_mostly_bad_batch_produces_a_critical_line() -> None:
    bad = [{"session_id": f"B{i}", "learner_ref": "x", "status": "maybe"} for i in range(4)]
    report = validate_batch("lms.booking", make_table("lms.booking", GOOD["lms.booking"] + bad))
    assert report.quarantined_rows == 4
    assert len(report.quarantine) == 4  # the rows are still listed
    assert not report.ok
    [line] = report.critical
    assert "lms.booking" in line and "4 of 7 rows" in line


def test_error_fraction_limit_is_exclusive_and_configurable() -> None:
    bad = [{"session_id": f"B{i}", "learner_ref": "x", "status": "maybe"} for i in range(3)]
    table = make_table("lms.booking", GOOD["lms.booking"] + bad)  # 3 of 6 bad
    assert validate_batch("lms.booking", table).critical == []
    assert len(validate_batch("lms.booking", table, max_error_fraction=0.4).critical) == 1


def test_missing_columns_are_critical() -> None:
    table = make_table("lms.session", GOOD["lms.session"]).drop_columns(["capacity"])
    report = validate_batch("lms.session", table)
    assert report.quarantine == []
    assert len(report.critical) == 1 and "capacity" in report.critical[0]


def test_an_expectation_that_cannot_be_evaluated_is_critical() -> None:
    rows = [dict(row, capacity=None) for row in GOOD["lms.session"]]
    table = make_table("lms.session", rows)
    table = table.set_column(table.schema.get_field_index("capacity"), "capacity", pa.array(["ten", "x", "y"]))
    report = validate_batch("lms.session", table)
    assert any("session.capacity_range" in line and "could not be evaluated" in line for line in report.critical)
    [result] = [r for r in report.results if r["rule"] == "session.capacity_range"]
    assert result["success"] is False and result["unexpected_count"] is None


def test_a_failed_critical_expectation_blocks_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import great_expectations as gx

    original = suites._expectations

    def with_critical(entity: str) -> list:
        extra = gx.expectations.ExpectColumnValuesToNotBeNull(
            column="booked_at",
            meta={"severity": "critical", "rule": "booking.booked_at_present"},
            description="booked_at is missing",
        )
        return [*original(entity), extra] if entity == "lms.booking" else original(entity)

    monkeypatch.setattr(suites, "_expectations", with_critical)
    monkeypatch.setattr(runner, "_ENGINE", None)  # rebuilt with the patched suite, restored after
    report = validate_batch("lms.booking", make_table("lms.booking", GOOD["lms.booking"]))
    assert report.quarantine == []  # critical failures block; they are not row-level
    [line] = report.critical
    assert line.startswith("lms.booking: booking.booked_at_present failed on 3 of 3 rows")
    assert "_row 0, 1, 2" in line


# -- batches, loads and chunks -----------------------------------------------------------------


def test_duplicates_are_found_across_chunks() -> None:
    rows = [
        {"record_id": f"st-{i}", "learner_ref": "a", "course_ref": "c", "verb": "passed", "occurred_at": TS}
        for i in range(40)
    ]
    rows[39]["record_id"] = "st-0"
    rows[20]["verb"] = "liked"
    table = make_table("lms.learning_record", rows)
    report = validate_batch("lms.learning_record", table, now=NOW, chunk_rows=7)
    assert found(report) == {
        (0, "learning_record.key_unique", "error"),
        (39, "learning_record.key_unique", "error"),
        (20, "learning_record.verb_known", "warning"),
    }
    assert validate_batch("lms.learning_record", table, now=NOW).quarantine == report.quarantine


def test_a_table_of_several_loads_is_validated_load_by_load() -> None:
    first = make_table("lms.session", GOOD["lms.session"], load_id="load-1")
    bad = [*GOOD["lms.session"][:2], {**GOOD["lms.session"][0], "capacity": 0}]
    second = make_table("lms.session", bad, load_id="load-2")  # same `_row`s and keys as load-1
    report = validate_batch("lms.session", pa.concat_tables([first, second]))
    assert {(q["_load_id"], q["_row"], q["rule"]) for q in report.quarantine} == {
        ("load-2", 0, "session.key_unique"),
        ("load-2", 2, "session.key_unique"),
        ("load-2", 2, "session.capacity_range"),
    }
    assert report.rows == 6 and report.quarantined_rows == 2


def test_duplicate_row_numbers_within_a_load_are_refused() -> None:
    table = make_table("lms.booking", GOOD["lms.booking"])
    table = table.set_column(table.schema.get_field_index("_row"), "_row", pa.array([0, 1, 1], pa.int64()))
    with pytest.raises(ValueError, match="_row is not unique"):
        validate_batch("lms.booking", table)


def test_unknown_entity_is_refused() -> None:
    with pytest.raises(KeyError):
        validate_batch("lms.nothing", make_table("lms.booking", []))


def test_a_key_restated_by_a_later_file_of_the_same_load_is_not_a_duplicate() -> None:
    booking = GOOD["lms.booking"][0]
    table = make_table("lms.booking", [booking, {**booking, "status": "attended"}, {**booking, "status": "no_show"}])
    files = pa.array(["bookings_2026-10.csv", "bookings_2026-11.csv", "bookings_2026-11.csv"])
    table = table.set_column(table.schema.get_field_index("_source_file"), "_source_file", files)
    report = validate_batch("lms.booking", table, now=NOW)
    assert found(report) == {(1, "booking.key_unique", "error"), (2, "booking.key_unique", "error")}
