"""invoices_csv: one row per line → vendor.invoice + vendor.invoice_line."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from connectors.base import ParseContext, SourceError
from connectors.vendors.invoices_csv import InvoicesCsvParser

HEADER = (
    "vendor_id,invoice_number,document_type,issue_date,currency,period_start,period_end,line_id,item_ref,"
    "description,quantity,unit_price,line_amount,learner_refs"
)


def parse(path):
    return InvoicesCsvParser().parse(path, ParseContext())


def test_invoice_rows_become_an_invoice_and_its_lines(write) -> None:
    path = write(
        "inv.csv",
        f"{HEADER}\n"
        "V1,INV-1,Invoice,2024-04-30,eur,2024-03-01,2024-03-31,1,S-100,Fire safety,2,150.00,300.00,"
        "a@x.com; b@x.com\n"
        "V1,INV-1,invoice,2024-04-30,EUR,2024-04-01,2024-04-30,2,S-101,Fire safety,1,150.005,150.005,c@x.com\n"
        "V1,CN-1,credit_note,2024-05-02,EUR,,,1,S-100,Refund,1,150.00,150.00,\n",
    )
    result = parse(path)
    inv, cn = result.records["vendor.invoice"]
    assert (inv["vendor_id"], inv["invoice_number"], inv["document_type"]) == ("V1", "INV-1", "invoice")
    assert inv["currency"] == "EUR"
    assert inv["issue_date"] == date(2024, 4, 30)
    assert inv["total_excl_tax"] == Decimal("450.005")
    assert (inv["period_start"], inv["period_end"]) == (date(2024, 3, 1), date(2024, 4, 30))
    assert (inv["_source_file"], inv["_source_line"]) == ("inv.csv", 2)
    assert cn["document_type"] == "credit_note"
    assert cn["total_excl_tax"] == Decimal("150.00")
    assert cn["_source_line"] == 4
    lines = result.records["vendor.invoice_line"]
    assert [(line["invoice_number"], line["line_id"], line["_source_line"]) for line in lines] == [
        ("INV-1", "1", 2),
        ("INV-1", "2", 3),
        ("CN-1", "1", 4),
    ]
    first = lines[0]
    assert first["quantity"] == Decimal("2") and isinstance(first["quantity"], Decimal)
    assert first["unit_price"] == Decimal("150.00")
    assert first["learner_refs"] == ["a@x.com", "b@x.com"]
    assert (first["period_start"], first["period_end"]) == (date(2024, 3, 1), date(2024, 3, 31))
    assert lines[2]["learner_refs"] is None
    assert result.rejects == []


def test_rows_that_disagree_with_their_invoice_header_are_rejected(write) -> None:
    path = write(
        "inv.csv",
        f"{HEADER}\n"
        "V1,INV-1,invoice,2024-04-30,EUR,,,1,S-100,,1,100,100,\n"
        "V1,INV-1,invoice,2024-04-30,GBP,,,2,S-100,,1,100,100,\n"
        "V1,INV-1,invoice,2024-04-30,EUR,,,3,S-100,,1,100,100,\n",
    )
    result = parse(path)
    (invoice,) = result.records["vendor.invoice"]
    assert invoice["total_excl_tax"] == Decimal("200")
    assert json.loads(invoice["raw"])["total_excl_tax_note"].startswith("sum of 2 accepted lines; 1 rows")
    assert [line["line_id"] for line in result.records["vendor.invoice_line"]] == ["1", "3"]
    (reject,) = result.rejects
    assert (reject.source_line, reject.rule, reject.column_name, reject.value) == (
        3,
        "parse.inconsistent_header",
        "currency",
        "GBP",
    )
    assert "line 2" in reject.message
    assert reject.entity == "vendor.invoice_line"


def test_untypeable_rows_are_rejected_at_their_lines(write) -> None:
    path = write(
        "inv.csv",
        f"{HEADER}\n"
        "V1,INV-1,invoice,2024-04-30,EUR,,,1,S-100,,1,100,100,\n"
        "V1,INV-1,invoice,2024-04-30,EUR,,,2,S-100,,one,100,100,\n"
        "V1,INV-2,invoice,30.04.2024,EUR,,,1,S-100,,1,100,100,\n"
        "V1,INV-3,invoice,2024-04-30,EUR,,,1,S-100,,1,100,,\n",
    )
    result = parse(path)
    assert [i["invoice_number"] for i in result.records["vendor.invoice"]] == ["INV-1"]
    assert [(r.source_line, r.rule, r.column_name, r.value) for r in result.rejects] == [
        (3, "parse.invalid_number", "quantity", "one"),
        (4, "parse.invalid_date", "issue_date", "30.04.2024"),
        (5, "parse.missing_required", "line_amount", None),
    ]
    assert result.raw_rows == 1 + 1 + 3  # one invoice, one line, three rejected rows


def test_header_without_required_columns_is_a_source_error(write) -> None:
    path = write("inv.csv", "vendor_id,invoice_number,quantity\nV1,INV-1,1\n")
    with pytest.raises(SourceError) as info:
        parse(path)
    message = str(info.value)
    assert message.startswith("inv.csv: header lacks required column(s)")
    for column in ("document_type", "issue_date", "currency", "line_id", "unit_price", "line_amount"):
        assert column in message
