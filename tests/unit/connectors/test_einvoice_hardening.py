"""invoices_xml on hostile or careless documents: DTDs in any encoding, unreadable files, extreme
numbers, deep nesting, a second currency, a second id or total.

Every document here is written by the test (`einvoice_documents.py`); each problem quarantines the
whole document with one reject naming the file, the rule, the element or values, and the invoice line
where there is one. Line arithmetic and the XRechnung extension: test_einvoice_arithmetic.py.
"""

from __future__ import annotations

import codecs
import json
from decimal import Decimal
from pathlib import Path

import pytest
from einvoice_documents import (
    INVOICE,
    LINE,
    TWO_LINES,
    assert_quarantined,
    cii,
    cii_line,
    only_reject,
    parse,
    ubl,
    ubl_line,
)


def test_the_documents_written_here_load_as_they_are(write) -> None:
    """The baseline every test below changes in one place."""
    result = parse(write("ok.xml", ubl(TWO_LINES, "119.90")))
    assert result.rejects == []
    (invoice,) = result.records[INVOICE]
    assert (invoice["invoice_number"], invoice["currency"], invoice["total_excl_tax"]) == (
        "INV-1",
        "EUR",
        Decimal("119.90"),
    )
    assert [line["line_amount"] for line in result.records[LINE]] == [Decimal("19.90"), Decimal("100.00")]
    result = parse(write("ok-cii.xml", cii([cii_line(1, "2", "9.95", "19.90", "EUR")], "19.90")))
    assert result.rejects == []
    assert result.records[INVOICE][0]["invoice_number"] == "CII-1"


# --- DTDs are refused by the parser, in any encoding -----------------------------------------------------

ENCODINGS = {  # name → (codec, byte order mark)
    "utf-8": ("utf-8", b""),
    "utf-8-bom": ("utf-8", codecs.BOM_UTF8),
    "utf-16le": ("utf-16-le", b""),
    "utf-16le-bom": ("utf-16-le", codecs.BOM_UTF16_LE),
    "utf-16be": ("utf-16-be", b""),
    "utf-16be-bom": ("utf-16-be", codecs.BOM_UTF16_BE),
}


def encoded(text: str, name: str) -> bytes:
    codec, bom = ENCODINGS[name]
    if codec != "utf-8":
        text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return bom + text.encode(codec)


def with_doctype(document: str, doctype: str, entity_in: str = "") -> str:
    """The document with a DOCTYPE after its XML declaration, and `entity_in` as the seller name."""
    head, _, body = document.partition("\n")
    if entity_in:
        body = body.replace(
            "<cac:Party>", f"<cac:Party><cac:PartyName><cbc:Name>{entity_in}</cbc:Name></cac:PartyName>"
        )
    return f"{head}\n{doctype}\n{body}"


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_a_document_without_dtd_parses_in_every_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"plain-{encoding}.xml"
    path.write_bytes(encoded(ubl(TWO_LINES, "119.90"), encoding))
    result = parse(path)
    assert result.rejects == []
    assert result.records[INVOICE][0]["total_excl_tax"] == Decimal("119.90")
    assert len(result.records[LINE]) == 2


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_a_dtd_with_an_entity_is_refused_in_every_encoding(tmp_path: Path, encoding: str) -> None:
    """The old byte filter looked for `<!DOCTYPE` in bytes: UTF-16 let the DTD and its entity through."""
    document = with_doctype(ubl(TWO_LINES, "119.90"), '<!DOCTYPE Invoice [<!ENTITY who "Mallory Ltd">]>', "&who;")
    path = tmp_path / f"dtd-{encoding}.xml"
    path.write_bytes(encoded(document, encoding))
    reject = only_reject(parse(path))
    assert (reject.rule, reject.entity, reject.source_file, reject.source_line) == (
        "parse.forbidden_dtd",
        INVOICE,
        path.name,
        0,
    )
    assert path.name in reject.message


ATTACKS = ("external-entity", "external-dtd", "parameter-entity", "billion-laughs", "empty-doctype")


@pytest.mark.parametrize(
    ("name", "doctype", "reference"),
    [
        ("external-entity", '<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>', "&secret;"),
        ("external-dtd", '<!DOCTYPE Invoice SYSTEM "http://127.0.0.1:9/evil.dtd">', ""),
        ("parameter-entity", '<!DOCTYPE Invoice [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>', ""),
        (
            "billion-laughs",
            '<!DOCTYPE Invoice [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
            "&d;",
        ),
        ("empty-doctype", "<!DOCTYPE Invoice>", ""),
    ],
    ids=ATTACKS,
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16le"])
def test_entity_attacks_are_refused(tmp_path: Path, name: str, doctype: str, reference: str, encoding: str) -> None:
    path = tmp_path / f"{name}-{encoding}.xml"
    path.write_bytes(encoded(with_doctype(ubl(TWO_LINES, "119.90"), doctype, reference), encoding))
    reject = only_reject(parse(path))
    assert (reject.rule, reject.source_file) == ("parse.forbidden_dtd", path.name)
    assert "root:" not in (reject.record or "")  # nothing of /etc/passwd was read


UNREADABLE = [
    ("notes.xml", b"vendor_id,invoice_number\n", "parse.not_xml"),
    ("empty.xml", b"", "parse.not_xml"),
    ("klingon.xml", b'<?xml version="1.0" encoding="klingon-8"?><Invoice/>', "parse.malformed_xml"),
    ("sjis.xml", b'<?xml version="1.0" encoding="shift_jis"?><Invoice/>', "parse.malformed_xml"),
    ("cut.xml", b'<?xml version="1.0"?><Invoice><cbc:ID>', "parse.malformed_xml"),
    ("latin1.xml", b'<?xml version="1.0" encoding="UTF-8"?><Invoice>caf\xe9</Invoice>', "parse.malformed_xml"),
    (
        "order.xml",
        b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
        "parse.unsupported_document",
    ),
]


@pytest.mark.parametrize(("name", "data", "rule"), UNREADABLE, ids=[row[0] for row in UNREADABLE])
def test_unreadable_documents_are_rejects_not_exceptions(tmp_path: Path, name: str, data: bytes, rule: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    reject = only_reject(parse(path))
    assert (reject.rule, reject.entity, reject.source_file, reject.source_line) == (rule, INVOICE, name, 0)
    assert name in reject.message


# --- never an exception ---------------------------------------------------------------------------------------


EXTREMES = {  # name → (document, rule of its one reject)
    "nan-line-total": (ubl(TWO_LINES, "119.90").replace(">119.90</cbc:LineExtensionAmount>", ">NaN</cbc:Line"
                                                        "ExtensionAmount>"), "parse.invalid_number"),
    "snan-payable": (ubl(TWO_LINES, "119.90").replace(">119.90</cbc:PayableAmount>", ">sNaN</cbc:PayableAmount>"),
                     "parse.invalid_number"),
    "infinite-amount": (ubl([ubl_line(1, amount="Infinity")], "19.90"), "parse.invalid_number"),
    "huge-line": (ubl([ubl_line(1, "99999999999999", "99999999999999", "19.90",
                                price_extra="<cbc:BaseQuantity>0.000001</cbc:BaseQuantity>")], "19.90"),
                  "parse.invalid_number"),
    "huge-product": (cii([cii_line(1, "-99999999999999", "99999999999999", "19.90")], "19.90"),
                     "einvoice.line_amount_mismatch"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(EXTREMES))
def test_extreme_numbers_are_rejects_not_exceptions(write, name: str) -> None:
    document, rule = EXTREMES[name]
    result = parse(write(f"{name}.xml", document))
    assert result.rejects, result.records
    assert {reject.rule for reject in result.rejects} == {rule}
    assert all(reject.source_file == f"{name}.xml" for reject in result.rejects)


def test_deep_nesting_is_walked_without_recursion(write) -> None:
    """Elements nested deeper than Python's recursion limit: checked, and the reject shows what it can."""
    depth = 5000
    nested = "<cbc:Note>" * depth + "x" + "</cbc:Note>" * depth
    result = parse(write("deep.xml", ubl([ubl_line(1, amount="lots", extra=nested)], "19.90")))
    (reject,) = result.rejects
    assert (reject.rule, reject.entity, reject.source_line) == ("parse.invalid_number", LINE, 1)
    assert reject.record.startswith("<cac:InvoiceLine>")
    usd = nested.replace("<cbc:Note>x", '<cbc:Note><cbc:Amount currencyID="USD">1</cbc:Amount>x', 1)
    result = parse(write("deep-usd.xml", ubl([ubl_line(1, extra=usd)], "19.90")))
    reject = assert_quarantined(
        result, "einvoice.currency_mismatch", 1, "USD", "line 1: …/cbc:Note/", "/cbc:Note/cbc:Amount"
    )
    assert len(reject.message) < 400


# --- one currency per document ----------------------------------------------------------------------------


def test_a_second_document_currency_quarantines_the_document(write) -> None:
    document = ubl(TWO_LINES, "119.90", head="<cbc:DocumentCurrencyCode>USD</cbc:DocumentCurrencyCode>")
    reject = assert_quarantined(parse(write("two-currencies.xml", document)), "einvoice.currency_mismatch", 0)
    assert "cbc:DocumentCurrencyCode" in reject.message and "EUR" in reject.message and "USD" in reject.message
    assert reject.source_file == "two-currencies.xml"

    settlement = "<ram:InvoiceCurrencyCode>USD</ram:InvoiceCurrencyCode>"
    document = cii([cii_line(1, "2", "9.95", "19.90")], "19.90", settlement=settlement)
    assert_quarantined(parse(write("cii.xml", document)), "einvoice.currency_mismatch", 0, "ram:InvoiceCurrencyCode")


@pytest.mark.parametrize(
    ("lines", "line", "element"),
    [
        ([ubl_line(1), ubl_line(2, "1", "100.00", "100.00", currency="USD")], 2, "cbc:LineExtensionAmount"),
        (
            [ubl_line(1).replace('PriceAmount currencyID="EUR"', 'PriceAmount currencyID="GBP"'), TWO_LINES[1]],
            1,
            "cac:Price/cbc:PriceAmount",
        ),  # fmt: skip
    ],
    ids=["line-amount", "price"],
)
def test_an_amount_in_another_currency_quarantines_the_document(write, lines: list[str], line: int, element: str):
    """`currencyID="USD"` on an EUR invoice was landed as EUR."""
    result = parse(write("usd-line.xml", ubl(lines, "119.90")))
    reject = assert_quarantined(result, "einvoice.currency_mismatch", line, f"line {line}", element, "EUR")
    assert reject.value in {"USD", "GBP"}
    assert reject.value in reject.message


def test_a_document_total_in_another_currency_quarantines_the_document(write) -> None:
    document = ubl(TWO_LINES, "119.90").replace(
        '<cbc:TaxExclusiveAmount currencyID="EUR">', '<cbc:TaxExclusiveAmount currencyID="USD">'
    )
    assert_quarantined(
        parse(write("usd-total.xml", document)),
        "einvoice.currency_mismatch",
        0,
        "document level",
        "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",
        "USD",
    )
    line = cii_line(1, "2", "9.95", "19.90", currency="USD")
    assert_quarantined(parse(write("cii.xml", cii([line], "19.90"))), "einvoice.currency_mismatch", 1, "USD")


def test_the_vat_total_in_the_vat_accounting_currency_is_allowed(write) -> None:
    """EN 16931 BT-6/BT-111: the VAT total may also be given in the VAT accounting currency."""
    dkk_total = '<cac:TaxTotal><cbc:TaxAmount currencyID="DKK">0.00</cbc:TaxAmount></cac:TaxTotal>'
    document = ubl(TWO_LINES, "119.90", head="<cbc:TaxCurrencyCode>DKK</cbc:TaxCurrencyCode>", tail=dkk_total)
    result = parse(write("dkk-vat.xml", document))
    assert result.rejects == []
    assert result.records[INVOICE][0]["currency"] == "EUR"

    # without a VAT accounting currency, or in a third currency, it is another currency
    reject = assert_quarantined(
        parse(write("no-bt6.xml", ubl(TWO_LINES, "119.90", tail=dkk_total))), "einvoice.currency_mismatch", 0, "DKK"
    )
    assert "BT-6" in reject.message
    document = ubl(TWO_LINES, "119.90", head="<cbc:TaxCurrencyCode>SEK</cbc:TaxCurrencyCode>", tail=dkk_total)
    assert_quarantined(parse(write("sek.xml", document)), "einvoice.currency_mismatch", 0, "DKK")
    # BT-111 is a document total: a line amount in the VAT accounting currency is still another currency
    lines = [ubl_line(1), ubl_line(2, "1", "100.00", "100.00", currency="DKK")]
    document = ubl(lines, "119.90", head="<cbc:TaxCurrencyCode>DKK</cbc:TaxCurrencyCode>", tail=dkk_total)
    assert_quarantined(parse(write("dkk-line.xml", document)), "einvoice.currency_mismatch", 2, "DKK")

    settlement = "<ram:TaxCurrencyCode>DKK</ram:TaxCurrencyCode>"
    document = cii([cii_line(1, "2", "9.95", "19.90")], "19.90", settlement=settlement).replace(
        "</ram:GrandTotalAmount>",
        '</ram:GrandTotalAmount><ram:TaxTotalAmount currencyID="DKK">0.00</ram:TaxTotalAmount>',
    )
    assert parse(write("cii-dkk.xml", document)).rejects == []


# --- one of each --------------------------------------------------------------------------------------------


def test_two_invoice_ids_quarantine_the_document(write) -> None:
    document = ubl(TWO_LINES, "119.90").replace(
        "<cbc:ID>INV-1</cbc:ID>", "<cbc:ID>INV-1</cbc:ID><cbc:ID>INV-2</cbc:ID>"
    )
    reject = assert_quarantined(parse(write("two-ids.xml", document)), "einvoice.duplicate_element", 0, "cbc:ID")
    assert (reject.column_name, reject.value) == ("invoice_number", "INV-1;INV-2")
    assert "'INV-1'" in reject.message and "'INV-2'" in reject.message

    document = cii([cii_line(1, "2", "9.95", "19.90")], "19.90", document="<ram:ID>CII-2</ram:ID>")
    reject = assert_quarantined(
        parse(write("two-ids-cii.xml", document)), "einvoice.duplicate_element", 0, "rsm:ExchangedDocument/ram:ID"
    )
    assert reject.value == "CII-1;CII-2"


DOUBLED = {  # element → (text it follows in the document, the copy, column)
    "issue-date": ("</cbc:IssueDate>", "<cbc:IssueDate>2024-03-31</cbc:IssueDate>", "issue_date"),
    "type-code": ("</cbc:InvoiceTypeCode>", "<cbc:InvoiceTypeCode>381</cbc:InvoiceTypeCode>", "document_type"),
    "tax-exclusive": (
        "</cbc:TaxExclusiveAmount>",
        '<cbc:TaxExclusiveAmount currencyID="EUR">19.90</cbc:TaxExclusiveAmount>',
        "total_excl_tax",
    ),
    "payable": (
        "</cbc:PayableAmount>",
        '<cbc:PayableAmount currencyID="EUR">0.00</cbc:PayableAmount>',
        "payable_amount",
    ),
    "monetary-total": (
        "</cac:LegalMonetaryTotal>",
        '<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">1.00</cbc:LineExtensionAmount>'
        "</cac:LegalMonetaryTotal>",
        "line_extension_total",
    ),
    "vat-total": (
        "</cac:TaxTotal>",
        '<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">5.00</cbc:TaxAmount></cac:TaxTotal>',
        "tax_total",
    ),
    "seller": (
        "</cac:AccountingSupplierParty>",
        "<cac:AccountingSupplierParty><cac:Party><cbc:EndpointID>X</cbc:EndpointID></cac:Party>"
        "</cac:AccountingSupplierParty>",
        "seller_ids",
    ),
}


@pytest.mark.parametrize("name", list(DOUBLED))
def test_an_element_the_model_allows_once_appearing_twice_quarantines_the_document(write, name: str) -> None:
    after, copy, column = DOUBLED[name]
    document = ubl(TWO_LINES, "119.90").replace(after, after + copy, 1)
    reject = assert_quarantined(parse(write(f"{name}.xml", document)), "einvoice.duplicate_element", 0)
    assert reject.column_name == column
    assert "appears 2 times" in reject.message


LINE_DOUBLED = {  # element → (the line with it twice, column)
    "amount": (
        ubl_line(2, extra='<cbc:LineExtensionAmount currencyID="EUR">0.00</cbc:LineExtensionAmount>'),
        "line_amount",
    ),
    "quantity": (ubl_line(2, extra='<cbc:InvoicedQuantity unitCode="C62">3</cbc:InvoicedQuantity>'), "quantity"),
    "price": (ubl_line(2, price_extra='<cbc:PriceAmount currencyID="EUR">1.00</cbc:PriceAmount>'), "unit_price"),
    "base-quantity": (
        ubl_line(2, price_extra="<cbc:BaseQuantity>1</cbc:BaseQuantity><cbc:BaseQuantity>2</cbc:BaseQuantity>"),
        "base_quantity",
    ),
    "line-id": (ubl_line(2, extra="<cbc:ID>3</cbc:ID>"), "line_id"),
}


@pytest.mark.parametrize("name", list(LINE_DOUBLED))
def test_a_line_element_appearing_twice_quarantines_the_document_naming_the_line(write, name: str) -> None:
    line, column = LINE_DOUBLED[name]
    result = parse(write(f"line-{name}.xml", ubl([ubl_line(1), line], "39.80")))
    reject = assert_quarantined(result, "einvoice.duplicate_element", 2, "line 2", "appears 2 times")
    assert reject.column_name == column


def test_elements_the_model_repeats_stay_allowed(write) -> None:
    """Several preceding invoices (BG-3), a VAT total per currency, item properties: not duplicates."""
    references = "".join(
        f"<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>{number}</cbc:ID>"
        "</cac:InvoiceDocumentReference></cac:BillingReference>"
        for number in ("INV-0", "INV-00")
    )
    result = parse(write("references.xml", ubl(TWO_LINES, "119.90", head=references)))
    assert result.rejects == []
    assert json.loads(result.records[INVOICE][0]["raw"])["preceding_invoices"] == "INV-0;INV-00"


def test_a_due_date_repeated_in_each_payment_means_must_agree(write) -> None:
    """A UBL credit note gives its due date in PaymentMeans, which repeats per account: equal copies load."""

    def means(*dates: str) -> str:
        return "".join(
            f"<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>"
            f"<cbc:PaymentDueDate>{due}</cbc:PaymentDueDate></cac:PaymentMeans>"
            for due in dates
        )

    lines = [ubl_line(1, tag="CreditNoteLine", quantity_tag="CreditedQuantity")]
    result = parse(write("same.xml", ubl(lines, "19.90", root="CreditNote", tail=means("2024-04-30", "2024-04-30"))))
    assert result.rejects == []
    assert str(result.records[INVOICE][0]["due_date"]) == "2024-04-30"
    document = ubl(lines, "19.90", root="CreditNote", tail=means("2024-04-30", "2024-06-30"))
    reject = assert_quarantined(parse(write("differ.xml", document)), "einvoice.duplicate_element", 0)
    assert (reject.column_name, reject.value) == ("due_date", "2024-04-30;2024-06-30")
