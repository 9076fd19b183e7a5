"""`invoices_xml`: e-invoices as XML (docs/data-model.md) — UBL 2.1 Invoice and CreditNote (Peppol BIS 3,
EN 16931) and UN/CEFACT Cross Industry Invoice (CII D16B), read with the standard library's
ElementTree (no network; documents with a DTD are refused, so no entity tricks).

One document → one `vendor.invoice` (`_source_line` 0) and one `vendor.invoice_line` per
InvoiceLine / CreditNoteLine / IncludedSupplyChainTradeLineItem (`_source_line` = its 1-based index).
The vendor is resolved by matching the seller's identifiers against `vendors.csv` in the reference
directory; without a reference directory the first seller identifier stands in as vendor_id.

A document whose header cannot be typed, or whose seller is not a known vendor, becomes one reject
(its lines are not loaded); a line that cannot be typed becomes a reject of its own and the rest of
the document still lands. Amounts are the document's own: credit notes keep positive amounts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from connectors.base import ParseContext, ParseResult, Reject, SourceError
from connectors.parsing import (
    MONEY_PLACES,
    CsvFile,
    FieldError,
    combine,
    compact_json,
    empty_record,
    parse_date,
    parse_decimal,
)

INVOICE = "vendor.invoice"
LINE = "vendor.invoice_line"

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
for _prefix in ("cac", "cbc", "rsm", "ram", "udt", "qdt"):
    ET.register_namespace(_prefix, NS[_prefix])  # readable element text in rejects

CREDIT_NOTE_CODES = {"381"}


# --- values -------------------------------------------------------------------------------------------


def parse_xml_date(text: str, column: str | None = None) -> date:
    """An ISO date, or CII's format 102 (`YYYYMMDD`)."""
    value = text.strip()
    if re.fullmatch(r"\d{8}", value):
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
        try:
            return parse_date(value, column)
        except FieldError:
            pass
        raise FieldError("parse.invalid_date", column, text, f"{column}: {text!r} is not a date (YYYYMMDD)")
    return parse_date(value, column)


def _str(text: str, column: str | None = None) -> str:
    return text.strip()


def _upper(text: str, column: str | None = None) -> str:
    return text.strip().upper()


TYPES: dict[str, Callable[[str, str | None], Any]] = {
    "str": _str,
    "upper": _upper,
    "date": parse_xml_date,
    "decimal": parse_decimal,
}


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    return text or None


def _first(element: ET.Element, paths: tuple[str, ...]) -> ET.Element | None:
    for path in paths:
        found = element.find(path, NS)
        if found is not None and _text(found) is not None:
            return found
    return None


def _qualified(element: ET.Element) -> str | None:
    """`<cbc:EndpointID schemeID="0088">7300010000001</…>` → `0088:7300010000001`."""
    value = _text(element)
    if value is None:
        return None
    scheme = (element.get("schemeID") or "").strip()
    return f"{scheme}:{value}" if scheme else value


def _ids(values: list[str | None]) -> list[str]:
    found: list[str] = []
    for value in values:
        if value and value not in found:
            found.append(value)
    return found


# --- the two syntaxes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Syntax:
    """Where one XML syntax keeps the fields of docs/data-model.md (ElementTree paths, alternates in order)."""

    name: str
    header: dict[str, tuple[tuple[str, ...], str]]  # column → (paths, type)
    type_code: tuple[str, ...]
    tax_total: str  # tax amount elements; the one in the document currency wins
    seller: str  # the seller party
    seller_ids: Callable[[ET.Element], list[str]]  # the seller party → its identifiers
    lines: str
    line: dict[str, tuple[tuple[str, ...], str]]
    base_quantity: str
    properties: str  # item properties under a line
    property_name: str
    property_value: str
    extras: dict[str, str]  # header fields kept in raw: name → path
    line_extras: dict[str, str]


_STL = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
_AGR = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
_SUM = f"{_STL}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"

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
    type_code=("cbc:InvoiceTypeCode", "cbc:CreditNoteTypeCode"),
    tax_total="cac:TaxTotal/cbc:TaxAmount",
    seller="cac:AccountingSupplierParty/cac:Party",
    seller_ids=lambda party: _ids(
        [_qualified(element) for element in party.findall("cbc:EndpointID", NS)]
        + [_qualified(element) for element in party.findall("cac:PartyIdentification/cbc:ID", NS)]
        + [_qualified(element) for element in party.findall("cac:PartyLegalEntity/cbc:CompanyID", NS)]
        + [
            _text(scheme.find("cbc:CompanyID", NS))  # the bare VAT number; other tax schemes are not ids
            for scheme in party.findall("cac:PartyTaxScheme", NS)
            if (_text(scheme.find("cac:TaxScheme/cbc:ID", NS)) or "").upper() == "VAT"
        ]
    ),
    lines="cac:InvoiceLine",  # CreditNoteLine on a CreditNote: see `_line_elements`
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
    type_code=("rsm:ExchangedDocument/ram:TypeCode",),
    tax_total=f"{_SUM}/ram:TaxTotalAmount",
    seller=f"{_AGR}/ram:SellerTradeParty",
    seller_ids=lambda party: _ids(
        [_qualified(element) for element in party.findall("ram:URIUniversalCommunication/ram:URIID", NS)]
        + [_text(element) for element in party.findall("ram:ID", NS)]
        + [_qualified(element) for element in party.findall("ram:GlobalID", NS)]
        + [_qualified(element) for element in party.findall("ram:SpecifiedLegalOrganization/ram:ID", NS)]
        + [_text(element) for element in party.findall("ram:SpecifiedTaxRegistration/ram:ID", NS)]
    ),
    lines="rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem",
    line={
        "line_id": (("ram:AssociatedDocumentLineDocument/ram:LineID",), "str"),
        "quantity": (("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",), "decimal"),
        "line_amount": (
            ("ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",),
            "decimal",
        ),
        "unit_price": (("ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount",), "decimal"),
        "item_ref": (("ram:SpecifiedTradeProduct/ram:SellerAssignedID",), "str"),
        "description": (("ram:SpecifiedTradeProduct/ram:Name",), "str"),
        "period_start": (
            ("ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString",),
            "date",
        ),
        "period_end": (
            ("ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString",),
            "date",
        ),
    },
    base_quantity="ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity",
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
)

ROOTS = {
    f"{{{NS['inv']}}}Invoice": UBL,
    f"{{{NS['cn']}}}CreditNote": UBL,
    f"{{{NS['rsm']}}}CrossIndustryInvoice": CII,
}


# --- mapping (pure) -------------------------------------------------------------------------------------


def _typed(element: ET.Element, fields: dict[str, tuple[tuple[str, ...], str]]) -> tuple[dict, list[FieldError]]:
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for column, (paths, kind) in fields.items():
        text = _text(_first(element, paths))
        if text is None:
            values[column] = None
            continue
        try:
            values[column] = TYPES[kind](text, column)
        except FieldError as error:
            errors.append(error)
            values[column] = None
    return values, errors


def seller_ids(root: ET.Element, syntax: Syntax) -> list[str]:
    """Every identifier the document gives its seller: endpoint (`scheme:value`), party ids, legal
    registration, VAT number — in that order, without repeats."""
    party = root.find(syntax.seller, NS)
    return [] if party is None else syntax.seller_ids(party)


def document_type(root: ET.Element, syntax: Syntax) -> str:
    """`credit_note` for a UBL CreditNote or type code 381; otherwise `invoice` (a negative 380 invoice
    stays an invoice with its negative amounts)."""
    if root.tag.endswith("}CreditNote"):
        return "credit_note"
    code = _text(_first(root, syntax.type_code))
    return "credit_note" if code in CREDIT_NOTE_CODES else "invoice"


def header_from_xml(root: ET.Element, syntax: Syntax) -> tuple[dict[str, Any], list[FieldError]]:
    """The invoice-level values of a document (vendor_id not yet resolved) and any typing errors."""
    values, errors = _typed(root, syntax.header)
    values["document_type"] = document_type(root, syntax)
    ids = seller_ids(root, syntax)
    values["seller_ids"] = ";".join(ids) or None
    taxes = [element for element in root.findall(syntax.tax_total, NS) if _text(element) is not None]
    in_currency = [element for element in taxes if element.get("currencyID") in (None, values["currency"])]
    chosen = next(iter(in_currency or taxes), None)
    if chosen is not None:
        try:
            values["tax_total"] = parse_decimal(_text(chosen) or "", "tax_total")
        except FieldError as error:
            errors.append(error)
    else:
        values["tax_total"] = None
    for column in ("invoice_number", "issue_date", "currency", "total_excl_tax"):
        if values.get(column) is None and column not in {error.column for error in errors}:
            errors.append(FieldError("parse.missing_required", column, None, f"{column}: required value is missing"))
    raw = {"syntax": syntax.name, "type_code": _text(_first(root, syntax.type_code))}
    raw.update({name: _text(root.find(path, NS)) for name, path in syntax.extras.items()})
    preceding = [_text(element) for element in root.findall(syntax.header["preceding_invoice"][0][0], NS)]
    if len(preceding) > 1:
        raw["preceding_invoices"] = ";".join(text for text in preceding if text)
    values["raw"] = {key: value for key, value in raw.items() if value is not None}
    return values, errors


def unit_price(price: Decimal, base_quantity: Decimal) -> Decimal:
    """The price of one unit when the price is given per `base_quantity` units, rounded half-up to
    the MONEY type's places when the division does not terminate there."""
    exact = price / base_quantity
    rounded = exact.quantize(Decimal(1).scaleb(-MONEY_PLACES), rounding=ROUND_HALF_UP)
    value = exact if rounded == exact else rounded
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def line_from_xml(element: ET.Element, syntax: Syntax) -> tuple[dict[str, Any], list[FieldError]]:
    """One invoice line's values (vendor_id/invoice_number not set) and any typing errors."""
    values, errors = _typed(element, syntax.line)
    raw: dict[str, Any] = {name: _text(element.find(path, NS)) for name, path in syntax.line_extras.items()}
    quantity = _first(element, syntax.line["quantity"][0])
    if quantity is not None:
        raw["unit_code"] = quantity.get("unitCode")
    learners: list[str] = []
    properties: dict[str, str] = {}
    for prop in element.findall(syntax.properties, NS):
        name, value = _text(prop.find(syntax.property_name, NS)), _text(prop.find(syntax.property_value, NS))
        if name and name.lower() == "learner":
            if value:
                learners.append(value)
        elif name:
            properties[name] = value or ""
    values["learner_refs"] = learners or None
    if properties:
        raw["item_properties"] = properties
    base_text = _text(element.find(syntax.base_quantity, NS))
    if base_text is not None and values.get("unit_price") is not None:
        try:
            base = parse_decimal(base_text, "base_quantity")
            if base == 0:
                raise FieldError("parse.invalid_number", "base_quantity", base_text, "base_quantity: is zero")
        except FieldError as error:
            errors.append(error)
        else:
            raw["price_amount"] = str(values["unit_price"])
            raw["base_quantity"] = base_text
            values["unit_price"] = unit_price(values["unit_price"], base)
            if values["unit_price"] * base != parse_decimal(raw["price_amount"]):
                raw["unit_price_rounded"] = True
    failed = {error.column for error in errors}
    for column in ("line_id", "quantity", "unit_price", "line_amount"):
        if values.get(column) is None and column not in failed:
            errors.append(FieldError("parse.missing_required", column, None, f"{column}: required value is missing"))
    values["raw"] = {key: value for key, value in raw.items() if value is not None}
    return values, errors


# --- vendors.csv ----------------------------------------------------------------------------------------


def _norm(identifier: str) -> str:
    return re.sub(r"\s+", "", identifier).upper()


@lru_cache(maxsize=8)
def _load_vendors(path: Path, mtime_ns: int, size: int) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    with CsvFile(path) as csv_file:
        csv_file.require(("vendor_id", "identifiers"))
        for row in csv_file:
            vendor_id = (row.values.get("vendor_id") or "").strip()
            if not vendor_id:
                continue
            for identifier in (row.values.get("identifiers") or "").split(";"):
                if identifier.strip():
                    vendors = index.setdefault(_norm(identifier), [])
                    if vendor_id not in vendors:
                        vendors.append(vendor_id)
    return {key: tuple(value) for key, value in index.items()}


def vendor_index(reference_dir: Path) -> dict[str, tuple[str, ...]]:
    """`vendors.csv` as normalised identifier → vendor_ids."""
    path = reference_dir / "vendors.csv"
    try:
        stat = path.stat()
    except OSError:
        raise SourceError(f"vendors.csv not found in reference directory {reference_dir}") from None
    return _load_vendors(path, stat.st_mtime_ns, stat.st_size)


def resolve_vendor(ids: list[str], index: dict[str, tuple[str, ...]]) -> list[str]:
    """The vendors whose identifiers match any seller id: exactly, or (for a scheme-qualified seller id
    such as `0088:7300010000001`) by its bare value."""
    matches: list[str] = []
    for identifier in ids:
        candidates = [_norm(identifier)]
        if ":" in identifier:
            candidates.append(_norm(identifier.split(":", 1)[1]))
        for candidate in candidates:
            for vendor_id in index.get(candidate, ()):
                if vendor_id not in matches:
                    matches.append(vendor_id)
    return matches


# --- the parser -----------------------------------------------------------------------------------------


def totals_mismatch(lines: list[dict[str, Any]], declared: str | None) -> FieldError | None:
    """EN 16931 BR-CO-10: the sum of the line net amounts equals the declared line total (BT-106).

    A document whose own arithmetic does not hold is not loaded as if fine: it is quarantined
    whole, with the difference in the message.
    """
    if declared is None or not lines:
        return None
    try:
        expected = Decimal(declared.strip())
    except (InvalidOperation, AttributeError):
        return FieldError("parse.invalid_number", "line_extension_total", declared, "line total is not a number")
    total = sum((line["line_amount"] for line in lines), Decimal(0))
    if total == expected:
        return None
    return FieldError(
        "parse.totals_mismatch",
        "line_extension_total",
        declared,
        f"the {len(lines)} lines sum to {total}, the document declares {expected} (difference {total - expected})",
    )


def document_totals_mismatch(header: dict[str, Any], raw: dict[str, Any]) -> FieldError | None:
    """The document-level totals agree with each other (EN 16931), absent amounts counting as 0:

    - BR-CO-13: tax exclusive (BT-109) = line total (BT-106) − allowances (BT-107) + charges (BT-108);
    - BR-CO-15: tax inclusive (BT-112) = tax exclusive + tax (BT-110);
    - BR-CO-16: payable (BT-115) = tax inclusive − prepaid (BT-113) + rounding (BT-114).

    Document-level allowances and charges stay in ``raw`` (allowance_total, charge_total); the
    reconciliation mart shows them as the document amount the lines do not itemise.
    """
    amounts: dict[str, Decimal] = {}
    for name in ("line_extension_total", "allowance_total", "charge_total", "prepaid_amount", "rounding_amount",
                 "payable_amount"):  # fmt: skip
        text = raw.get(name)
        if text is None:
            continue
        try:
            amounts[name] = Decimal(str(text).strip())
        except InvalidOperation:
            return FieldError("parse.invalid_number", name, text, f"{name} is not a number")

    def zero(name: str) -> Decimal:
        return amounts.get(name, Decimal(0))

    excl, incl, tax = header.get("total_excl_tax"), header.get("total_incl_tax"), header.get("tax_total")
    checks = []
    if "line_extension_total" in amounts and excl is not None:
        expected = amounts["line_extension_total"] - zero("allowance_total") + zero("charge_total")
        checks.append(("BR-CO-13", "total_excl_tax", excl, expected, "line total − allowances + charges"))
    if excl is not None and incl is not None:
        checks.append(("BR-CO-15", "total_incl_tax", incl, excl + (tax or Decimal(0)), "tax exclusive + tax"))
    if incl is not None and "payable_amount" in amounts:
        expected = incl - zero("prepaid_amount") + zero("rounding_amount")
        checks.append(("BR-CO-16", "payable_amount", amounts["payable_amount"], expected,
                       "tax inclusive − prepaid + rounding"))  # fmt: skip
    for rule, column, declared, expected, formula in checks:
        if declared != expected:
            return FieldError(
                "parse.totals_mismatch",
                column,
                str(declared),
                f"{rule}: {column} is {declared} but {formula} is {expected} (difference {declared - expected})",
            )
    return None


def _line_elements(root: ET.Element, syntax: Syntax) -> list[ET.Element]:
    if syntax is UBL:
        return root.findall("cac:InvoiceLine", NS) + root.findall("cac:CreditNoteLine", NS)
    return root.findall(syntax.lines, NS)


def _document_reject(path: Path, error: FieldError, record: str) -> Reject:
    return Reject(
        entity=INVOICE,
        source_file=path.name,
        source_line=0,
        rule=error.rule,
        message=error.message,
        column_name=error.column,
        value=error.value,
        record=record,
    )


def read_document(path: Path) -> tuple[ET.Element | None, bytes, str | None]:
    """(root, bytes, problem): a root, or a problem when the document looks like XML but is not
    well-formed. A file that is not XML at all, or carries a DTD, raises `SourceError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path.name}: cannot read: {exc.strerror or exc}") from None
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"<"):
        raise SourceError(f"{path.name}: not an XML document")
    if re.search(rb"<!DOCTYPE", data, re.IGNORECASE):
        raise SourceError(f"{path.name}: XML with a DTD (<!DOCTYPE>) is refused")
    try:
        return ET.fromstring(data), data, None
    except ET.ParseError as exc:
        return None, data, f"not well-formed XML: {exc}"


class InvoicesXmlParser:
    kind: str = "invoices_xml"
    entities: tuple[str, ...] = (INVOICE, LINE)
    patterns: tuple[str, ...] = ("*.xml", "*.XML")

    def parse(self, path: Path, context: ParseContext) -> ParseResult:
        result = ParseResult()
        root, data, problem = read_document(path)
        text = data.decode("utf-8", errors="replace")
        if root is None:
            result.rejects.append(
                _document_reject(path, FieldError("parse.malformed_xml", None, None, problem or ""), text)
            )
            return result
        syntax = ROOTS.get(root.tag)
        if syntax is None:
            raise SourceError(
                f"{path.name}: root element {root.tag} is not a UBL Invoice/CreditNote or a CII CrossIndustryInvoice"
            )
        header, errors = header_from_xml(root, syntax)
        ids = header["seller_ids"].split(";") if header["seller_ids"] else []
        raw = header["raw"]
        if not errors:
            vendor_error, vendor_id = self._vendor(ids, header, context)
            if vendor_error is not None:
                result.rejects.append(_document_reject(path, vendor_error, compact_json({"seller_ids": ids})))
                return result
            header["vendor_id"] = vendor_id
            if context.reference_dir is None:
                raw["vendor_id_from"] = "first seller id (no reference directory to resolve vendors.csv)"
        lines = _line_elements(root, syntax)
        if errors:
            error = combine(errors)
            error.message = f"document not loaded ({len(lines)} lines): {error.message}"
            result.rejects.append(_document_reject(path, error, text))
            return result

        invoice = empty_record(INVOICE, path.name, 0)
        invoice.update({key: value for key, value in header.items() if key in invoice})
        invoice["raw"] = compact_json(raw) if raw else None
        records: list[dict[str, Any]] = []
        line_rejects: list[Reject] = []
        for index, element in enumerate(lines, start=1):
            values, line_errors = line_from_xml(element, syntax)
            if line_errors:
                error = combine(line_errors)
                line_rejects.append(
                    Reject(
                        entity=LINE,
                        source_file=path.name,
                        source_line=index,
                        rule=error.rule,
                        message=f"invoice {header['invoice_number']} line {index}: {error.message}",
                        column_name=error.column,
                        value=error.value,
                        record=ET.tostring(element, encoding="unicode").strip(),
                    )
                )
                continue
            line = empty_record(LINE, path.name, index)
            line.update({key: value for key, value in values.items() if key in line})
            line["vendor_id"] = header["vendor_id"]
            line["invoice_number"] = header["invoice_number"]
            line["raw"] = compact_json(values["raw"]) if values["raw"] else None
            records.append(line)
        mismatch = (
            None
            if line_rejects
            else totals_mismatch(records, raw.get("line_extension_total")) or document_totals_mismatch(header, raw)
        )
        if mismatch is not None:
            result.rejects.append(_document_reject(path, mismatch, text))
            return result
        result.add(INVOICE, invoice)
        for line in records:
            result.add(LINE, line)
        result.rejects.extend(line_rejects)
        return result

    @staticmethod
    def _vendor(ids: list[str], header: dict[str, Any], context: ParseContext) -> tuple[FieldError | None, str | None]:
        number = header["invoice_number"]
        if context.reference_dir is None:
            if not ids:
                return FieldError(
                    "parse.missing_required", "vendor_id", None, f"invoice {number}: the seller has no identifier"
                ), None
            return None, ids[0]
        matches = resolve_vendor(ids, vendor_index(context.reference_dir))
        if len(matches) == 1:
            return None, matches[0]
        listed = ";".join(ids) or "(none)"
        if not matches:
            return FieldError(
                "parse.unknown_vendor",
                "seller_ids",
                listed,
                f"invoice {number}: no vendor in vendors.csv has any of the seller's identifiers {listed}",
            ), None
        return FieldError(
            "parse.ambiguous_vendor",
            "seller_ids",
            listed,
            f"invoice {number}: the seller's identifiers {listed} match several vendors: {', '.join(matches)}",
        ), None
