"""invoices_xml: UBL 2.1 Invoice/CreditNote and UN/CEFACT CII, on hand-made documents, the real
CEN EN 16931 examples and UBL documents written for these tests (tests/fixtures/invoices)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import ParseContext, SourceError
from connectors.vendors.ubl import InvoicesXmlParser, resolve_vendor

INVOICE, LINE = "vendor.invoice", "vendor.invoice_line"

# Seller ids read from the fixtures; V-GB-NWL is listed bare, the documents name it 0088:… (value
# match); V-SE-KGN by its VAT number. V-GB-A is the seller of the hand-made documents below.
VENDORS_CSV = """vendor_id,name,identifiers
V-GB-A,Hand-made test seller,0088:7300010000001
V-GB-NWL,Northwind Learning Ltd,5098765000019
V-SE-KGN,Kursgården Nord AB,SE556732170701
V-DK,SellerCompany,0088:5790000436101
V-NL,De Koksmaat,NL8200.98.395.B.01
V-DK-NEG,Negative invoicer,DK12345678
V-NL-9,Bluem BV,NL809163160B01
"""


@pytest.fixture
def reference(tmp_path: Path) -> ParseContext:
    ref = tmp_path / "reference"
    ref.mkdir()
    (ref / "vendors.csv").write_text(VENDORS_CSV, encoding="utf-8")
    return ParseContext(reference_dir=ref)


def parse(path: Path, context: ParseContext):
    return InvoicesXmlParser().parse(path, context)


def sample(samples: Path, relative: str) -> Path:
    return samples / "invoices" / relative


def only_invoice(result) -> dict:
    (invoice,) = result.records[INVOICE]
    return invoice


# --- the sample documents -----------------------------------------------------------------------------

LINE_ELEMENT = re.compile(r"<(?:cac:InvoiceLine|cac:CreditNoteLine|ram:IncludedSupplyChainTradeLineItem)[\s>]")


def test_every_sample_invoice_becomes_records_or_a_clear_reject(samples: Path, reference: ParseContext) -> None:
    files = sorted(path for path in (samples / "invoices").rglob("*") if path.suffix.lower() == ".xml")
    assert len(files) == 33  # 28 CEN EN 16931 examples + 5 of our own
    resolved = set()
    for file in files:
        result = parse(file, reference)
        if INVOICE in result.records:
            invoice = only_invoice(result)
            assert invoice["vendor_id"].startswith("V-"), file
            assert invoice["issue_date"] and invoice["currency"] and invoice["invoice_number"], file
            assert isinstance(invoice["total_excl_tax"], Decimal), file
            elements = len(LINE_ELEMENT.findall(file.read_text(encoding="utf-8")))
            assert elements >= 1
            assert len(result.records.get(LINE, [])) + len(result.rejects) == elements, file
            resolved.add(file.name)
        else:
            (reject,) = result.rejects
            assert reject.rule == "parse.unknown_vendor", file
            assert (reject.entity, reject.source_line, reject.column_name) == (INVOICE, 0, "seller_ids")
            assert json.loads(reject.record)["seller_ids"], file
            assert reject.value in reject.message
    known = {"invoice-vat-categories.xml", "ubl-tc434-example1.xml", "CII_example4.xml", "BIS3_Invoice_negativ.XML"}
    assert known <= resolved
    assert "invoice-outside-scope.xml" not in resolved  # its seller is not in vendors.csv


def test_every_sample_invoice_is_typeable_without_reference_data(samples: Path) -> None:
    files = sorted(path for path in (samples / "invoices").rglob("*") if path.suffix.lower() == ".xml")
    for file in files:
        result = parse(file, ParseContext())
        assert result.rejects == [], file
        invoice = only_invoice(result)
        assert invoice["vendor_id"] == invoice["seller_ids"].split(";")[0], file
        assert invoice["document_type"] in {"invoice", "credit_note"}
        for line in result.records[LINE]:
            for column in ("quantity", "unit_price", "line_amount"):
                assert isinstance(line[column], Decimal), (file, column)


def test_ubl_invoice_figures(samples: Path, reference: ParseContext) -> None:
    result = parse(sample(samples, "cen-en16931/ubl/ubl-tc434-example1.xml"), reference)
    invoice = only_invoice(result)
    assert invoice["vendor_id"] == "V-NL"  # matched on the bare VAT number
    assert invoice["invoice_number"] == "12115118"
    assert invoice["document_type"] == "invoice"
    assert invoice["issue_date"] == date(2015, 1, 9)
    assert invoice["currency"] == "EUR"
    assert invoice["total_excl_tax"] == Decimal("229.60")
    assert invoice["tax_total"] == Decimal("20.73")
    assert invoice["total_incl_tax"] == Decimal("250.33")
    assert invoice["seller_ids"] == "57151520;NL8200.98.395.B.01"
    assert invoice["_source_line"] == 0
    lines = result.records[LINE]
    assert len(lines) == 20
    first = lines[0]
    assert (first["vendor_id"], first["invoice_number"], first["line_id"]) == ("V-NL", "12115118", "1")
    assert (first["quantity"], first["unit_price"], first["line_amount"]) == (
        Decimal("2"),
        Decimal("9.95"),
        Decimal("19.90"),
    )
    assert first["item_ref"] == "166022"
    assert first["description"] == "PATAT FRITES 10MM 10KG"
    assert [line["_source_line"] for line in lines] == list(range(1, 21))
    assert sum(line["line_amount"] for line in lines) == Decimal("229.60")


def test_tax_total_is_the_one_in_document_currency(samples: Path, reference: ParseContext) -> None:
    invoice = only_invoice(parse(sample(samples, "cen-en16931/ubl/ubl-tc434-example5.xml"), reference))
    assert invoice["currency"] == "DKK"
    assert invoice["tax_total"] == Decimal("675.00")  # not the EUR TaxTotal of 628.62
    assert invoice["preceding_invoice"] == "TOSL109"


def test_credit_note_381_with_a_negative_line(samples: Path, reference: ParseContext) -> None:
    result = parse(sample(samples, "trainops-ubl/credit-note-381.xml"), reference)
    invoice = only_invoice(result)
    assert invoice["vendor_id"] == "V-GB-NWL"  # 0088:5098765000019 ↔ bare 5098765000019
    assert invoice["document_type"] == "credit_note"
    assert invoice["preceding_invoice"] == "NWL-INV-0417"
    # the document's own (positive) amounts: lines 1350.00 - 450.00 + a 5 % charge of 45.00
    assert (invoice["total_excl_tax"], invoice["tax_total"], invoice["total_incl_tax"]) == (
        Decimal("945.00"),
        Decimal("189.00"),
        Decimal("1134.00"),
    )
    assert invoice["seller_ids"] == "0088:5098765000019;NWL-7781;04512398;GB998877665"
    assert json.loads(invoice["raw"])["charge_total"] == "45.00"
    first, second = result.records[LINE]
    assert (first["quantity"], first["unit_price"], first["line_amount"]) == (
        Decimal("3"),
        Decimal("450.00"),
        Decimal("1350.00"),
    )
    assert (second["quantity"], second["line_amount"]) == (Decimal("-1"), Decimal("-450.00"))


def test_cen_credit_note_with_credited_quantity(samples: Path) -> None:
    result = parse(sample(samples, "cen-en16931/ubl/ubl-tc434-creditnote1.xml"), ParseContext())
    invoice = only_invoice(result)
    assert invoice["document_type"] == "credit_note"
    assert invoice["period_start"] == date(2019, 2, 1)
    (line,) = result.records[LINE]
    assert (line["quantity"], line["line_amount"]) == (Decimal("1.00"), Decimal("100.11"))


def test_negative_invoice_stays_an_invoice(samples: Path, reference: ParseContext) -> None:
    correction = only_invoice(parse(sample(samples, "trainops-ubl/invoice-negative-380.xml"), reference))
    assert (correction["vendor_id"], correction["document_type"]) == ("V-GB-NWL", "invoice")
    assert (correction["total_excl_tax"], correction["total_incl_tax"]) == (Decimal("-945.00"), Decimal("-1134.00"))
    assert correction["preceding_invoice"] == "NWL-INV-0417"

    result = parse(sample(samples, "cen-en16931/ubl/BIS3_Invoice_negativ.XML"), reference)
    invoice = only_invoice(result)
    assert (invoice["vendor_id"], invoice["document_type"]) == ("V-DK-NEG", "invoice")
    assert invoice["total_excl_tax"] == Decimal("-625743.54")
    assert invoice["period_start"] == date(2018, 9, 1)
    (line,) = result.records[LINE]
    assert (line["quantity"], line["unit_price"], line["line_amount"]) == (
        Decimal("-1"),
        Decimal("625743.54"),
        Decimal("-625743.54"),
    )


def test_base_quantity_gives_the_price_of_one_unit(samples: Path, reference: ParseContext) -> None:
    result = parse(sample(samples, "trainops-ubl/invoice-base-quantity.xml"), reference)
    line = result.records[LINE][0]
    assert line["line_id"] == "1"
    assert (line["quantity"], line["unit_price"], line["line_amount"]) == (
        Decimal("250"),
        Decimal("3.60"),  # 36.00 per 10
        Decimal("900.00"),
    )
    raw = json.loads(line["raw"])
    assert (raw["price_amount"], raw["base_quantity"]) == ("36.00", "10")
    assert "base_quantity" not in json.loads(result.records[LINE][1]["raw"])  # a price per unit


def test_tax_currency_prepaid_and_rounding(samples: Path, reference: ParseContext) -> None:
    """VAT stated in a second currency (TaxCurrencyCode) is not the document's tax; prepaid and
    rounding amounts are kept and checked (2467.50 - 500.00 + 0.50 = 1968.00 payable)."""
    invoice = only_invoice(parse(sample(samples, "trainops-ubl/invoice-base-quantity.xml"), reference))
    assert (invoice["vendor_id"], invoice["currency"]) == ("V-SE-KGN", "EUR")  # matched on the VAT number
    assert invoice["tax_total"] == Decimal("493.50")  # not the SEK TaxTotal of 5527.20 listed first
    assert (invoice["total_excl_tax"], invoice["total_incl_tax"]) == (Decimal("1974.00"), Decimal("2467.50"))
    raw = json.loads(invoice["raw"])
    assert (raw["allowance_total"], raw["charge_total"]) == ("96.00", "150.00")
    assert (raw["prepaid_amount"], raw["rounding_amount"], raw["payable_amount"]) == ("500.00", "0.50", "1968.00")


def test_vat_categories_exempt_zero_and_standard(samples: Path, reference: ParseContext) -> None:
    result = parse(sample(samples, "trainops-ubl/invoice-vat-categories.xml"), reference)
    invoice = only_invoice(result)
    assert (invoice["total_excl_tax"], invoice["tax_total"], invoice["total_incl_tax"]) == (
        Decimal("1350.00"),
        Decimal("48.00"),  # 20 % of the 240.00 standard-rated line only
        Decimal("1398.00"),
    )
    assert [line["line_amount"] for line in result.records[LINE]] == [
        Decimal("1020.00"),
        Decimal("90.00"),
        Decimal("240.00"),
    ]


def test_cii_invoice_figures(samples: Path, reference: ParseContext) -> None:
    result = parse(sample(samples, "cen-en16931/cii/CII_example4.xml"), reference)
    invoice = only_invoice(result)
    assert invoice["vendor_id"] == "V-DK"  # GlobalID schemeID 0088
    assert invoice["invoice_number"] == "TOSL110"
    assert invoice["issue_date"] == date(2013, 4, 10)  # format 102
    assert invoice["due_date"] == date(2013, 5, 10)
    assert invoice["currency"] == "DKK"
    assert (invoice["total_excl_tax"], invoice["tax_total"], invoice["total_incl_tax"]) == (
        Decimal("4000"),
        Decimal("675"),
        Decimal("4675"),
    )
    assert invoice["purchase_order"] == "123"
    assert invoice["seller_ids"] == "0088:5790000436101;DK16356706"
    lines = result.records[LINE]
    assert [line["item_ref"] for line in lines] == ["JB007", "JB008", "JB009"]
    pen = lines[1]
    assert (pen["line_id"], pen["description"]) == ("2", "Parker Pen")
    assert (pen["quantity"], pen["unit_price"], pen["line_amount"]) == (Decimal("100"), Decimal("5"), Decimal("500"))


def test_cii_basis_quantity_and_line_period(samples: Path, reference: ParseContext) -> None:
    result = parse(sample(samples, "cen-en16931/cii/CII_example9.xml"), reference)
    (line,) = result.records[LINE]
    assert line["unit_price"] == Decimal("1")  # ChargeAmount 49 per BasisQuantity 49
    assert (line["period_start"], line["period_end"]) == (date(2016, 4, 1), date(2016, 4, 1))
    assert json.loads(line["raw"])["item_properties"] == {"Verbruikscategorie": "Start"}


# --- hand-made documents -------------------------------------------------------------------------------

UBL_NS = (
    'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"'
)


def ubl_line(line_id: str, amount: str = "300.00", learners: tuple[str, ...] = ()) -> str:
    properties = "".join(
        f"<cac:AdditionalItemProperty><cbc:Name>learner</cbc:Name><cbc:Value>{learner}</cbc:Value>"
        "</cac:AdditionalItemProperty>"
        for learner in learners
    )
    return (
        f"<cac:InvoiceLine><cbc:ID>{line_id}</cbc:ID>"
        '<cbc:InvoicedQuantity unitCode="C62">2</cbc:InvoicedQuantity>'
        f'<cbc:LineExtensionAmount currencyID="GBP">{amount}</cbc:LineExtensionAmount>'
        "<cac:InvoicePeriod><cbc:StartDate>2024-03-04</cbc:StartDate><cbc:EndDate>2024-03-04</cbc:EndDate>"
        "</cac:InvoicePeriod>"
        "<cac:Item><cbc:Name>Fire safety (ILT)</cbc:Name>"
        "<cac:SellersItemIdentification><cbc:ID>SESSION-42</cbc:ID></cac:SellersItemIdentification>"
        f"{properties}</cac:Item>"
        '<cac:Price><cbc:PriceAmount currencyID="GBP">150.00</cbc:PriceAmount></cac:Price>'
        "</cac:InvoiceLine>"
    )


def ubl_invoice(lines: str, issue_date: str = "2024-03-31", endpoint: str = "7300010000001") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Invoice {UBL_NS}>'
        f"<cbc:ID>INV-9</cbc:ID><cbc:IssueDate>{issue_date}</cbc:IssueDate>"
        "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>GBP</cbc:DocumentCurrencyCode>"
        "<cac:AccountingSupplierParty><cac:Party>"
        f'<cbc:EndpointID schemeID="0088">{endpoint}</cbc:EndpointID>'
        "</cac:Party></cac:AccountingSupplierParty>"
        '<cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="GBP">600.00</cbc:TaxExclusiveAmount>'
        "</cac:LegalMonetaryTotal>"
        f"{lines}</Invoice>"
    )


def test_learners_are_item_properties_named_learner(write, reference: ParseContext) -> None:
    path = write("inv.xml", ubl_invoice(ubl_line("1", learners=("a@x.com", "E-123")) + ubl_line("2")))
    result = parse(path, reference)
    assert only_invoice(result)["vendor_id"] == "V-GB-A"
    first, second = result.records[LINE]
    assert first["learner_refs"] == ["a@x.com", "E-123"]
    assert first["item_ref"] == "SESSION-42"
    assert (first["period_start"], first["period_end"]) == (date(2024, 3, 4), date(2024, 3, 4))
    assert second["learner_refs"] is None


def test_a_bad_line_is_rejected_and_the_header_still_lands(write, reference: ParseContext) -> None:
    path = write("inv.xml", ubl_invoice(ubl_line("1") + ubl_line("2", amount="3OO.00") + ubl_line("3")))
    result = parse(path, reference)
    invoice = only_invoice(result)
    assert invoice["total_excl_tax"] == Decimal("600.00")
    assert [line["line_id"] for line in result.records[LINE]] == ["1", "3"]
    assert [line["_source_line"] for line in result.records[LINE]] == [1, 3]
    (reject,) = result.rejects
    assert (reject.entity, reject.source_line, reject.rule) == (LINE, 2, "parse.invalid_number")
    assert (reject.column_name, reject.value) == ("line_amount", "3OO.00")
    assert reject.record.startswith("<cac:InvoiceLine") and "3OO.00" in reject.record


def test_a_bad_header_rejects_the_document_once(write, reference: ParseContext) -> None:
    path = write("inv.xml", ubl_invoice(ubl_line("1") + ubl_line("2"), issue_date="31/03/2024"))
    result = parse(path, reference)
    assert result.records == {}
    (reject,) = result.rejects
    assert (reject.entity, reject.source_line, reject.rule, reject.value) == (
        INVOICE,
        0,
        "parse.invalid_date",
        "31/03/2024",
    )
    assert "2 lines" in reject.message
    assert "<cbc:ID>INV-9</cbc:ID>" in reject.record


def test_unknown_vendor_is_one_reject_naming_the_seller_ids(write, reference: ParseContext) -> None:
    path = write("inv.xml", ubl_invoice(ubl_line("1") + ubl_line("2"), endpoint="1111111111111"))
    result = parse(path, reference)
    assert result.records == {}
    (reject,) = result.rejects
    assert (reject.rule, reject.value) == ("parse.unknown_vendor", "0088:1111111111111")
    assert json.loads(reject.record) == {"seller_ids": ["0088:1111111111111"]}


def test_seller_ids_matching_several_vendors_are_ambiguous(write, tmp_path: Path) -> None:
    ref = tmp_path / "ref2"
    ref.mkdir()
    (ref / "vendors.csv").write_text(
        "vendor_id,name,identifiers\nV1,One,0088:7300010000001\nV2,Two,7300010000001;GB1\n", encoding="utf-8"
    )
    result = parse(write("inv.xml", ubl_invoice(ubl_line("1"))), ParseContext(reference_dir=ref))
    (reject,) = result.rejects
    assert reject.rule == "parse.ambiguous_vendor"
    assert "V1, V2" in reject.message


def test_without_reference_data_the_first_seller_id_stands_in(write) -> None:
    result = parse(write("inv.xml", ubl_invoice(ubl_line("1"))), ParseContext())
    invoice = only_invoice(result)
    assert invoice["vendor_id"] == "0088:7300010000001"
    assert "first seller id" in json.loads(invoice["raw"])["vendor_id_from"]


def test_missing_vendors_csv_is_a_source_error(write, tmp_path: Path) -> None:
    empty = tmp_path / "empty-ref"
    empty.mkdir()
    with pytest.raises(SourceError, match="vendors.csv not found"):
        parse(write("inv.xml", ubl_invoice(ubl_line("1"))), ParseContext(reference_dir=empty))


def test_vendor_resolution_rules() -> None:
    index = {"0088:7300010000001": ("V1",), "GB123": ("V2",), "99887766": ("V1", "V3")}
    assert resolve_vendor(["0088:7300010000001", "GB123"], index) == ["V1", "V2"]  # several: ambiguous
    assert resolve_vendor(["SEPA:GB123"], index) == ["V2"]  # qualified seller id ↔ bare listing
    assert resolve_vendor(["GB999"], index) == []


CII_DOC = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocument><ram:ID>CN-7</ram:ID><ram:TypeCode>381</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20240405</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
   <ram:SpecifiedTradeProduct><ram:SellerAssignedID>SESSION-42</ram:SellerAssignedID><ram:Name>Fire safety</ram:Name>
    <ram:ApplicableProductCharacteristic><ram:Description>learner</ram:Description><ram:Value>a@x.com</ram:Value>
    </ram:ApplicableProductCharacteristic>
   </ram:SpecifiedTradeProduct>
   <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>150</ram:ChargeAmount>
   </ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
   <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity>
   </ram:SpecifiedLineTradeDelivery>
   <ram:SpecifiedLineTradeSettlement><ram:SpecifiedTradeSettlementLineMonetarySummation>
    <ram:LineTotalAmount>150</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
   </ram:SpecifiedLineTradeSettlement>
  </ram:IncludedSupplyChainTradeLineItem>
  <ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty>
   <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">NL809163160B01</ram:ID></ram:SpecifiedTaxRegistration>
  </ram:SellerTradeParty></ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:InvoiceReferencedDocument><ram:IssuerAssignedID>INV-7</ram:IssuerAssignedID></ram:InvoiceReferencedDocument>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:TaxBasisTotalAmount>150</ram:TaxBasisTotalAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def test_cii_credit_note_with_learners(write, reference: ParseContext) -> None:
    result = parse(write("cn.xml", CII_DOC), reference)
    invoice = only_invoice(result)
    assert (invoice["vendor_id"], invoice["invoice_number"], invoice["document_type"]) == (
        "V-NL-9",
        "CN-7",
        "credit_note",
    )
    assert invoice["issue_date"] == date(2024, 4, 5)
    assert invoice["preceding_invoice"] == "INV-7"
    (line,) = result.records[LINE]
    assert line["learner_refs"] == ["a@x.com"]
    assert (line["item_ref"], line["quantity"], line["unit_price"]) == ("SESSION-42", Decimal("1"), Decimal("150"))


def test_unreadable_documents(write, reference: ParseContext) -> None:
    """Not XML, a DTD, another root: one reject naming the file, never an exception."""
    for name, text, rule in [
        ("notes.xml", "vendor_id,invoice_number\n", "parse.not_xml"),
        ("dtd.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "parse.forbidden_dtd"),
        (
            "order.xml",
            '<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
            "parse.unsupported_document",
        ),
    ]:
        (reject,) = parse(write(name, text), reference).rejects
        assert (reject.rule, reject.source_file, reject.source_line) == (rule, name, 0)
        assert reject.message.startswith(f"{name}: ")

    truncated = ubl_invoice(ubl_line("1"))[:-40]
    result = parse(write("cut.xml", truncated), reference)
    (reject,) = result.rejects
    assert (reject.rule, reject.entity, reject.source_line) == ("parse.malformed_xml", INVOICE, 0)
    assert reject.record == truncated


def test_sample_line_totals_equal_the_declared_line_total(samples: Path, reference: ParseContext) -> None:
    """BR-CO-10 holds on every real sample that loads: the canonical lines add up to BT-106."""
    for file in sorted(path for path in (samples / "invoices").rglob("*") if path.suffix.lower() == ".xml"):
        result = parse(file, reference)
        if INVOICE not in result.records or result.rejects:
            continue
        declared = json.loads(only_invoice(result)["raw"]).get("line_extension_total")
        if declared is not None:
            assert sum(line["line_amount"] for line in result.records[LINE]) == Decimal(declared), file


@pytest.mark.parametrize("syntax", ["ubl", "cii"])
def test_a_document_whose_lines_do_not_add_up_is_quarantined_whole(
    samples: Path, reference: ParseContext, write, syntax: str
) -> None:
    if syntax == "ubl":
        source = sample(samples, "cen-en16931/ubl/ubl-tc434-example1.xml").read_text(encoding="utf-8")
        pattern = r"(<cac:LegalMonetaryTotal>\s*<cbc:LineExtensionAmount[^>]*>)([^<]+)"
    else:
        source = sample(samples, "cen-en16931/cii/CII_example4.xml").read_text(encoding="utf-8")
        pattern = r"(<ram:SpecifiedTradeSettlementHeaderMonetarySummation>\s*<ram:LineTotalAmount[^>]*>)([^<]+)"
    match = re.search(pattern, source)
    assert match is not None
    declared = Decimal(match.group(2))
    tampered = source[: match.start(2)] + str(declared + Decimal("10.00")) + source[match.end(2) :]
    result = parse(write(f"tampered-{syntax}.xml", tampered), reference)
    assert result.records == {}
    (reject,) = result.rejects
    assert (reject.rule, reject.entity, reject.source_line) == ("parse.totals_mismatch", INVOICE, 0)
    assert "difference -10.00" in reject.message


@pytest.mark.parametrize(
    ("relative", "element", "rule"),
    [
        ("cen-en16931/ubl/ubl-tc434-example2.xml", "cbc:AllowanceTotalAmount", "BR-CO-13"),
        ("cen-en16931/ubl/ubl-tc434-example2.xml", "cbc:PayableAmount", "BR-CO-16"),
        ("cen-en16931/ubl/ubl-tc434-example2.xml", "cbc:TaxInclusiveAmount", "BR-CO-15"),
        ("cen-en16931/cii/CII_example5.xml", "ram:AllowanceTotalAmount", "BR-CO-13"),
        ("cen-en16931/cii/CII_example5.xml", "ram:DuePayableAmount", "BR-CO-16"),
        ("trainops-ubl/invoice-base-quantity.xml", "cbc:PayableAmount", "BR-CO-16"),  # prepaid + rounding
        ("trainops-ubl/invoice-outside-scope.xml", "cbc:PayableAmount", "BR-CO-16"),  # negative rounding
    ],
)
def test_document_totals_that_disagree_quarantine_the_document(
    samples: Path, write, relative: str, element: str, rule: str
) -> None:
    """Allowances, charges, tax, prepaid and rounding at document level must add up (EN 16931
    BR-CO-13/15/16): the real sample loads; the same document with one total off by 1 does not."""
    source = sample(samples, relative).read_text(encoding="utf-8")
    assert parse(write("real.xml", source), ParseContext()).rejects == []
    pattern = rf"(<{element}\b[^>]*>)([^<]+)(</{element}>)"
    matches = list(re.finditer(pattern, source))
    match = matches[-1]  # the document-level one (CII repeats some names per tax breakdown)
    tampered = source[: match.start(2)] + str(Decimal(match.group(2)) + 1) + source[match.end(2) :]
    result = parse(write("tampered.xml", tampered), ParseContext())
    assert result.records == {}
    (reject,) = result.rejects
    assert (reject.rule, reject.entity, reject.source_line) == ("parse.totals_mismatch", INVOICE, 0)
    assert reject.message.startswith(rule), reject.message
    assert "difference" in reject.message
