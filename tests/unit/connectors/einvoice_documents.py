"""E-invoice documents written by the tests (UBL 2.1 and CII D16B), whose totals agree unless a test
changes one thing, and the assertions the e-invoice hardening tests share."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from connectors.base import ParseContext, Reject
from connectors.vendors.ubl import InvoicesXmlParser

INVOICE, LINE = "vendor.invoice", "vendor.invoice_line"
PEPPOL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
XRECHNUNG_EXTENSION = (
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
    "#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0"
)


def parse(path: Path):
    return InvoicesXmlParser().parse(path, ParseContext())


def only_reject(result) -> Reject:
    assert INVOICE not in result.records and LINE not in result.records, result.records
    (reject,) = result.rejects
    return reject


# --- documents ----------------------------------------------------------------------------------------


def ubl_line(
    number: int,
    quantity: str = "2",
    price: str = "9.95",
    amount: str = "19.90",
    *,
    currency: str = "EUR",
    extra: str = "",
    price_extra: str = "",
    tag: str = "InvoiceLine",
    quantity_tag: str = "InvoicedQuantity",
) -> str:
    return (
        f"<cac:{tag}><cbc:ID>{number}</cbc:ID>"
        f'<cbc:{quantity_tag} unitCode="C62">{quantity}</cbc:{quantity_tag}>'
        f'<cbc:LineExtensionAmount currencyID="{currency}">{amount}</cbc:LineExtensionAmount>{extra}'
        "<cac:Item><cbc:Name>Fire safety (ILT)</cbc:Name></cac:Item>"
        f'<cac:Price><cbc:PriceAmount currencyID="EUR">{price}</cbc:PriceAmount>{price_extra}</cac:Price>'
        f"</cac:{tag}>"
    )


def ubl(
    lines: list[str],
    line_total: str,
    *,
    tax: str = "0.00",
    prepaid: str | None = None,
    payable: str | None = None,
    head: str = "",
    tail: str = "",
    customization: str = PEPPOL,
    root: str = "Invoice",
) -> str:
    """A UBL invoice whose totals agree with `line_total` and `tax` unless told otherwise."""
    excl = Decimal(line_total)
    incl = excl + Decimal(tax)
    due = Decimal(payable) if payable is not None else incl - Decimal(prepaid or 0)
    prepaid_xml = f'<cbc:PrepaidAmount currencyID="EUR">{prepaid}</cbc:PrepaidAmount>' if prepaid else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" '
        'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        f"<cbc:CustomizationID>{customization}</cbc:CustomizationID>"
        "<cbc:ID>INV-1</cbc:ID><cbc:IssueDate>2024-03-31</cbc:IssueDate>"
        f"<cbc:{root}TypeCode>{381 if root == 'CreditNote' else 380}</cbc:{root}TypeCode>"
        f"<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>{head}"
        "<cac:AccountingSupplierParty><cac:Party>"
        '<cbc:EndpointID schemeID="0088">7300010000001</cbc:EndpointID>'
        "</cac:Party></cac:AccountingSupplierParty>"
        f'<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount></cac:TaxTotal>{tail}'
        "<cac:LegalMonetaryTotal>"
        f'<cbc:LineExtensionAmount currencyID="EUR">{line_total}</cbc:LineExtensionAmount>'
        f'<cbc:TaxExclusiveAmount currencyID="EUR">{excl}</cbc:TaxExclusiveAmount>'
        f'<cbc:TaxInclusiveAmount currencyID="EUR">{incl}</cbc:TaxInclusiveAmount>{prepaid_xml}'
        f'<cbc:PayableAmount currencyID="EUR">{due}</cbc:PayableAmount>'
        f"</cac:LegalMonetaryTotal>{''.join(lines)}</{root}>"
    )


def cii_line(
    number: int, quantity: str, price: str, amount: str, currency: str | None = None, settlement: str = ""
) -> str:
    attribute = f' currencyID="{currency}"' if currency else ""
    return (
        "<ram:IncludedSupplyChainTradeLineItem>"
        f"<ram:AssociatedDocumentLineDocument><ram:LineID>{number}</ram:LineID></ram:AssociatedDocumentLineDocument>"
        "<ram:SpecifiedTradeProduct><ram:Name>Fire safety</ram:Name></ram:SpecifiedTradeProduct>"
        "<ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice>"
        f"<ram:ChargeAmount>{price}</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>"
        "<ram:SpecifiedLineTradeDelivery>"
        f'<ram:BilledQuantity unitCode="C62">{quantity}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>'
        f"<ram:SpecifiedLineTradeSettlement>{settlement}<ram:SpecifiedTradeSettlementLineMonetarySummation>"
        f"<ram:LineTotalAmount{attribute}>{amount}</ram:LineTotalAmount>"
        "</ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>"
        "</ram:IncludedSupplyChainTradeLineItem>"
    )


def cii(
    lines: list[str], line_total: str, *, document: str = "", settlement: str = "", customization: str | None = None
) -> str:
    """A CII invoice (no tax) whose totals equal `line_total`; no specification identifier unless given."""
    context = (
        "<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>"
        f"<ram:ID>{customization}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>"
        if customization
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
        'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" '
        'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">'
        f"{context}<rsm:ExchangedDocument><ram:ID>CII-1</ram:ID>{document}<ram:TypeCode>380</ram:TypeCode>"
        '<ram:IssueDateTime><udt:DateTimeString format="102">20240405</udt:DateTimeString></ram:IssueDateTime>'
        f"</rsm:ExchangedDocument><rsm:SupplyChainTradeTransaction>{''.join(lines)}"
        "<ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty>"
        '<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">NL809163160B01</ram:ID></ram:SpecifiedTaxRegistration>'
        "</ram:SellerTradeParty></ram:ApplicableHeaderTradeAgreement>"
        f"<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>{settlement}"
        "<ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
        f"<ram:LineTotalAmount>{line_total}</ram:LineTotalAmount>"
        f"<ram:TaxBasisTotalAmount>{line_total}</ram:TaxBasisTotalAmount>"
        '<ram:TaxTotalAmount currencyID="EUR">0.00</ram:TaxTotalAmount>'
        f"<ram:GrandTotalAmount>{line_total}</ram:GrandTotalAmount>"
        f"<ram:DuePayableAmount>{line_total}</ram:DuePayableAmount>"
        "</ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement>"
        "</rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>"
    )


TWO_LINES = [ubl_line(1), ubl_line(2, "1", "100.00", "100.00")]


def assert_quarantined(result, rule: str, line: int, *fragments: str) -> Reject:
    reject = only_reject(result)
    assert (reject.rule, reject.entity, reject.source_line) == (rule, INVOICE, line), reject.message
    for fragment in fragments:
        assert fragment in reject.message, (fragment, reject.message)
    return reject


def ubl_allowance_charge(charge: bool, amount: str) -> str:
    return (
        f"<cac:AllowanceCharge><cbc:ChargeIndicator>{str(charge).lower()}</cbc:ChargeIndicator>"
        f'<cbc:Amount currencyID="EUR">{amount}</cbc:Amount></cac:AllowanceCharge>'
    )


def cii_allowance_charge(charge: bool, amount: str) -> str:
    return (
        "<ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator>"
        f"<udt:Indicator>{str(charge).lower()}</udt:Indicator></ram:ChargeIndicator>"
        f"<ram:ActualAmount>{amount}</ram:ActualAmount></ram:SpecifiedTradeAllowanceCharge>"
    )


def third_party(amount: str, kind: str = "Deposit", description: str = "Paid by the sponsor", currency: str = "EUR"):
    """XRechnung BG-DEX-09: type (BT-DEX-001), amount (BT-DEX-002), description (BT-DEX-003)."""
    return (
        f"<cac:PrepaidPayment><cbc:ID>{kind}</cbc:ID>"
        f'<cbc:PaidAmount currencyID="{currency}">{amount}</cbc:PaidAmount>'
        f"<cbc:InstructionID>{description}</cbc:InstructionID></cac:PrepaidPayment>"
    )
