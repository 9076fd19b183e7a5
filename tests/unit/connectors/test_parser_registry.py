"""connectors/registry.py: the seven kinds, kind detection, parse_files and what `trainops parse` prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.base import ParseContext, SourceError
from connectors.registry import PARSERS, detect_kind, format_result, parse_files
from connectors.schemas import ENTITIES


def test_the_seven_kinds() -> None:
    assert set(PARSERS) == {
        "hris_csv",
        "xapi_files",
        "lms_csv",
        "sessions_csv",
        "bookings_csv",
        "invoices_csv",
        "invoices_xml",
    }
    for kind, parser in PARSERS.items():
        assert parser.kind == kind
        assert parser.patterns
        assert all(entity in ENTITIES for entity in parser.entities)


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("roster.csv", "employee_id,email,status,hire_date\n", "hris_csv"),
        ("lms.csv", "record_id,learner_ref,course_ref,verb,occurred_at\n", "lms_csv"),
        ("s.csv", "session_id,course_ref,modality,starts_at,capacity\n", "sessions_csv"),
        ("b.CSV", "Session_ID,Learner_Ref,Status\n", "bookings_csv"),
        ("i.csv", "vendor_id,invoice_number,line_id,quantity,unit_price,line_amount\n", "invoices_csv"),
        ("x.jsonl", "", "xapi_files"),
        ("x.json", "[]", "xapi_files"),
        ("inv.XML", "<x/>", "invoices_xml"),
    ],
)
def test_detect_kind(write, name: str, text: str, kind: str) -> None:
    assert detect_kind(write(name, text)) == kind


def test_detect_kind_says_when_it_cannot_tell(write) -> None:
    with pytest.raises(SourceError, match=r"odd.csv: cannot tell which kind of CSV .*\(a, b\); pass --kind"):
        detect_kind(write("odd.csv", "a,b\n1,2\n"))
    with pytest.raises(SourceError, match=r"data.txt: cannot tell the kind from the extension '.txt'"):
        detect_kind(write("data.txt", "hello"))


def test_parse_files_mixes_kinds_and_honours_an_explicit_kind(write) -> None:
    bookings = write("b.csv", "session_id,learner_ref,status\nS1,a@x.com,booked\nS1,,booked\n")
    statements = write(
        "s.jsonl",
        json.dumps(
            {
                "id": "s-1",
                "actor": {"mbox": "mailto:a@x.com"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
                "object": {"id": "http://lms.example.com/c/FIRE-101"},
                "timestamp": "2024-01-01T00:00:00Z",
            }
        )
        + "\n",
    )
    result = parse_files([bookings, str(statements)])
    assert len(result.records["lms.booking"]) == 1
    assert len(result.records["lms.learning_record"]) == 1
    assert [(r.source_file, r.source_line) for r in result.rejects] == [("b.csv", 3)]

    odd_name = write("export.txt", "session_id,learner_ref,status\nS1,a@x.com,booked\n")
    assert len(parse_files([odd_name], kind="bookings_csv").records["lms.booking"]) == 1


def test_parse_files_errors(write, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="unknown kind 'pdf'"):
        parse_files([write("a.csv", "x\n")], kind="pdf")
    with pytest.raises(SourceError, match="no such file"):
        parse_files([tmp_path / "missing.csv"])


def test_format_result_text_and_json(write) -> None:
    path = write(
        "inv.csv",
        "vendor_id,invoice_number,document_type,issue_date,currency,line_id,quantity,unit_price,line_amount,"
        "learner_refs\n"
        "V1,INV-1,invoice,2024-04-30,EUR,1,2,150.50,301.00,a@x.com;b@x.com\n"
        "V1,INV-1,invoice,2024-04-30,EUR,2,1,abc,150.50,\n",
    )
    result = parse_files([path], context=ParseContext())

    text = format_result(result, as_json=False)
    assert "vendor.invoice: 1 record(s)" in text
    assert "inv.csv:2  vendor_id=V1, invoice_number=INV-1" in text
    assert "total_excl_tax=301.00" in text
    assert "rejected: 1 row(s)" in text
    assert "inv.csv:3  [parse.invalid_number] column=unit_price value='abc'" in text

    document = json.loads(format_result(result, as_json=True))
    (invoice,) = document["records"]["vendor.invoice"]
    assert invoice["issue_date"] == "2024-04-30"
    assert invoice["total_excl_tax"] == "301.00"  # decimals as strings, never floats
    (line,) = document["records"]["vendor.invoice_line"]
    assert line["learner_refs"] == ["a@x.com", "b@x.com"]
    (reject,) = document["rejects"]
    assert (reject["source_file"], reject["source_line"], reject["rule"], reject["column_name"], reject["value"]) == (
        "inv.csv",
        3,
        "parse.invalid_number",
        "unit_price",
        "abc",
    )
    assert reject["record"] == "V1,INV-1,invoice,2024-04-30,EUR,2,1,abc,150.50,"


def test_format_result_timestamps_in_utc(samples: Path) -> None:
    path = samples / "xapi" / "cmi5-spec-samples" / "07-passed-passed" / "04-passed_statement.json"
    document = json.loads(format_result(parse_files([path]), as_json=True))
    (record,) = document["records"]["lms.learning_record"]
    assert record["occurred_at"] == "2016-06-09T17:30:59.792000Z"
    assert record["_source_line"] == 1
