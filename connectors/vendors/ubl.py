"""`invoices_xml`: e-invoices as XML (docs/data-model.md) — UBL 2.1 Invoice and CreditNote (Peppol BIS 3,
EN 16931, XRechnung) and UN/CEFACT Cross Industry Invoice (CII D16B), read with `defusedxml` over the
standard library's ElementTree (no network; any DTD or entity declaration is refused by the parser).
The syntaxes are in `einvoice_syntax.py`, the reading in `einvoice_xml.py`, the document checks in
`einvoice_checks.py`, the vendor resolution in `vendor_index.py`.

One document → one `vendor.invoice` (`_source_line` 0) and one `vendor.invoice_line` per
InvoiceLine / CreditNoteLine / IncludedSupplyChainTradeLineItem (`_source_line` = its 1-based index).
The vendor is resolved by matching the seller's identifiers against `vendors.csv` in the reference
directory; without a reference directory the first seller identifier stands in as vendor_id.

Parsing never raises on data. One reject keeps the whole document out (its lines are not loaded)
when the file is not a readable e-invoice (not XML, a DTD, not well-formed, another root element),
its header cannot be typed, its seller is not a known vendor, or its money or identity is ambiguous
or does not add up (a repeated element, an amount in another currency, a line amount against
quantity × price, totals that disagree). The reject names the file, the rule, the element and values,
and the invoice line where there is one (its `source_line`; 0 for the document). A line that cannot
be typed becomes a reject of its own and the rest of the document still lands. Amounts are exact
decimals, the document's own: credit notes keep positive amounts.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from connectors.base import ParseContext, ParseResult, Reject
from connectors.parsing import MONEY_PLACES, FieldError, combine, compact_json, empty_record, parse_decimal
from connectors.vendors.einvoice_checks import (
    currency_mismatch,
    document_totals_mismatch,
    duplicate_elements,
    line_amount_mismatch,
    line_formula_binding,
    totals_mismatch,
)
from connectors.vendors.einvoice_syntax import ROOTS, Syntax, line_elements
from connectors.vendors.einvoice_xml import (
    NS,
    TYPES,
    DocumentError,
    element_text,
    first,
    read_document,
    text_of,
)
from connectors.vendors.vendor_index import resolve_vendor, vendor_index

__all__ = ["InvoicesXmlParser", "header_from_xml", "line_from_xml", "resolve_vendor", "unit_price"]

INVOICE = "vendor.invoice"
LINE = "vendor.invoice_line"
CREDIT_NOTE_CODES = {"381"}


# --- mapping (pure) -------------------------------------------------------------------------------------


def _typed(
    element: ET.Element, fields: dict[str, tuple[tuple[str, ...], str]]
) -> tuple[dict[str, Any], list[FieldError]]:
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for column, (paths, kind) in fields.items():
        text = text_of(first(element, paths))
        if text is None:
            values[column] = None
            continue
        try:
            values[column] = TYPES[kind](text, column)
        except FieldError as error:
            errors.append(error)
            values[column] = None
    return values, errors


def _require(values: dict[str, Any], errors: list[FieldError], columns: tuple[str, ...]) -> None:
    failed = {error.column for error in errors}
    for column in columns:
        if values.get(column) is None and column not in failed:
            errors.append(FieldError("parse.missing_required", column, None, f"{column}: required value is missing"))


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
    code = text_of(first(root, syntax.type_code))
    return "credit_note" if code in CREDIT_NOTE_CODES else "invoice"


def _tax_total(root: ET.Element, syntax: Syntax, currency: str | None) -> tuple[Decimal | None, FieldError | None]:
    """BT-110: the tax total in the document currency (not BT-111, the one in the VAT accounting currency)."""
    taxes = [element for element in root.findall(syntax.tax_total, NS) if text_of(element) is not None]
    in_currency = [element for element in taxes if element.get("currencyID") in (None, currency)]
    chosen = next(iter(in_currency or taxes), None)
    if chosen is None:
        return None, None
    try:
        return parse_decimal(text_of(chosen) or "", "tax_total"), None
    except FieldError as error:
        return None, error


def _third_party_payments(root: ET.Element, syntax: Syntax) -> tuple[list[dict[str, str]], list[FieldError]]:
    """XRechnung extension BG-DEX-09 (type BT-DEX-001, amount BT-DEX-002, description BT-DEX-003)."""
    payments: list[dict[str, str]] = []
    errors: list[FieldError] = []
    for element in root.findall(syntax.third_party_payments, NS) if syntax.third_party_payments else []:
        text = text_of(element.find("cbc:PaidAmount", NS)) or ""
        try:
            amount = parse_decimal(text, "third_party_payment")
        except FieldError as error:
            errors.append(error)
            continue
        payment = {"type": text_of(element.find("cbc:ID", NS)), "amount": str(amount),
                   "description": text_of(element.find("cbc:InstructionID", NS))}  # fmt: skip
        payments.append({key: value for key, value in payment.items() if value is not None})
    return payments, errors


def header_from_xml(root: ET.Element, syntax: Syntax) -> tuple[dict[str, Any], list[FieldError]]:
    """The invoice-level values of a document (vendor_id not yet resolved) and any typing errors."""
    values, errors = _typed(root, syntax.header)
    values["document_type"] = document_type(root, syntax)
    values["seller_ids"] = ";".join(seller_ids(root, syntax)) or None
    values["tax_total"], tax_error = _tax_total(root, syntax, values["currency"])
    errors.extend([tax_error] if tax_error else [])
    _require(values, errors, ("invoice_number", "issue_date", "currency", "total_excl_tax"))
    raw: dict[str, Any] = {"syntax": syntax.name, "type_code": text_of(first(root, syntax.type_code))}
    raw.update({name: text_of(root.find(path, NS)) for name, path in syntax.extras.items()})
    preceding = [text_of(element) for element in root.findall(syntax.header["preceding_invoice"][0][0], NS)]
    if len(preceding) > 1:
        raw["preceding_invoices"] = ";".join(text for text in preceding if text)
    payments, payment_errors = _third_party_payments(root, syntax)
    errors.extend(payment_errors)
    raw["third_party_payments"] = payments or None
    values["raw"] = {key: value for key, value in raw.items() if value is not None}
    return values, errors


def unit_price(price: Decimal, base_quantity: Decimal) -> Decimal:
    """The price of one unit when the price is given per `base_quantity` units, rounded half-up to
    the MONEY type's places when the division does not terminate there."""
    exact = price / base_quantity
    rounded = exact.quantize(Decimal(1).scaleb(-MONEY_PLACES), rounding=ROUND_HALF_UP)
    value = exact if rounded == exact else rounded
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _item_properties(element: ET.Element, syntax: Syntax) -> tuple[list[str], dict[str, str]]:
    """(learners, other item properties): the learners are the properties named `learner`."""
    learners: list[str] = []
    properties: dict[str, str] = {}
    for prop in element.findall(syntax.properties, NS):
        name, value = text_of(prop.find(syntax.property_name, NS)), text_of(prop.find(syntax.property_value, NS))
        if name and name.lower() == "learner":
            if value:
                learners.append(value)
        elif name:
            properties[name] = value or ""
    return learners, properties


def _per_base_quantity(element: ET.Element, syntax: Syntax, values: dict[str, Any], raw: dict[str, Any]) -> None:
    """A price given per base quantity becomes the unit price; the document's own figures stay in raw."""
    base_text = text_of(element.find(syntax.base_quantity, NS))
    if base_text is None or values.get("unit_price") is None:
        return
    base = parse_decimal(base_text, "base_quantity")
    if base == 0:
        raise FieldError("parse.invalid_number", "base_quantity", base_text, "base_quantity: is zero")
    raw["price_amount"] = str(values["unit_price"])
    raw["base_quantity"] = base_text
    values["unit_price"] = parse_decimal(format(unit_price(values["unit_price"], base), "f"), "unit_price")
    if values["unit_price"] * base != parse_decimal(raw["price_amount"]):
        raw["unit_price_rounded"] = True


def line_from_xml(element: ET.Element, syntax: Syntax) -> tuple[dict[str, Any], list[FieldError]]:
    """One invoice line's values (vendor_id/invoice_number not set) and any typing errors."""
    values, errors = _typed(element, syntax.line)
    raw: dict[str, Any] = {name: text_of(element.find(path, NS)) for name, path in syntax.line_extras.items()}
    quantity = first(element, syntax.line["quantity"][0])
    if quantity is not None:
        raw["unit_code"] = quantity.get("unitCode")
    learners, properties = _item_properties(element, syntax)
    values["learner_refs"] = learners or None
    if properties:
        raw["item_properties"] = properties
    try:
        _per_base_quantity(element, syntax, values, raw)
    except FieldError as error:
        errors.append(error)
    _require(values, errors, ("line_id", "quantity", "unit_price", "line_amount"))
    values["raw"] = {key: value for key, value in raw.items() if value is not None}
    return values, errors


# --- the parser -----------------------------------------------------------------------------------------


def _document_reject(path: Path, error: FieldError, record: str | None) -> Reject:
    """One reject for a whole document; located at the invoice line that caused it, if one did."""
    return Reject(
        entity=INVOICE,
        source_file=path.name,
        source_line=error.line if isinstance(error, DocumentError) else 0,
        rule=error.rule,
        message=error.message,
        column_name=error.column,
        value=error.value,
        record=record,
    )


def _line_reject(path: Path, number: str, index: int, errors: list[FieldError], element: ET.Element) -> Reject:
    error = combine(errors)
    return Reject(
        entity=LINE,
        source_file=path.name,
        source_line=index,
        rule=error.rule,
        message=f"invoice {number} line {index}: {error.message}",
        column_name=error.column,
        value=error.value,
        record=element_text(element),
    )


def _structure(root: ET.Element, path: Path) -> tuple[Syntax | None, DocumentError | None]:
    syntax = ROOTS.get(root.tag)
    if syntax is None:
        return None, DocumentError(
            "parse.unsupported_document",
            None,
            root.tag,
            f"{path.name}: root element {root.tag} is not a UBL Invoice/CreditNote or a CII CrossIndustryInvoice",
        )
    lines = line_elements(root, syntax)
    return syntax, currency_mismatch(root, syntax, lines) or duplicate_elements(root, syntax, lines)


class InvoicesXmlParser:
    kind: str = "invoices_xml"
    entities: tuple[str, ...] = (INVOICE, LINE)
    patterns: tuple[str, ...] = ("*.xml", "*.XML")

    def parse(self, path: Path, context: ParseContext) -> ParseResult:
        result = ParseResult()
        document = read_document(path)
        root, problem = document.root, document.problem
        syntax = None
        if root is not None:
            syntax, problem = _structure(root, path)
        if root is None or syntax is None or problem is not None:
            result.rejects.append(_document_reject(path, problem, document.text))  # type: ignore[arg-type]
            return result
        header, errors = header_from_xml(root, syntax)
        lines = line_elements(root, syntax)
        if errors:
            error = combine(errors)
            error.message = f"document not loaded ({len(lines)} lines): {error.message}"
            result.rejects.append(_document_reject(path, error, document.text))
            return result
        vendor_error = self._resolve(path, header, context)
        if vendor_error is not None:
            result.rejects.append(vendor_error)
            return result
        return self._load(path, root, syntax, header, document.text)

    def _resolve(self, path: Path, header: dict[str, Any], context: ParseContext) -> Reject | None:
        ids = header["seller_ids"].split(";") if header["seller_ids"] else []
        error, vendor_id = self._vendor(ids, header, context)
        if error is not None:
            return _document_reject(path, error, compact_json({"seller_ids": ids}))
        header["vendor_id"] = vendor_id
        if context.reference_dir is None:
            header["raw"]["vendor_id_from"] = "first seller id (no reference directory to resolve vendors.csv)"
        return None

    @staticmethod
    def _load(path: Path, root: ET.Element, syntax: Syntax, header: dict[str, Any], text: str) -> ParseResult:
        """The typed document: its lines (rejects of their own when untyped), unless its arithmetic fails."""
        result = ParseResult()
        raw = header["raw"]
        records: list[dict[str, Any]] = []
        line_rejects: list[Reject] = []
        arithmetic: DocumentError | None = None
        binding = line_formula_binding(raw.get("customization_id"))
        for index, element in enumerate(line_elements(root, syntax), start=1):
            values, errors = line_from_xml(element, syntax)
            if errors:
                line_rejects.append(_line_reject(path, header["invoice_number"], index, errors, element))
                continue
            arithmetic = arithmetic or line_amount_mismatch(element, syntax, index, binding)
            line = empty_record(LINE, path.name, index)
            line.update({key: value for key, value in values.items() if key in line})
            line.update(vendor_id=header["vendor_id"], invoice_number=header["invoice_number"])
            line["raw"] = compact_json(values["raw"]) if values["raw"] else None
            records.append(line)
        mismatch = arithmetic or (
            None
            if line_rejects
            else totals_mismatch(records, raw.get("line_extension_total")) or document_totals_mismatch(header, raw)
        )
        if mismatch is not None:
            result.rejects.append(_document_reject(path, mismatch, text))
            return result
        invoice = empty_record(INVOICE, path.name, 0)
        invoice.update({key: value for key, value in header.items() if key in invoice})
        invoice["raw"] = compact_json(raw) if raw else None
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
