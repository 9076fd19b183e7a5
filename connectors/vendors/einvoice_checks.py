"""The checks that keep a whole e-invoice out when its money or identity is ambiguous or does not
add up.

Each check returns a `DocumentError` (rule, the element or column, the values, the invoice line where
there is one) or None; the parser quarantines the document on the first one found:

- `einvoice.duplicate_element`: an element the EN 16931 model allows once, and that the parser reads
  (ids, dates, currencies, totals, the seller, a line's id, quantity, price and amount, …), appears
  more than once (one VAT total per currency);
- `einvoice.currency_mismatch`: a second invoice currency (BT-5), or an amount whose `currencyID` is
  not the invoice currency, except the VAT total in accounting currency (BT-111) in the VAT
  accounting currency (BT-6);
- `einvoice.line_amount_mismatch`: a line's net amount (BT-131) is not its quantity × (net price ÷ price
  base quantity) + line charges − line allowances (the EN 16931 calculation, a rule under Peppol BIS:
  PEPPOL-EN16931-R120), or, under any specification, a line with a negative quantity bills a
  positive amount;
- `parse.totals_mismatch`: the document totals disagree (BR-CO-10/13/15/16; BR-DEX-09 for the
  XRechnung extension, whose third-party payments are part of the amount due).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, NamedTuple

from connectors.parsing import FieldError, parse_decimal
from connectors.vendors.einvoice_syntax import Syntax
from connectors.vendors.einvoice_xml import NS, DocumentError, Located, first, text_of, unique, walk

CENT = Decimal("0.01")
# A line's net amount may differ from its exact quantity × price by this much: the net price is
# itself rounded (EN 16931 allows prices with more decimals than amounts); PEPPOL-EN16931-R120 allows
# the same slack.
LINE_SLACK = Decimal("0.02")
PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:3.0"
XRECHNUNG_EXTENSION = "#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_"


def _where(line: int) -> str:
    return f"line {line}" if line else "document level"


# --- one of each --------------------------------------------------------------------------------------


def _header_once(syntax: Syntax) -> dict[str, str]:
    """Document-level paths the model allows once, that the parser reads: path → column."""
    paths = {path: column for column, (alternates, _) in syntax.header.items() for path in alternates
             if column not in syntax.repeatable}  # fmt: skip
    paths.update({path: "document_type" for path in syntax.type_code})
    paths.update({syntax.tax_currency: "tax_currency", syntax.seller: "seller_ids"})
    paths.update({path: name for name, path in syntax.extras.items()})
    return paths


def _line_once(syntax: Syntax) -> dict[str, str]:
    paths = {path: column for column, (alternates, _) in syntax.line.items() for path in alternates}
    paths[syntax.base_quantity] = "base_quantity"
    paths.update({path: name for name, path in syntax.line_extras.items()})
    return paths


def once(
    element: ET.Element,
    paths: dict[str, str],
    line: int = 0,
    per: Callable[[ET.Element], str | None] | None = None,
    agree: frozenset[str] = frozenset(),
) -> DocumentError | None:
    """The first path under `element` that matches more than one element (with `per`, more than one
    per key, e.g. per currency; for a path in `agree`, copies with different values), as an
    `einvoice.duplicate_element` error naming the path, the values and the line."""
    for path, column in paths.items():
        groups: dict[str | None, list[ET.Element]] = {}
        for each in element.findall(path, NS):
            groups.setdefault(per(each) if per else None, []).append(each)
        for key, found in groups.items():
            values = [text_of(each) or "" for each in found]
            if len(found) > 1 and (path not in agree or len(set(values)) > 1):
                label = f"{path} ({key})" if key else path
                return DocumentError(
                    "einvoice.duplicate_element",
                    column,
                    ";".join(values),
                    f"{_where(line)}: {label} appears {len(found)} times ({', '.join(map(repr, values))}); "
                    "EN 16931 allows it once, so the document is ambiguous",
                    line,
                )
    return None


def duplicate_elements(root: ET.Element, syntax: Syntax, lines: list[ET.Element]) -> DocumentError | None:
    """Every element the parser reads that the model allows once appears at most once: at document
    level, per invoice line, and one tax total per currency (BT-110 and BT-111)."""
    error = once(root, _header_once(syntax), agree=syntax.in_repeated_group)
    if error is None:
        error = once(root, {syntax.tax_total: "tax_total"}, per=lambda found: found.get("currencyID"))
    line_paths = _line_once(syntax)
    for index, element in enumerate(lines, start=1):
        if error is not None:
            break
        error = once(element, line_paths, index)
    return error


# --- one currency -------------------------------------------------------------------------------------


def _code(root: ET.Element, path: str) -> str | None:
    value = text_of(root.find(path, NS))
    return value.upper() if value else None


def currency_mismatch(root: ET.Element, syntax: Syntax, lines: list[ET.Element]) -> DocumentError | None:
    """Every amount is in the invoice currency (BT-5), except the VAT total in accounting currency
    (BT-111: the document-level tax total in the VAT accounting currency BT-6), as EN 16931 and
    PEPPOL-EN16931-R051 state it. An amount without `currencyID` claims no other currency."""
    element_name = syntax.currency.rsplit("/", 1)[-1]
    codes = unique([(text_of(element) or "").upper() for element in root.findall(syntax.currency, NS)])
    if len(codes) > 1:
        return DocumentError(
            "einvoice.currency_mismatch",
            "currency",
            ";".join(codes),
            f"document level: {element_name} appears with {' and '.join(codes)}; an invoice has one currency (BT-5)",
        )
    currency, tax_currency = _code(root, syntax.currency), _code(root, syntax.tax_currency)
    if currency is None:
        return None  # the missing invoice currency is the header's reject
    others: list[tuple[Located, str]] = []
    for node in walk(root, lines):
        code = (node.element.get("currencyID") or currency).strip().upper()
        if code == currency:
            continue
        if code == tax_currency and node.line == 0 and node.path == syntax.tax_total:
            continue  # BT-111
        others.append((node, code))
    if not others:
        return None
    (node, code), more = others[0], len(others) - 1
    element, path, line = node.element, node.path, node.line
    more_text = f" (and {more} more amount{'s' if more > 1 else ''} not in {currency})" if more else ""
    if line == 0 and path == syntax.tax_total:
        allowed = f"; the VAT accounting currency (BT-6) is {tax_currency or 'not given'}"
    else:
        allowed = ""
    return DocumentError(
        "einvoice.currency_mismatch",
        "currency",
        code,
        f"{_where(line)}: {path} {text_of(element)!r} is in {code}, the document currency "
        f"({element_name}) is {currency}{allowed}{more_text}",
        line,
    )


# --- line arithmetic ----------------------------------------------------------------------------------


def _amount(element: ET.Element | None) -> Decimal | None:
    text = text_of(element)
    if text is None:
        return None
    try:
        return parse_decimal(text)
    except FieldError:
        return None


def _allowances_and_charges(element: ET.Element, syntax: Syntax, line: int) -> tuple[Decimal, Decimal]:
    """(Σ line allowances, Σ line charges); raises `DocumentError` on an unreadable one."""
    sums = {"false": Decimal(0), "true": Decimal(0)}
    for index, item in enumerate(element.findall(syntax.allowance_charges, NS), start=1):
        indicator = (text_of(item.find(syntax.charge_indicator, NS)) or "").lower()
        text = text_of(item.find(syntax.allowance_amount, NS))
        amount = _amount(item.find(syntax.allowance_amount, NS))
        if indicator not in sums or amount is None:
            raise DocumentError(
                "parse.invalid_number" if indicator in sums else "parse.invalid_value",
                "line_allowance_charge",
                text if indicator in sums else indicator,
                f"line {line}: allowance/charge {index} has charge indicator {indicator or '(none)'!r} and "
                f"amount {text!r} (expected true/false and a number)",
                line,
            )
        sums[indicator] += amount
    return sums["false"], sums["true"]


def line_formula_binding(customization_id: str | None) -> bool:
    """Whether the document's specification (BT-24) makes the line net amount calculation a rule:
    Peppol BIS Billing 3.0 and the CIUS built on it do (PEPPOL-EN16931-R120, fatal); the EN 16931 core
    rules, XRechnung and ZUGFeRD do not (CEN's own examples bill 2 × 800.00 as 800.00)."""
    return PEPPOL_BILLING in (customization_id or "")


def line_amount_mismatch(element: ET.Element, syntax: Syntax, line: int, binding: bool) -> DocumentError | None:
    """A line's net amount (BT-131) against quantity (BT-129) × (net price BT-146 ÷ price base quantity
    BT-149) + Σ line charges (BT-141) − Σ line allowances (BT-136), the EN 16931 calculation:

    - where the calculation is `binding`, they are equal to the cent (half-up; the net price may carry
      more decimals than amounts, so `LINE_SLACK` as PEPPOL-EN16931-R120 allows);
    - everywhere, a line whose quantity × price is negative (a correction or return, EN 16931 allows
      negative quantities, never negative prices: BR-27) does not bill a positive amount: quantity −2
      at 9.95 bills −19.90, never +19.90. (A positive quantity with a negative amount, the way CEN's
      example 1 states a return, credits the buyer and stays allowed outside `binding`.)
    """
    quantity = _amount(first(element, syntax.line["quantity"][0]))
    price = _amount(first(element, syntax.line["unit_price"][0]))
    declared = _amount(first(element, syntax.line["line_amount"][0]))
    base_element = element.find(syntax.base_quantity, NS)
    base = Decimal(1) if text_of(base_element) is None else _amount(base_element)
    if quantity is None or price is None or declared is None or not base:
        return None  # an untyped value is the line's own reject
    try:
        allowances, charges = _allowances_and_charges(element, syntax, line)
    except DocumentError as error:
        return error
    with localcontext() as context:
        context.prec = 60  # exact for any MONEY values: at most 14 + 14 + 6 integer digits, 2 places
        computed = quantity * price / base + charges - allowances
        rounded = computed.quantize(CENT, rounding=ROUND_HALF_UP)
    if binding:
        if declared == rounded or abs(declared - computed) <= LINE_SLACK:
            return None
        rule = "PEPPOL-EN16931-R120, binding under the document's Peppol BIS specification"
    else:
        if not (computed < -LINE_SLACK and declared > LINE_SLACK):
            return None
        rule = "a line with a negative quantity × price cannot bill a positive amount"
    extra = (f" + charges {charges}" if charges else "") + (f" − allowances {allowances}" if allowances else "")
    return DocumentError(
        "einvoice.line_amount_mismatch",
        "line_amount",
        str(declared),
        f"line {line}: net amount is {declared} but quantity {quantity} × (price {price} ÷ base quantity "
        f"{base}){extra} is {rounded} (difference {declared - rounded}; {rule})",
        line,
    )


# --- totals -------------------------------------------------------------------------------------------


def totals_mismatch(lines: list[dict[str, Any]], declared: str | None) -> DocumentError | None:
    """EN 16931 BR-CO-10: the sum of the line net amounts equals the declared line total (BT-106).

    A document whose own arithmetic does not hold is not loaded as if fine: it is quarantined
    whole, with the difference in the message.
    """
    if declared is None or not lines:
        return None
    try:
        expected = parse_decimal(declared, "line_extension_total")
    except FieldError as error:
        return DocumentError(error.rule, error.column, error.value, error.message)
    total = sum((line["line_amount"] for line in lines), Decimal(0))
    if total == expected:
        return None
    return DocumentError(
        "parse.totals_mismatch",
        "line_extension_total",
        declared,
        f"BR-CO-10: the {len(lines)} lines sum to {total}, the document declares {expected} "
        f"(difference {total - expected})",
    )


def third_party_total(raw: dict[str, Any]) -> Decimal:
    """Σ third-party payment amounts (XRechnung BT-DEX-002) kept in raw by the mapping."""
    return sum((Decimal(payment["amount"]) for payment in raw.get("third_party_payments", ())), Decimal(0))


def _amounts(raw: dict[str, Any]) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = {}
    for name in ("line_extension_total", "allowance_total", "charge_total", "prepaid_amount", "rounding_amount",
                 "payable_amount"):  # fmt: skip
        text = raw.get(name)
        if text is not None:
            try:
                amounts[name] = parse_decimal(str(text), name)
            except FieldError as error:
                raise DocumentError(error.rule, error.column, error.value, error.message) from None
    return amounts


class TotalsCheck(NamedTuple):
    """One document-level equation: `declared` must equal `expected` (= `formula`)."""

    rule: str
    column: str
    declared: Decimal
    expected: Decimal
    formula: str
    note: str = ""


def _payable_check(incl: Decimal, amounts: dict[str, Decimal], raw: dict[str, Any]) -> TotalsCheck:
    """BR-CO-16, or BR-DEX-09 for a document that declares the XRechnung extension (its third-party
    payments, BG-DEX-09, are part of the amount due)."""
    expected = incl - amounts.get("prepaid_amount", Decimal(0)) + amounts.get("rounding_amount", Decimal(0))
    third_party, payable = third_party_total(raw), amounts["payable_amount"]
    if XRECHNUNG_EXTENSION in (raw.get("customization_id") or ""):
        formula = "tax inclusive − prepaid + rounding + third-party payments"
        return TotalsCheck("BR-DEX-09", "payable_amount", payable, expected + third_party, formula)
    note = (
        f"; its third-party payments ({third_party}, cac:PrepaidPayment) count only under the XRechnung "
        "extension, which its CustomizationID does not declare"
        if third_party
        else ""
    )
    return TotalsCheck("BR-CO-16", "payable_amount", payable, expected, "tax inclusive − prepaid + rounding", note)


def document_totals_mismatch(header: dict[str, Any], raw: dict[str, Any]) -> DocumentError | None:
    """The document-level totals agree with each other (EN 16931), absent amounts counting as 0:

    - BR-CO-13: tax exclusive (BT-109) = line total (BT-106) − allowances (BT-107) + charges (BT-108);
    - BR-CO-15: tax inclusive (BT-112) = tax exclusive + tax (BT-110);
    - BR-CO-16: payable (BT-115) = tax inclusive − prepaid (BT-113) + rounding (BT-114), plus the
      third-party payments (BT-DEX-002) under the XRechnung extension (BR-DEX-09).

    Document-level allowances and charges stay in ``raw`` (allowance_total, charge_total); the
    reconciliation mart shows them as the document amount the lines do not itemise.
    """
    try:
        amounts = _amounts(raw)
    except DocumentError as error:
        return error
    excl, incl, tax = header.get("total_excl_tax"), header.get("total_incl_tax"), header.get("tax_total")
    checks: list[TotalsCheck] = []
    if "line_extension_total" in amounts and excl is not None:
        expected = amounts["line_extension_total"] - amounts.get("allowance_total", 0) + amounts.get("charge_total", 0)
        checks.append(TotalsCheck("BR-CO-13", "total_excl_tax", excl, expected, "line total − allowances + charges"))
    if excl is not None and incl is not None:
        checks.append(TotalsCheck("BR-CO-15", "total_incl_tax", incl, excl + (tax or 0), "tax exclusive + tax"))
    if incl is not None and "payable_amount" in amounts:
        checks.append(_payable_check(incl, amounts, raw))
    for check in checks:
        if check.declared != check.expected:
            return DocumentError(
                "parse.totals_mismatch",
                check.column,
                str(check.declared),
                f"{check.rule}: {check.column} is {check.declared} but {check.formula} is {check.expected} "
                f"(difference {check.declared - check.expected}){check.note}",
            )
    return None
