"""The CSV file-drop kinds: hris_csv, lms_csv, sessions_csv, bookings_csv."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from connectors.base import ParseContext, SourceError
from connectors.hris.csv_drop import HrisCsvParser, snapshot_date_from_name
from connectors.lms.csv_drops import BookingsCsvParser, LmsCsvParser, SessionsCsvParser
from connectors.schemas import ENTITIES

CTX = ParseContext()

HRIS_HEADER = (
    "employee_id,email,given_name,family_name,status,hire_date,termination_date,job_code,job_title,"
    "department,cost_center,country,region,manager_id,employment_type,updated_at"
)


def test_snapshot_date_from_file_name() -> None:
    assert snapshot_date_from_name("employees_2024-05-31.csv") == date(2024, 5, 31)
    assert snapshot_date_from_name("employees_2024-02-30.csv") is None
    assert snapshot_date_from_name("roster.csv") is None


def test_hris_csv_maps_a_roster_snapshot(write) -> None:
    path = write(
        "employees_2024-05-31.csv",
        f"{HRIS_HEADER},badge\n"
        "E1, Ann.Lee@Example.com ,Ann,Lee, Active ,2020-01-15,,J1,Nurse,ICU,CC1,GB,EMEA,E9,full_time,"
        "2024-05-30T18:00:00-04:00,B-77\n"
        "E2,bo@example.com,Bo,Ng,terminated,2019-03-01,2024-04-30,J2,Clerk,Admin,CC2,US,AMER,,,,\n",
    )
    result = HrisCsvParser().parse(path, CTX)
    ann, bo = result.records["hris.employee"]
    assert set(ann) == {*ENTITIES["hris.employee"].names, "_source_file", "_source_line"}
    assert ann["email"] == "Ann.Lee@Example.com"  # trimmed, case kept
    assert ann["status"] == "active"
    assert ann["hire_date"] == date(2020, 1, 15)
    assert ann["termination_date"] is None
    assert ann["source_updated_at"] == datetime(2024, 5, 30, 22, 0, tzinfo=UTC)
    assert ann["snapshot_date"] == date(2024, 5, 31)
    assert json.loads(ann["raw"]) == {"updated_at": "2024-05-30T18:00:00-04:00", "badge": "B-77"}
    assert (ann["_source_file"], ann["_source_line"]) == ("employees_2024-05-31.csv", 2)
    assert bo["termination_date"] == date(2024, 4, 30)
    assert bo["manager_id"] is None
    assert bo["raw"] is None
    assert result.rejects == []


def test_hris_csv_rejects_bad_rows_at_their_lines(write) -> None:
    path = write(
        "employees_2024-05-31.csv",
        f"{HRIS_HEADER}\n"
        "E1,a@x.com,,,active,2020-01-15,,,,,,,,,,\n"
        "E2,,,,active,2020-01-15,,,,,,,,,,\n"
        '"E3","c@x.com","Multi\nline",,active,15/01/2020,,,,,,,,,,\n'
        "E4,d@x.com,,,active,2020-01-15,,,,,,,,,,yesterday\n",
    )
    result = HrisCsvParser().parse(path, CTX)
    assert [r["employee_id"] for r in result.records["hris.employee"]] == ["E1"]
    assert [(r.source_line, r.rule, r.column_name, r.value) for r in result.rejects] == [
        (3, "parse.missing_required", "email", None),
        (4, "parse.invalid_date", "hire_date", "15/01/2020"),
        (6, "parse.invalid_timestamp", "updated_at", "yesterday"),
    ]
    assert result.rejects[1].record.startswith('"E3","c@x.com","Multi\nline"')
    assert all(r.entity == "hris.employee" and r.source_file == path.name for r in result.rejects)


def test_hris_csv_snapshot_date_column_wins_over_the_name(write) -> None:
    path = write(
        "roster.csv",
        "employee_id,email,status,hire_date,snapshot_date\n"
        "E1,a@x.com,active,2020-01-15,2024-06-30\n"
        "E2,b@x.com,active,2020-01-15,\n",
    )
    result = HrisCsvParser().parse(path, CTX)
    assert result.records["hris.employee"][0]["snapshot_date"] == date(2024, 6, 30)
    (reject,) = result.rejects
    assert (reject.source_line, reject.rule, reject.column_name) == (3, "parse.missing_required", "snapshot_date")


def test_hris_csv_without_any_snapshot_date_is_a_source_error(write) -> None:
    path = write("roster.csv", "employee_id,email,status,hire_date\nE1,a@x.com,active,2020-01-15\n")
    with pytest.raises(SourceError, match="roster.csv: no snapshot date"):
        HrisCsvParser().parse(path, CTX)


def test_hris_csv_header_missing_required_columns(write) -> None:
    path = write("employees_2024-05-31.csv", "employee_id,mail,status\nE1,a@x.com,active\n")
    with pytest.raises(SourceError, match=r"employees_2024-05-31.csv: .*required column\(s\) email, hire_date"):
        HrisCsvParser().parse(path, CTX)


def test_lms_csv_learning_records(write) -> None:
    path = write(
        "lms.csv",
        "record_id,learner_ref,course_ref,verb,occurred_at,success,score_scaled\n"
        "R1,mailto:a@x.com,FIRE-101,Completed,2024-03-01T23:30:00-02:00,true,0.85\n"
        "R2,E123,FIRE-101,passed,2024-03-02T10:00:00Z,,\n"
        "R3,E124,FIRE-101,passed,2024-03-02T10:00:00Z,maybe,\n"
        "R4,E125,FIRE-101,passed,2024-03-02T10:00:00Z,true,high\n"
        "R5,E126,,passed,2024-03-02T10:00:00Z,,\n",
    )
    result = LmsCsvParser().parse(path, CTX)
    first, second = result.records["lms.learning_record"]
    assert first["verb"] == "completed"
    assert first["occurred_at"] == datetime(2024, 3, 2, 1, 30, tzinfo=UTC)
    assert first["success"] is True
    assert first["score_scaled"] == 0.85
    assert first["source_system"] == "lms_csv"
    assert first["voids_record_id"] is None
    assert second["success"] is None
    assert [(r.source_line, r.rule, r.column_name) for r in result.rejects] == [
        (4, "parse.invalid_bool", "success"),
        (5, "parse.invalid_number", "score_scaled"),
        (6, "parse.missing_required", "course_ref"),
    ]


def test_sessions_csv(write) -> None:
    path = write(
        "sessions.csv",
        "session_id,course_ref,vendor_id,modality,starts_at,ends_at,capacity,location,status\n"
        "S1,FIRE-101,V1,ILT,2024-04-02T09:00:00+01:00,2024-04-02T17:00:00+01:00,12,Leeds,scheduled\n"
        "S2,FIRE-101,V1,vilt,2024-04-03T09:00:00Z,,0,,cancelled_by_vendor\n"
        "S3,FIRE-101,V1,vilt,2024-04-03T09:00:00Z,,twelve,,\n"
        "S4,FIRE-101,V1,vilt,2024-04-03T09:00:00Z,,12.5,,\n",
    )
    result = SessionsCsvParser().parse(path, CTX)
    s1, s2 = result.records["lms.session"]
    assert s1["modality"] == "ilt"
    assert s1["starts_at"] == datetime(2024, 4, 2, 8, 0, tzinfo=UTC)
    assert s1["capacity"] == 12
    assert s2["capacity"] == 0  # "capacity > 0" is a Great Expectations rule, not a parse rule
    assert [(r.source_line, r.rule, r.value) for r in result.rejects] == [
        (4, "parse.invalid_number", "twelve"),
        (5, "parse.invalid_number", "12.5"),
    ]


def test_bookings_csv(write) -> None:
    path = write(
        "bookings.csv",
        "session_id,learner_ref,status,booked_at,updated_at\n"
        "S1,a@x.com,attended,2024-03-01T08:00:00.5+00:00,2024-04-02T18:00:00Z\n"
        "S1,b@x.com,teleported,,\n"
        "S1,c@x.com,,,\n",
    )
    result = BookingsCsvParser().parse(path, CTX)
    a, b = result.records["lms.booking"]
    assert a["booked_at"] == datetime(2024, 3, 1, 8, 0, 0, 500000, tzinfo=UTC)
    assert b["status"] == "teleported"  # accepted values are checked by Great Expectations
    (reject,) = result.rejects
    assert (reject.source_line, reject.rule, reject.column_name) == (4, "parse.missing_required", "status")


def test_one_cp1252_byte_quarantines_its_row_at_its_line(tmp_path) -> None:
    lines = ["session_id,learner_ref,status,booked_at,updated_at"]
    lines += [f"S{n},learner{n}@x.com,booked,2024-03-01T08:00:00Z,2024-03-01T08:00:00Z" for n in range(80)]
    lines[61] = lines[61].replace("learner", "Jos\u00e9 \u201cJo\u201d ")  # line 62, saved by Excel as cp1252
    path = tmp_path / "bookings.csv"
    path.write_bytes(b"".join(line.encode("cp1252" if n == 61 else "utf-8") + b"\n" for n, line in enumerate(lines)))
    result = BookingsCsvParser().parse(path, CTX)
    (reject,) = result.rejects
    assert (reject.source_file, reject.source_line, reject.rule) == ("bookings.csv", 62, "parse.encoding")
    assert "\ufffd" in (reject.record or "")  # the row as it stood, its bad bytes shown
    assert len(result.records["lms.booking"]) == 79


def test_csv_header_not_utf8_is_a_source_error_naming_the_line(write) -> None:
    path = write("bookings.csv", "session_id,learner\xe9,status\nS1,jo@x.com,booked\n", encoding="latin-1")
    with pytest.raises(SourceError, match="bookings.csv: header is not UTF-8 text \\(line 1: byte 0xe9"):
        BookingsCsvParser().parse(path, CTX)
