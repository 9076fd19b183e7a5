"""The mapping engine, one feature at a time: reading (dialect, encoding, header row, json, jsonl,
xlsx), rules (column, path, const, join, values), dates, timestamps, numbers, snapshot dates, raw."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ParseContext, ParseResult, SourceError
from connectors.files import FileDropOptions
from connectors.lms.csv_drops import SessionsCsvParser
from connectors.mapping import MappedParser, Mapping, check_mapping
from connectors.parsing import assume_timezone
from connectors.registry import file_parser

HR = {
    "employee_id": "Employee ID",
    "email": "Email",
    "status": {"column": "Status", "values": {"Active": "active", "On leave": "leave", "Inactive": "terminated"}},
    "hire_date": "Hire date",
}
HR_CSV = "Employee ID,Email,Status,Hire date\nE1,a@x.com,Active,2020-01-02\n"
DELIVERED = {"snapshot_date": {"delivery_time": True}}


def mapping_of(kind: str, data: dict[str, Any]) -> Mapping:
    mapping = Mapping.model_validate(data)
    check_mapping(kind, mapping)
    return mapping


def parse(
    tmp_path: Path, content: str | bytes, data: dict[str, Any], kind: str = "hris_csv", name: str = "export.csv"
) -> ParseResult:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return MappedParser(kind, mapping_of(kind, data)).parse(path, ParseContext(source_name="hr"))


def employees(result: ParseResult) -> list[dict[str, Any]]:
    return result.records.get("hris.employee", [])


# -- reading -------------------------------------------------------------------------------------------


def test_semicolons_cp1252_and_a_header_below_a_title(tmp_path: Path) -> None:
    text = "Mitarbeiterliste Oktober\n\nPersonalnummer;E-Mail;Status;Eintrittsdatum;Nachname\n"
    text += "1001;jürgen@example.de;Aktiv;01.03.2019;Müller\n"
    data = {
        "csv": {"delimiter": ";", "encoding": "cp1252", "header_row": 3},
        "date_format": "%d.%m.%Y",
        "columns": {
            "employee_id": "Personalnummer",
            "email": "e-mail",  # header names match case- and space-insensitively
            "status": {"column": "Status", "values": {"aktiv": "active"}},
            "hire_date": "Eintrittsdatum",
            "family_name": "Nachname",
        },
        **DELIVERED,
    }
    result = parse(tmp_path, text.encode("cp1252"), data)
    [row] = employees(result)
    assert (row["employee_id"], row["email"], row["family_name"]) == ("1001", "jürgen@example.de", "Müller")
    assert row["hire_date"] == date(2019, 3, 1) and row["status"] == "active"
    assert row["_source_line"] == 4


def test_a_utf8_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    result = parse(tmp_path, ("\ufeff" + HR_CSV).encode(), {"columns": HR, **DELIVERED})
    assert employees(result)[0]["employee_id"] == "E1"


def test_a_row_in_the_wrong_encoding_is_a_located_reject_and_the_others_land(tmp_path: Path) -> None:
    content = (HR_CSV + "E2,b@x.com,Active,2020-01-02\n").encode() + "E3,Müller@x.com,Active,2020-01-02\n".encode(
        "cp1252"
    )
    result = parse(tmp_path, content + b"E4,d@x.com,Active,2020-01-02\n", {"columns": HR, **DELIVERED})
    assert [row["employee_id"] for row in employees(result)] == ["E1", "E2", "E4"]
    [reject] = result.rejects
    assert (reject.rule, reject.source_line) == ("parse.encoding", 4)
    assert "not utf-8 text" in reject.message and "mapping.csv.encoding" in reject.message


def test_a_header_in_the_wrong_encoding_refuses_the_file_naming_the_key(tmp_path: Path) -> None:
    columns = {**HR, "family_name": "Nachname"}
    content = ("Employee ID,Email,Status,Hire date,Nachname,Straße\n" + "E1,a@x.com,Active,2020-01-02,M,S\n").encode(
        "cp1252"
    )
    with pytest.raises(SourceError, match=r"export.csv: header .*not utf-8 text.*line 1.*mapping.csv.encoding"):
        parse(tmp_path, content, {"columns": columns, **DELIVERED})


def test_an_undecodable_title_line_above_the_header_is_skipped(tmp_path: Path) -> None:
    content = "Bericht für Oktober\n".encode("cp1252") + HR_CSV.encode()
    result = parse(tmp_path, content, {"csv": {"header_row": 2}, "columns": HR, **DELIVERED})
    assert [row["employee_id"] for row in employees(result)] == ["E1"] and result.rejects == []


def test_a_row_of_empty_fields_is_a_row_not_a_blank_line(tmp_path: Path) -> None:
    result = parse(tmp_path, HR_CSV + ",,,\n\nE2,b@x.com,Active,2020-01-02\n", {"columns": HR, **DELIVERED})
    assert [row["employee_id"] for row in employees(result)] == ["E1", "E2"]
    assert {(r.rule, r.source_line) for r in result.rejects} >= {("parse.missing_required", 3)}
    assert {r.source_line for r in result.rejects} == {3}  # the blank line 4 is no row


def test_a_header_repeating_a_column_a_rule_reads_refuses_the_file(tmp_path: Path) -> None:
    content = "Employee ID,Email,Status,Hire date,Email\nE1,a@x.com,Active,2020-01-02,b@x.com\n"
    with pytest.raises(SourceError) as caught:
        parse(tmp_path, content, {"columns": HR, **DELIVERED})
    message = str(caught.value)
    assert "\n" not in message and "export.csv" in message and "'Email'" in message
    assert "mapping.columns.email" in message
    ignored = "Employee ID,Email,Status,Hire date,Note,Note\nE1,a@x.com,Active,2020-01-02,x,y\n"
    assert employees(parse(tmp_path, ignored, {"columns": HR, **DELIVERED}))[0]["employee_id"] == "E1"


def test_json_records_under_a_path_with_label_value_envelopes(tmp_path: Path) -> None:
    document = {
        "data": [
            {
                "root.id": {"label": "Employee ID", "value": 17},
                "root.email": {"label": "Email", "value": "a@x.com"},
                "status": {"label": "Status", "value": "Active"},
                "work": {"startDate": "2021-04-05", "title": "Engineer"},
                "site": {"label": "Site", "value": "Leeds"},
            }
        ]
    }
    data = {
        "format": "json",
        "records": "data[*]",
        "columns": {
            "employee_id": '"root.id".value',
            "email": {"path": '"root.email".value'},
            "status": {"path": "status.value", "values": {"active": "active"}},
            "hire_date": "work.startDate",
        },
        **DELIVERED,
    }
    [row] = employees(parse(tmp_path, json.dumps(document), data, name="people.json"))
    assert row["employee_id"] == "17" and row["hire_date"] == date(2021, 4, 5)
    assert json.loads(row["raw"]) == {"site": '{"label":"Site","value":"Leeds"}'}  # keys no rule reads


def test_jsonl_lines_are_the_record_locations(tmp_path: Path) -> None:
    lines = [{"id": "E1", "mail": "a@x.com", "state": "Active", "start": "2020-01-02"}, {}, None]
    text = json.dumps(lines[0]) + "\n\n" + json.dumps({**lines[0], "id": "E2", "state": "Gone"}) + "\n"
    columns = {"employee_id": "id", "email": "mail", "status": {"column": "state", "values": {"active": "active"}}}
    data = {"format": "jsonl", "columns": {**columns, "hire_date": "start"}, **DELIVERED}
    result = parse(tmp_path, text, data, name="people.jsonl")
    assert [row["_source_line"] for row in employees(result)] == [1]
    [reject] = result.rejects
    assert (reject.source_line, reject.rule, reject.value) == (3, "mapping.unmapped_value", "Gone")


def test_xlsx_cells_keep_their_types(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Employees"
    sheet.append(["Employee ID", "Email", "Status", "Hire date", "Cost center"])
    sheet.append([1001, "a@x.com", "Active", datetime(2019, 3, 1), 4100])
    sheet.append([1002, "b@x.com", "On leave", 43831, 4200])  # an Excel serial day (2020-01-01)
    book.save(tmp_path / "roster.xlsx")
    columns = {**HR, "hire_date": {"column": "Hire date", "date_format": "excel"}, "cost_center": "Cost center"}
    data = {"format": "xlsx", "sheet": "Employees", "columns": columns, **DELIVERED}
    path = tmp_path / "roster.xlsx"
    result = MappedParser("hris_csv", mapping_of("hris_csv", data)).parse(path, ParseContext())
    rows = employees(result)
    assert [(r["employee_id"], r["hire_date"], r["cost_center"], r["_source_line"]) for r in rows] == [
        ("1001", date(2019, 3, 1), "4100", 2),
        ("1002", date(2020, 1, 1), "4200", 3),
    ]


# -- rules and values ----------------------------------------------------------------------------------


def test_const_and_join(tmp_path: Path) -> None:
    text = "Employee ID,Email,Status,Hire date,First,Last\nE1,a@x.com,Active,2020-01-02,Ada,Lovelace\n"
    columns = {**HR, "country": {"const": "GB"}, "job_title": {"join": ["First", "Last"], "sep": " / "}}
    [row] = employees(parse(tmp_path, text, {"columns": columns, **DELIVERED}))
    assert row["country"] == "GB" and row["job_title"] == "Ada / Lovelace"


def test_a_value_missing_from_values_is_a_located_reject(tmp_path: Path) -> None:
    text = HR_CSV + "E2,b@x.com,Retired,2020-01-02\nE3,c@x.com,ON LEAVE,2020-01-02\n"
    result = parse(tmp_path, text, {"columns": HR, **DELIVERED})
    assert [(r["employee_id"], r["status"]) for r in employees(result)] == [("E1", "active"), ("E3", "leave")]
    [reject] = result.rejects
    assert (reject.rule, reject.value, reject.source_file, reject.source_line) == (
        "mapping.unmapped_value",
        "Retired",
        "export.csv",
        3,
    )
    assert reject.column_name == "status" and "missing" not in reject.message
    assert reject.record == "E2,b@x.com,Retired,2020-01-02"


def test_a_short_or_long_row_is_rejected_not_shifted(tmp_path: Path) -> None:
    text = HR_CSV + "E2,b@x.com,Active\nE3,c@x.com,Active,2020-01-02,extra\n"
    result = parse(tmp_path, text, {"columns": HR, **DELIVERED})
    assert [row["employee_id"] for row in employees(result)] == ["E1"]
    assert [(r.rule, r.source_line) for r in result.rejects] == [
        ("parse.wrong_field_count", 3),
        ("parse.wrong_field_count", 4),
    ]


def test_a_missing_column_refuses_the_file_naming_source_key_and_columns(tmp_path: Path) -> None:
    columns = {**HR, "hire_date": "Start date"}
    with pytest.raises(SourceError) as caught:
        parse(tmp_path, HR_CSV, {"columns": columns, **DELIVERED})
    message = str(caught.value)
    assert "source 'hr'" in message and "export.csv" in message and "mapping.columns.hire_date" in message
    assert "'Start date'" in message and "'Employee ID', 'Email', 'Status', 'Hire date'" in message


def test_a_json_path_no_record_has_refuses_the_file(tmp_path: Path) -> None:
    text = json.dumps([{"id": "E1", "mail": "a@x.com", "state": "active", "start": "2020-01-02"}])
    columns = {"employee_id": "id", "email": "email", "status": "state", "hire_date": "start"}
    with pytest.raises(SourceError, match=r"mapping.columns.email: no column 'email' .*'id', 'mail'"):
        parse(tmp_path, text, {"format": "json", "columns": columns, **DELIVERED}, name="p.json")


def test_unmapped_columns_go_to_raw_unless_told_not_to(tmp_path: Path) -> None:
    text = "Employee ID,Email,Status,Hire date,Shoe size,status\nE1,a@x.com,Active,2020-01-02,44,x\n"
    [row] = employees(parse(tmp_path, text, {"columns": HR, **DELIVERED}))
    assert json.loads(row["raw"]) == {"Shoe size": "44", "source.status": "x"}
    [row] = employees(parse(tmp_path, text, {"columns": HR, "keep_unmapped": False, **DELIVERED}))
    assert row["raw"] is None


# -- dates, timestamps, numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    [
        ({"date_format": "%d.%m.%Y"}, "03.04.2024", date(2024, 4, 3)),
        ({"day_first": True}, "03/04/2024", date(2024, 4, 3)),
        ({"day_first": True}, "2024-04-03", date(2024, 4, 3)),  # ISO stays ISO
        ({"date_format": "%m/%d/%Y"}, "03/04/2024", date(2024, 3, 4)),
        ({"date_format": "excel"}, "45385", date(2024, 4, 3)),
    ],
)
def test_date_formats(tmp_path: Path, rule: dict[str, Any], text: str, expected: date) -> None:
    columns = {**HR, "hire_date": {"column": "Hire date", **rule}}
    content = f"Employee ID,Email,Status,Hire date\nE1,a@x.com,Active,{text}\n"
    [row] = employees(parse(tmp_path, content, {"columns": columns, **DELIVERED}))
    assert row["hire_date"] == expected


def test_a_date_not_in_its_format_is_the_kinds_date_reject(tmp_path: Path) -> None:
    content = "Employee ID,Email,Status,Hire date\nE1,a@x.com,Active,2024-04-03\n"
    result = parse(tmp_path, content, {"columns": HR, "date_format": "%d.%m.%Y", **DELIVERED})
    [reject] = result.rejects
    assert (reject.rule, reject.column_name, reject.value, reject.source_line) == (
        "parse.invalid_date",
        "hire_date",
        "2024-04-03",
        2,
    )
    assert "%d.%m.%Y" in reject.message


SESSIONS = {
    "session_id": "Id",
    "course_ref": "Course",
    "modality": {"const": "ilt"},
    "starts_at": "Start",
    "capacity": "Seats",
}


def sessions(tmp_path: Path, rows: str, **extra: Any) -> ParseResult:
    content = "Id;Course;Start;Seats\n" + rows
    data = {"csv": {"delimiter": ";"}, "columns": {**SESSIONS, **extra.pop("columns", {})}, **extra}
    return parse(tmp_path, content, data, kind="sessions_csv")


def test_naive_timestamps_are_in_the_mappings_timezone(tmp_path: Path) -> None:
    result = sessions(tmp_path, "S1;C1;2026-07-01 09:00;10\nS2;C1;2026-12-01T09:00:00Z;10\n", timezone="Europe/Berlin")
    starts = [row["starts_at"] for row in result.records["lms.session"]]
    assert starts == [datetime(2026, 7, 1, 7, 0, tzinfo=UTC), datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]


def test_without_a_mapping_timezone_naive_timestamps_follow_assume_timezone_or_are_rejected(
    tmp_path: Path,
) -> None:
    rows = "S1;C1;2026-07-01 09:00;10\nS2;C1;01.07.2026 09:00;10\n"
    day_first = {"starts_at": {"column": "Start", "day_first": True}}
    result = sessions(tmp_path, rows, columns=day_first)
    assert "lms.session" not in result.records
    assert [(r.rule, r.source_line) for r in result.rejects] == [
        ("parse.naive_timestamp", 2),
        ("parse.naive_timestamp", 3),
    ]
    with assume_timezone("Europe/Berlin"):  # the source's assume_timezone (pipeline/steps.py extract_source)
        result = sessions(tmp_path, rows, columns=day_first)
    assert [row["starts_at"] for row in result.records["lms.session"]] == [datetime(2026, 7, 1, 7, 0, tzinfo=UTC)] * 2


def test_day_first_timestamps_and_their_rejects(tmp_path: Path) -> None:
    result = sessions(
        tmp_path,
        "S1;C1;15.10.2026 14:32;10\nS2;C1;15/10/2026;10\nS3;C1;10/32/2026 09:00;10\n",
        timezone="UTC",
        columns={"starts_at": {"column": "Start", "day_first": True}},
    )
    starts = [row["starts_at"] for row in result.records["lms.session"]]
    assert starts == [datetime(2026, 10, 15, 14, 32, tzinfo=UTC), datetime(2026, 10, 15, tzinfo=UTC)]
    [reject] = result.rejects
    assert (reject.rule, reject.source_line, reject.value) == ("parse.invalid_timestamp", 4, "10/32/2026 09:00")


def test_decimal_commas_and_thousands(tmp_path: Path) -> None:
    content = "Nr;Pos;Menge;Preis;Betrag\nR1;1;2;1.234,50;2.469,00\n"
    columns = {
        "vendor_id": {"const": "V1"},
        "invoice_number": "Nr",
        "document_type": {"const": "invoice"},
        "issue_date": {"const": "2026-10-31"},
        "currency": {"const": "EUR"},
        "line_id": "Pos",
        "quantity": "Menge",
        "unit_price": "Preis",
        "line_amount": "Betrag",
    }
    data = {"csv": {"delimiter": ";"}, "decimal_comma": True, "columns": columns}
    result = parse(tmp_path, content, data, kind="invoices_csv")
    [line] = result.records["vendor.invoice_line"]
    assert (line["unit_price"], line["line_amount"]) == (Decimal("1234.50"), Decimal("2469.00"))
    [invoice] = result.records["vendor.invoice"]
    assert invoice["total_excl_tax"] == Decimal("2469.00")
    # the same text without decimal_comma is not a number: the kind's number reject, located
    data["decimal_comma"] = False
    [reject] = parse(tmp_path, content, data, kind="invoices_csv").rejects
    assert (reject.rule, reject.source_line) == ("parse.invalid_number", 2)


# -- snapshot dates -----------------------------------------------------------------------------------


def test_snapshot_date_from_a_column_in_its_own_format(tmp_path: Path) -> None:
    content = "Employee ID,Email,Status,Hire date,As of\nE1,a@x.com,Active,2020-01-02,28.10.2026\n"
    data = {"columns": HR, "snapshot_date": {"column": "As of", "date_format": "%d.%m.%Y"}}
    assert employees(parse(tmp_path, content, data))[0]["snapshot_date"] == date(2026, 10, 28)


def test_snapshot_date_from_the_file_name(tmp_path: Path) -> None:
    data = {"columns": HR, "snapshot_date": {"file_name": r"_(\d{8})\.csv$", "format": "%Y%m%d"}}
    rows = employees(parse(tmp_path, HR_CSV, data, name="Personio_Export_20261028.csv"))
    assert rows[0]["snapshot_date"] == date(2026, 10, 28)
    with pytest.raises(SourceError, match="does not match mapping.snapshot_date.file_name"):
        parse(tmp_path, HR_CSV, data, name="export.csv")


def test_snapshot_date_from_the_delivery_time_in_the_timezone(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HR_CSV)
    moment = datetime(2026, 10, 28, 23, 30, tzinfo=UTC).timestamp()  # 29 October in Berlin
    os.utime(path, (moment, moment))
    mapping = mapping_of("hris_csv", {"columns": HR, "timezone": "Europe/Berlin", **DELIVERED})
    rows = employees(MappedParser("hris_csv", mapping).parse(path, ParseContext()))
    assert rows[0]["snapshot_date"] == date(2026, 10, 29)


# -- mapping off ---------------------------------------------------------------------------------------


def test_without_a_mapping_a_source_reads_the_canonical_layout_with_the_kinds_parser(tmp_path: Path) -> None:
    options = FileDropOptions(path=tmp_path)
    assert isinstance(file_parser("sessions_csv", options), SessionsCsvParser)
    mapped = file_parser(
        "sessions_csv", _Mapped(path=tmp_path, mapping=mapping_of("sessions_csv", {"columns": SESSIONS}))
    )
    assert isinstance(mapped, MappedParser) and mapped.patterns == ("*.csv",)


class _Mapped(FileDropOptions):
    mapping: Mapping
