"""connectors/parsing.py: value coercion, the CSV row reader and the typed-CSV helper."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connectors.base import SourceError
from connectors.parsing import (
    CsvFile,
    CsvSpec,
    FieldError,
    assume_timezone,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
    parse_list,
    parse_timestamp,
    parse_typed_csv,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T09:30:00Z", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01T09:30:00+00:00", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01T02:30:00-07:00", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01T11:30:00+0200", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01T11:30:00+02", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01 09:30:00.123Z", datetime(2024, 5, 1, 9, 30, 0, 123000, tzinfo=UTC)),
        ("2024-05-01T09:30:00.123456+00:00", datetime(2024, 5, 1, 9, 30, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T09:30:00.123456789Z", datetime(2024, 5, 1, 9, 30, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T00:30:00+01:00", datetime(2024, 4, 30, 23, 30, tzinfo=UTC)),  # crosses midnight
    ],
)
def test_timestamps_normalise_to_utc(text: str, expected: datetime) -> None:
    value = parse_timestamp(text)
    assert value == expected
    assert value.utcoffset().total_seconds() == 0


def test_naive_timestamps_are_rejected_unless_the_source_names_a_zone() -> None:
    for text in ("2026-03-29T23:30:00", "2026-03-29"):
        with pytest.raises(FieldError) as info:
            parse_timestamp(text, "occurred_at")
        assert (info.value.rule, info.value.column, info.value.value) == ("parse.naive_timestamp", "occurred_at", text)
        assert "assume_timezone" in info.value.message
    with assume_timezone("Europe/Berlin"):  # summer time began that morning: +02:00
        assert parse_timestamp("2026-03-29T23:30:00") == datetime(2026, 3, 29, 21, 30, tzinfo=UTC)
        assert parse_timestamp("2026-01-15") == datetime(2026, 1, 14, 23, 0, tzinfo=UTC)
        assert parse_timestamp("2026-03-29T23:30:00Z") == datetime(2026, 3, 29, 23, 30, tzinfo=UTC)  # an offset wins
    with assume_timezone("UTC"):
        assert parse_timestamp("2024-05-01T09:30") == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "yesterday", "2024-13-01T00:00:00Z", "2024-05-01T25:00:00Z", "01/05/2024 09:30",
        "9999-12-31T23:59:59-05:00", "0001-01-01T00:30:00+01:00", "2024-05-01T09:30:00+24:00",
        "2024-05-01T09:30:00+05:61",
    ],
)  # fmt: skip
def test_bad_timestamps_raise_field_error(text: str) -> None:
    with pytest.raises(FieldError) as info:
        parse_timestamp(text, "occurred_at")
    assert info.value.rule == "parse.invalid_timestamp"
    assert info.value.column == "occurred_at"
    assert info.value.value == text


def test_dates_are_strict_iso() -> None:
    assert parse_date(" 2024-02-29 ") == date(2024, 2, 29)
    for bad in ("2023-02-29", "20240229", "29/02/2024", "2024-2-9"):
        with pytest.raises(FieldError) as info:
            parse_date(bad, "hire_date")
        assert info.value.rule == "parse.invalid_date"


def test_decimals_are_exact_and_fit_money() -> None:
    assert parse_decimal("1325.50") == Decimal("1325.50")
    assert isinstance(parse_decimal("0.1"), Decimal)
    assert parse_decimal("-625743.54") == Decimal("-625743.54")
    assert parse_decimal("0.123456") == Decimal("0.123456")
    for bad, why in (("1,000.00", "not a number"), ("NaN", "not a number"), ("0.1234567", "decimal places")):
        with pytest.raises(FieldError, match=why) as info:
            parse_decimal(bad, "quantity")
        assert info.value.rule == "parse.invalid_number"


def test_ints_bools_and_lists() -> None:
    assert parse_int("12") == 12
    assert parse_int("12.0") == 12
    with pytest.raises(FieldError):
        parse_int("12.5")
    assert parse_bool("TRUE") is True
    assert parse_bool(" no ") is False
    assert parse_bool("0") is False
    with pytest.raises(FieldError) as info:
        parse_bool("maybe", "success")
    assert info.value.rule == "parse.invalid_bool"
    assert parse_list(" a@x.com ; b@x.com;; ") == ["a@x.com", "b@x.com"]
    assert parse_list(" ; ") is None


def test_csv_reader_lines_bom_blank_lines_and_quoted_newlines(write) -> None:
    path = write(
        "rows.csv",
        '\ufeffId , Note\r\n1,plain\r\n\r\n2,"two\r\nlines"\r\n   \n3,last',
    )
    with CsvFile(path) as csv_file:
        assert csv_file.header == ["id", "note"]
        rows = list(csv_file)
    assert [row.line for row in rows] == [2, 4, 7]  # header 1, blank 3, quoted 4-5, spaces 6
    assert rows[1].values == {"id": "2", "note": "two\r\nlines"}
    assert rows[1].text == '2,"two\r\nlines"'
    assert rows[2].values == {"id": "3", "note": "last"}


def test_csv_reader_source_errors(write) -> None:
    with pytest.raises(SourceError, match="empty.csv: empty file"):
        CsvFile(write("empty.csv", "")).__enter__()
    with pytest.raises(SourceError, match="dup.csv: duplicate header columns: a"):
        CsvFile(write("dup.csv", "a,A\n1,2\n")).__enter__()
    latin = write("latin.csv", "a,b\n1,café\n2,ok\n", encoding="latin-1")
    with CsvFile(latin) as csv_file:  # a row that is not UTF-8 is marked, the others read on
        assert [(row.line, row.undecodable) for row in csv_file] == [(2, True), (3, False)]
    with pytest.raises(SourceError, match=r"latin.csv: header is not UTF-8 text \(line 1"):
        CsvFile(write("latin.csv", "a,café\n1,2\n", encoding="latin-1")).__enter__()


SPEC = CsvSpec(
    entity="lms.booking",
    columns={"session_id": "str", "learner_ref": "str", "status": "lower", "booked_at": "timestamp"},
    required=("session_id", "learner_ref", "status"),
)


def test_typed_csv_records_rejects_and_raw(write) -> None:
    path = write(
        "bookings.csv",
        "session_id,learner_ref,status,booked_at,channel\n"
        "S1,a@x.com, Booked ,2024-05-01T11:30:00+02:00,web\n"
        "S1,,booked,,\n"
        "S2,b@x.com,booked,not-a-time,\n"
        "S3,c@x.com,booked,,,surplus\n",
    )
    result = parse_typed_csv(path, SPEC)
    (record,) = result.records["lms.booking"]
    assert record["status"] == "booked"
    assert record["booked_at"] == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert record["updated_at"] is None  # an entity column the file lacks
    assert (record["_source_file"], record["_source_line"]) == ("bookings.csv", 2)
    assert set(record) == {*SPEC_COLUMNS, "_source_file", "_source_line"}
    # unmapped columns and source timestamp strings are kept as they were
    assert record["raw"] == '{"booked_at":"2024-05-01T11:30:00+02:00","channel":"web"}'
    assert [(r.source_line, r.rule, r.column_name) for r in result.rejects] == [
        (3, "parse.missing_required", "learner_ref"),
        (4, "parse.invalid_timestamp", "booked_at"),
        (5, "parse.wrong_field_count", None),
    ]
    assert result.rejects[1].value == "not-a-time"
    assert result.rejects[1].record == "S2,b@x.com,booked,not-a-time,"
    assert result.raw_rows == 4


SPEC_COLUMNS = ("session_id", "learner_ref", "status", "booked_at", "updated_at", "raw")


def test_typed_csv_lists_every_problem_of_a_row_in_one_reject(write) -> None:
    path = write("b.csv", "session_id,learner_ref,status,booked_at\n,,,bad\n")
    (reject,) = parse_typed_csv(path, SPEC).rejects
    assert reject.rule == "parse.invalid_timestamp"
    assert "session_id: required" in reject.message
    assert "status: required" in reject.message


def test_typed_csv_header_missing_required_columns(write) -> None:
    path = write("b.csv", "session_id,state\nS1,booked\n")
    with pytest.raises(SourceError) as info:
        parse_typed_csv(path, SPEC)
    assert str(info.value).startswith("b.csv: header lacks required column(s) learner_ref, status")


def test_csv_line_ends_of_every_platform_with_a_bad_byte(tmp_path) -> None:
    """Lines are decoded one by one whatever ends them (\\n, \\r\\n, a lone \\r): rows keep their lines."""
    for end in (b"\n", b"\r\n", b"\r"):
        path = tmp_path / "ends.csv"
        path.write_bytes(end.join([b"id,note", b'1,"two' + end + b'lines"', b"2,caf\xe9", b"3,ok"]) + end)
        with CsvFile(path) as csv_file:
            rows = [(row.line, row.values["note"], row.undecodable) for row in csv_file]
        assert rows == [(2, f"two{end.decode()}lines", False), (4, "caf\ufffd", True), (5, "ok", False)], end
