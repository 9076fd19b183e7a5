"""``trainops map FILE --kind KIND`` (pipeline/mapping_proposal.py) on exports as real systems write
them: the proposed ``sources:`` item loads as trainops.yaml (the mapping model and its checks against
the kind) and, where every value was understood, the mapping engine reads the file with it without a
reject."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from connectors.base import ParseContext
from connectors.parsing import assume_timezone
from connectors.registry import file_parser
from flows.cli import main
from pipeline.config import parse_config
from pipeline.mapping_proposal import guess_date_format, propose, render

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "foreign"


def load_proposal(text: str, tmp_path: Path):
    """The printed proposal as the one source of a trainops.yaml."""
    data = {"home": str(tmp_path / "home"), "reference_dir": ".", "sources": yaml.safe_load(text)}
    return parse_config(data, tmp_path / "trainops.yaml").sources[0]


def read_with(source, path: Path):
    return file_parser(source.kind, source).parse(path, ParseContext())


def test_german_hr_export_cp1252_semicolons_day_first(tmp_path):
    path = tmp_path / "Mitarbeiter_2026-10-28.csv"
    path.write_bytes(
        "Personalnummer;Vorname;Nachname;E-Mail;Status;Eintrittsdatum;Abteilung;Vorgesetzter;Standort\n"
        "1001;Jürgen;Weiß;j.weiss@firma.de;Aktiv;01.04.2019;Vertrieb;;München\n"
        "1002;Anna;Groß;a.gross@firma.de;Elternzeit;15.11.2021;Einkauf;1001;Köln\n"
        "1003;Paul;Öztürk;p.oeztuerk@firma.de;Inaktiv;30.06.2015;Vertrieb;1001;München\n".encode("cp1252")
    )
    proposal = propose(path, "hris_csv")
    assert (proposal.sample.encoding, proposal.sample.delimiter) == ("cp1252", ";")
    names = {field: item.column.name for field, item in proposal.fields.items()}
    assert names == {
        "employee_id": "Personalnummer",
        "email": "E-Mail",
        "given_name": "Vorname",
        "family_name": "Nachname",
        "status": "Status",
        "hire_date": "Eintrittsdatum",
        "department": "Abteilung",
        "manager_id": "Vorgesetzter",
    }
    assert proposal.fields["status"].values == {"Aktiv": "active", "Elternzeit": "leave", "Inaktiv": "terminated"}
    assert proposal.date_format == "%d.%m.%Y"
    assert proposal.missing_required == [] and proposal.left_to_raw == ["Standort"]
    text = render(proposal)
    assert "# source columns left to raw: Standort" in text
    source = load_proposal(text, tmp_path)
    result = read_with(source, path)
    assert result.rejects == []
    rows = result.records["hris.employee"]
    assert [(row["employee_id"], row["status"], row["hire_date"]) for row in rows] == [
        ("1001", "active", date(2019, 4, 1)),
        ("1002", "leave", date(2021, 11, 15)),
        ("1003", "terminated", date(2015, 6, 30)),
    ]
    assert {row["snapshot_date"] for row in rows} == {date(2026, 10, 28)}
    assert json.loads(rows[0]["raw"]) == {"Standort": "München"}


def test_us_hr_export_with_bom_says_when_dates_are_ambiguous(tmp_path):
    path = tmp_path / "workers.csv"
    header = "Employee Number,Work Email,Hire Date,Employment Status,Dept,Reports To,Export Date\n"
    path.write_text(
        header + "E1,a@x.com,03/04/2020,Active,Ops,,01/02/2026\nE2,b@x.com,05/06/2021,On Leave,Ops,E1,01/02/2026\n",
        encoding="utf-8-sig",
    )
    proposal = propose(path, "hris_csv")
    assert proposal.sample.encoding == "utf-8"  # the BOM is not part of the first header
    assert proposal.fields["employee_id"].column.name == "Employee Number"
    assert proposal.fields["snapshot_date"].column.name == "Export Date"
    assert proposal.fields["manager_id"].column.name == "Reports To"
    assert proposal.date_format == "%d/%m/%Y"
    text = render(proposal)
    assert "ambiguous" in text  # 03/04/2020: 3 April or 4 March? The file cannot tell
    assert proposal.snapshot_date is None

    path.write_text(header + "E1,a@x.com,12/31/2020,Active,Ops,,01/02/2026\n", encoding="utf-8-sig")
    assert propose(path, "hris_csv").date_format == "%m/%d/%Y"  # 31 is no month: month first


def test_json_envelopes_under_data(tmp_path):
    path = FIXTURES / "hris" / "hibob_people_report_2026-10-28.json"
    proposal = propose(path, "hris_csv")
    assert proposal.sample.records == "data[*]"
    assert proposal.fields["employee_id"].column.name == '"root.id".value'  # found through its label
    assert proposal.fields["hire_date"].column.name == '"work.startDate".value'
    assert proposal.fields["status"].values == {"Employed": "active", "Terminated": "terminated", "On leave": "leave"}
    assert proposal.missing_required == []
    source = load_proposal(render(proposal), tmp_path)
    result = read_with(source, path)
    assert result.rejects == [] and len(result.records["hris.employee"]) == 3


def test_json_records_wrapped_in_attributes(tmp_path):
    path = tmp_path / "enrollments.json"
    records = [
        {"id": "r1", "attributes": {"user_id": "E1", "course_id": "C-1", "status": "passed", "completed_at": 45566.5}},
        {"id": "r2", "attributes": {"user_id": "E2", "course_id": "C-1", "status": "fail", "completed_at": 45567.25}},
    ]
    path.write_text(json.dumps({"meta": {"count": 2}, "data": records}))
    proposal = propose(path, "lms_csv")
    assert proposal.sample.records == "data[*].attributes"
    assert proposal.fields["learner_ref"].column.name == "user_id"
    assert proposal.fields["occurred_at"].date_format == "excel"
    assert proposal.fields["verb"].values == {"passed": "passed", "fail": "failed"}
    assert proposal.missing_required == ["record_id"]  # the id sits outside the attributes
    assert '      # record_id: {join: ["user_id", "course_id", "completed_at"], sep: "|"}' in render(proposal)


def test_lms_export_leaves_unknown_status_words_to_do(tmp_path):
    path = tmp_path / "transcript.csv"
    path.write_text(
        "Completion ID,User ID,Course ID,Completion Date,Status,Score\n"
        "1,u1,C1,2026-10-01T09:00:00Z,Pass,0.9\n"
        "2,u2,C1,2026-10-02T09:00:00Z,Fail,0.4\n"
        "3,u3,C1,2026-10-03T09:00:00Z,Withdrawn-ish,\n"
    )
    proposal = propose(path, "lms_csv")
    verb = proposal.fields["verb"]
    assert verb.values == {"Pass": "passed", "Fail": "failed"} and verb.todo_values == ["Withdrawn-ish"]
    assert proposal.fields["occurred_at"].date_format is None  # ISO already
    text = render(proposal)
    assert '# "Withdrawn-ish": TODO' in text
    source = load_proposal(text, tmp_path)  # still valid YAML and a valid mapping
    result = read_with(source, path)
    assert len(result.records["lms.learning_record"]) == 2
    assert [(reject.source_line, reject.rule) for reject in result.rejects] == [(4, "mapping.unmapped_value")]
    (tmp_path / "no_ids.csv").write_text("User ID,Course ID,Completion Date,Status\nu1,C1,2026-10-01T09:00:00Z,Pass\n")
    hint = render(propose(tmp_path / "no_ids.csv", "lms_csv"))
    assert '# record_id: {join: ["User ID", "Course ID", "Completion Date"], sep: "|"}' in hint


def test_report_title_above_a_tab_separated_table(tmp_path):
    proposal = propose(FIXTURES / "invoices" / "ariba_invoice_lines.tsv", "invoices_csv")
    assert proposal.sample.delimiter == "\t" and proposal.sample.header_row == 3
    assert proposal.missing_required == []
    assert proposal.fields["vendor_id"].column.name == "Supplier ID"
    source = load_proposal(render(proposal), tmp_path)
    assert source.mapping.csv.header_row == 3 and source.mapping.csv.delimiter == "\t"


def test_decimal_commas_in_a_german_invoice(tmp_path):
    path = tmp_path / "rechnungen.csv"
    path.write_text(
        "Lieferant;Rechnungsnummer;Belegart;Rechnungsdatum;Währung;Position;Menge;Einzelpreis;Betrag\n"
        "V1;R-1;Rechnung;31.10.2026;EUR;1;2;1.234,50;2.469,00\n"
        "V1;R-2;Gutschrift;31.10.2026;EUR;1;1;99,90;99,90\n"
    )
    proposal = propose(path, "invoices_csv")
    assert proposal.decimal_comma and proposal.date_format == "%d.%m.%Y"
    assert proposal.fields["document_type"].values == {"Rechnung": "invoice", "Gutschrift": "credit_note"}
    result = read_with(load_proposal(render(proposal), tmp_path), path)
    assert result.rejects == []
    assert [str(line["line_amount"]) for line in result.records["vendor.invoice_line"]] == ["2469.00", "99.90"]


def test_ends_with_match_is_marked_for_checking(tmp_path):
    proposal = propose(FIXTURES / "bookings" / "docebo_session_enrollments.csv", "bookings_csv")
    status = proposal.fields["status"]
    assert status.column.name == "Enrollment status" and status.fuzzy
    assert "Subscribed" in status.todo_values and status.values["Completed"] == "attended"
    assert "close spelling: check" in render(proposal)


def test_xlsx_sessions(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "sessions.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Session ID", "Course", "Delivery Type", "Start Date/Time", "Seats", "Venue"])
    sheet.append(["S1", "C-1", "Classroom", datetime(2026, 11, 2, 9, 0), 12, "Leeds"])
    sheet.append(["S2", "C-2", "Webinar", datetime(2026, 11, 3, 14, 0), 30, "Teams"])
    book.save(path)
    proposal = propose(path, "sessions_csv")
    assert proposal.sample.format == "xlsx" and proposal.missing_required == []
    assert proposal.fields["modality"].values == {"Classroom": "ilt", "Webinar": "vilt"}
    assert proposal.fields["capacity"].column.name == "Seats"
    source = load_proposal(render(proposal), tmp_path)
    assert {r.rule for r in read_with(source, path).rejects} == {"parse.naive_timestamp"}  # no zone given
    with assume_timezone("Europe/London"):  # the pasted source's assume_timezone
        result = read_with(source, path)
    assert result.rejects == []
    assert [(row["session_id"], row["modality"], row["capacity"]) for row in result.records["lms.session"]] == [
        ("S1", "ilt", 12),
        ("S2", "vilt", 30),
    ]


def test_json_lines_bookings(tmp_path):
    path = tmp_path / "bookings.jsonl"
    lines = [
        {"booking": {"session": "S1", "user": {"email": "a@x.com"}}, "state": "Attended", "booked": "2026-10-01"},
        {"booking": {"session": "S1", "user": {"email": "b@x.com"}}, "state": "No show", "booked": "2026-10-02"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    proposal = propose(path, "bookings_csv")
    assert proposal.sample.format == "jsonl" and proposal.sample.records is None
    assert proposal.fields["session_id"].column.name == "booking.session"
    assert proposal.fields["learner_ref"].column.name == "booking.user.email"  # nested: found by its last key
    assert proposal.fields["status"].values == {"Attended": "attended", "No show": "no_show"}
    source = load_proposal(render(proposal), tmp_path)
    assert {r.rule for r in read_with(source, path).rejects} == {"parse.naive_timestamp"}  # no zone given
    with assume_timezone("Europe/London"):  # the pasted source's assume_timezone
        result = read_with(source, path)
    assert result.rejects == []
    assert [(row["learner_ref"], row["status"]) for row in result.records["lms.booking"]] == [
        ("a@x.com", "attended"),
        ("b@x.com", "no_show"),
    ]


def test_date_format_guesses():
    assert guess_date_format(["2026-10-01", "2026-02-28"], "date") == (None, None)
    assert guess_date_format(["31.10.2026", "01.02.2026"], "date") == ("%d.%m.%Y", None)
    fmt, note = guess_date_format(["01/02/2026"], "date")
    assert fmt == "%d/%m/%Y" and "ambiguous" in note and "%m/%d/%Y" in note
    assert guess_date_format(["45566", "45600"], "date")[0] == "excel"
    fmt, note = guess_date_format(["31.10.2026 09:00", "garbage"], "timestamp")
    assert fmt == "%d.%m.%Y %H:%M" and "'garbage'" in note


def test_cli_prints_the_proposal_and_refuses_unknown_kinds(tmp_path, capsys):
    path = tmp_path / "people.csv"
    path.write_text("ID,E-Mail,Status,Hire date\n7,a@b.c,active,2020-01-01\n")
    assert main(["map", str(path), "--kind", "hris_csv"]) == 0
    printed = capsys.readouterr().out
    assert yaml.safe_load(printed)[0]["mapping"]["columns"]["hire_date"] == "Hire date"
    assert main(["map", str(path), "--kind", "xapi_files"]) == 2
    assert "unknown kind 'xapi_files'" in capsys.readouterr().err
    assert main(["map", str(tmp_path / "missing.csv"), "--kind", "hris_csv"]) == 2
    assert "no such file" in capsys.readouterr().err
