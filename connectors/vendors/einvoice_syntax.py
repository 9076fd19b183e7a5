"""Where UBL 2.1 (Invoice, CreditNote) and UN/CEFACT CII D16B keep the fields `invoices_xml` reads
(docs/data-model.md), as ElementTree paths: one `Syntax` each, the mapping and checks are shared."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from connectors.vendors.einvoice_xml import NS, qualified, text_of, unique

Fields = dict[str, tuple[tuple[str, ...], str]]  # column → (alternate paths, type)


@dataclass(frozen=True)
class Syntax:
    """Where one XML syntax keeps the fields of docs/data-model.md (ElementTree paths, alternates in order)."""

    name: str
    header: Fields
    repeatable: frozenset[str]  # header columns the model allows several times (the others: once)
    in_repeated_group: frozenset[str]  # header paths inside a group the syntax repeats: copies must agree
    type_code: tuple[str, ...]
    currency: str  # BT-5, the invoice currency code
    tax_currency: str  # BT-6, the VAT accounting currency code
    tax_total: str  # tax amount elements: BT-110 in the document currency, BT-111 in the tax currency
    seller: str  # the seller party
    seller_ids: Callable[[ET.Element], list[str]]  # the seller party → its identifiers
    lines: tuple[str, ...]  # the line elements, under the root
    line: Fields
    base_quantity: str
    allowance_charges: str  # line-level allowances and charges, under a line
    charge_indicator: str  # under an allowance/charge: `true` for a charge
    allowance_amount: str  # under an allowance/charge
    properties: str  # item properties under a line
    property_name: str
    property_value: str
    extras: dict[str, str]  # header fields kept in raw: name → path
    line_extras: dict[str, str]
    third_party_payments: str | None  # XRechnung extension BG-DEX-09 (UBL only)


_STL = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
_AGR = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
_SUM = f"{_STL}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
_LINE_STL = "ram:SpecifiedLineTradeSettlement"
_LINE_SUM = f"{_LINE_STL}/ram:SpecifiedTradeSettlementLineMonetarySummation"


def _ubl_seller_ids(party: ET.Element) -> list[str]:
    return unique(
        [qualified(element) for element in party.findall("cbc:EndpointID", NS)]
        + [qualified(element) for element in party.findall("cac:PartyIdentification/cbc:ID", NS)]
        + [qualified(element) for element in party.findall("cac:PartyLegalEntity/cbc:CompanyID", NS)]
        + [
            text_of(scheme.find("cbc:CompanyID", NS))  # the bare VAT number; other tax schemes are not ids
            for scheme in party.findall("cac:PartyTaxScheme", NS)
            if (text_of(scheme.find("cac:TaxScheme/cbc:ID", NS)) or "").upper() == "VAT"
        ]
    )


def _cii_seller_ids(party: ET.Element) -> list[str]:
    return unique(
        [qualified(element) for element in party.findall("ram:URIUniversalCommunication/ram:URIID", NS)]
        + [text_of(element) for element in party.findall("ram:ID", NS)]
        + [qualified(element) for element in party.findall("ram:GlobalID", NS)]
        + [qualified(element) for element in party.findall("ram:SpecifiedLegalOrganization/ram:ID", NS)]
        + [text_of(element) for element in party.findall("ram:SpecifiedTaxRegistration/ram:ID", NS)]
    )


UBL = Syntax(
    name="ubl",
    header={
        "invoice_number": (("cbc:ID",), "str"),
        "issue_date": (("cbc:IssueDate",), "date"),
        "due_date": (("cbc:DueDate", "cac:PaymentMeans/cbc:PaymentDueDate"), "date"),
        "currency": (("cbc:DocumentCurrencyCode",), "upper"),
        "period_start": (("cac:InvoicePeriod/cbc:StartDate",), "date"),
        "period_end": (("cac:InvoicePeriod/cbc:EndDate",), "date"),
        "total_excl_tax": (("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",), "decimal"),
        "total_incl_tax": (("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",), "decimal"),
        "purchase_order": (("cac:OrderReference/cbc:ID",), "str"),
        "preceding_invoice": (("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",), "str"),
    },
    repeatable=frozenset({"preceding_invoice"}),  # BG-3 is 0..n
    in_repeated_group=frozenset({"cac:PaymentMeans/cbc:PaymentDueDate"}),  # one PaymentMeans per account
    type_code=("cbc:InvoiceTypeCode", "cbc:CreditNoteTypeCode"),
    currency="cbc:DocumentCurrencyCode",
    tax_currency="cbc:TaxCurrencyCode",
    tax_total="cac:TaxTotal/cbc:TaxAmount",
    seller="cac:AccountingSupplierParty/cac:Party",
    seller_ids=_ubl_seller_ids,
    lines=("cac:InvoiceLine", "cac:CreditNoteLine"),
    line={
        "line_id": (("cbc:ID",), "str"),
        "quantity": (("cbc:InvoicedQuantity", "cbc:CreditedQuantity"), "decimal"),
        "line_amount": (("cbc:LineExtensionAmount",), "decimal"),
        "unit_price": (("cac:Price/cbc:PriceAmount",), "decimal"),
        "item_ref": (("cac:Item/cac:SellersItemIdentification/cbc:ID",), "str"),
        "description": (("cac:Item/cbc:Name",), "str"),
        "period_start": (("cac:InvoicePeriod/cbc:StartDate",), "date"),
        "period_end": (("cac:InvoicePeriod/cbc:EndDate",), "date"),
    },
    base_quantity="cac:Price/cbc:BaseQuantity",
    allowance_charges="cac:AllowanceCharge",
    charge_indicator="cbc:ChargeIndicator",
    allowance_amount="cbc:Amount",
    properties="cac:Item/cac:AdditionalItemProperty",
    property_name="cbc:Name",
    property_value="cbc:Value",
    extras={
        "customization_id": "cbc:CustomizationID",
        "buyer_reference": "cbc:BuyerReference",
        "payable_amount": "cac:LegalMonetaryTotal/cbc:PayableAmount",
        "line_extension_total": "cac:LegalMonetaryTotal/cbc:LineExtensionAmount",
        "allowance_total": "cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount",
        "charge_total": "cac:LegalMonetaryTotal/cbc:ChargeTotalAmount",
        "prepaid_amount": "cac:LegalMonetaryTotal/cbc:PrepaidAmount",
        "rounding_amount": "cac:LegalMonetaryTotal/cbc:PayableRoundingAmount",
        "seller_name": "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
    },
    line_extras={
        "item_description": "cac:Item/cbc:Description",
        "standard_item_id": "cac:Item/cac:StandardItemIdentification/cbc:ID",
        "order_line": "cac:OrderLineReference/cbc:LineID",
    },
    third_party_payments="cac:PrepaidPayment",
)

CII = Syntax(
    name="cii",
    header={
        "invoice_number": (("rsm:ExchangedDocument/ram:ID",), "str"),
        "issue_date": (("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",), "date"),
        "due_date": ((f"{_STL}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",), "date"),
        "currency": ((f"{_STL}/ram:InvoiceCurrencyCode",), "upper"),
        "period_start": ((f"{_STL}/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString",), "date"),
        "period_end": ((f"{_STL}/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString",), "date"),
        "total_excl_tax": ((f"{_SUM}/ram:TaxBasisTotalAmount",), "decimal"),
        "total_incl_tax": ((f"{_SUM}/ram:GrandTotalAmount",), "decimal"),
        "purchase_order": ((f"{_AGR}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",), "str"),
        "preceding_invoice": ((f"{_STL}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID",), "str"),
    },
    repeatable=frozenset({"preceding_invoice"}),
    in_repeated_group=frozenset(),
    type_code=("rsm:ExchangedDocument/ram:TypeCode",),
    currency=f"{_STL}/ram:InvoiceCurrencyCode",
    tax_currency=f"{_STL}/ram:TaxCurrencyCode",
    tax_total=f"{_SUM}/ram:TaxTotalAmount",
    seller=f"{_AGR}/ram:SellerTradeParty",
    seller_ids=_cii_seller_ids,
    lines=("rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem",),
    line={
        "line_id": (("ram:AssociatedDocumentLineDocument/ram:LineID",), "str"),
        "quantity": (("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",), "decimal"),
        "line_amount": ((f"{_LINE_SUM}/ram:LineTotalAmount",), "decimal"),
        "unit_price": (("ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount",), "decimal"),
        "item_ref": (("ram:SpecifiedTradeProduct/ram:SellerAssignedID",), "str"),
        "description": (("ram:SpecifiedTradeProduct/ram:Name",), "str"),
        "period_start": ((f"{_LINE_STL}/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString",), "date"),
        "period_end": ((f"{_LINE_STL}/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString",), "date"),
    },
    base_quantity="ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity",
    allowance_charges=f"{_LINE_STL}/ram:SpecifiedTradeAllowanceCharge",
    charge_indicator="ram:ChargeIndicator/udt:Indicator",
    allowance_amount="ram:ActualAmount",
    properties="ram:SpecifiedTradeProduct/ram:ApplicableProductCharacteristic",
    property_name="ram:Description",
    property_value="ram:Value",
    extras={
        "customization_id": "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
        "buyer_reference": f"{_AGR}/ram:BuyerReference",
        "payable_amount": f"{_SUM}/ram:DuePayableAmount",
        "line_extension_total": f"{_SUM}/ram:LineTotalAmount",
        "allowance_total": f"{_SUM}/ram:AllowanceTotalAmount",
        "charge_total": f"{_SUM}/ram:ChargeTotalAmount",
        "prepaid_amount": f"{_SUM}/ram:TotalPrepaidAmount",
        "rounding_amount": f"{_SUM}/ram:RoundingAmount",
        "seller_name": f"{_AGR}/ram:SellerTradeParty/ram:Name",
    },
    line_extras={
        "item_description": "ram:SpecifiedTradeProduct/ram:Description",
        "standard_item_id": "ram:SpecifiedTradeProduct/ram:GlobalID",
        "order_line": "ram:SpecifiedLineTradeAgreement/ram:BuyerOrderReferencedDocument/ram:LineID",
    },
    third_party_payments=None,  # XRechnung binds third-party payments in UBL only
)

ROOTS = {
    f"{{{NS['inv']}}}Invoice": UBL,
    f"{{{NS['cn']}}}CreditNote": UBL,
    f"{{{NS['rsm']}}}CrossIndustryInvoice": CII,
}


def line_elements(root: ET.Element, syntax: Syntax) -> list[ET.Element]:
    return [element for path in syntax.lines for element in root.findall(path, NS)]
