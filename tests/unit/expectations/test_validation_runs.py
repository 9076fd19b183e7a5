"""What a validation run decides beyond single rows: what blocks the run, and batches spanning chunks,
loads and files."""

from __future__ import annotations

import pyarrow as pa
import pytest
from gx_batches import GOOD, NOW, TS, found, make_table

from expectations import runner, suites
from expectations.runner import validate_batch

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
