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
- `parse.totals_mismatch`: the document totals disagree (BR-CO-10/13/15/16).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.vendors.einvoice_syntax import Syntax
from connectors.vendors.einvoice_xml import NS, DocumentError, text_of, unique, walk


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
        for found in element.findall(path, NS):
            groups.setdefault(per(found) if per else None, []).append(found)
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
    others: list[tuple[ET.Element, str, int, str]] = []
    for element, path, line in walk(root, lines):
        attribute = element.get("currencyID")
        if attribute is None or attribute.strip().upper() == currency:
            continue
        code = attribute.strip().upper()
        if line == 0 and path == syntax.tax_total and code == tax_currency:
            continue  # BT-111
        others.append((element, path, line, code))
    if not others:
        return None
    element, path, line, code = others[0]
    more = len(others) - 1
    more = f" (and {more} more amount{'s' if more > 1 else ''} not in {currency})" if more else ""
    if line == 0 and path == syntax.tax_total:
        allowed = f"; the VAT accounting currency (BT-6) is {tax_currency or 'not given'}"
    else:
        allowed = ""
    return DocumentError(
        "einvoice.currency_mismatch",
        "currency",
        code,
        f"{_where(line)}: {path} {text_of(element)!r} is in {code}, the document currency "
        f"({element_name}) is {currency}{allowed}{more}",
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
        expected = Decimal(declared.strip())
    except (InvalidOperation, AttributeError):
        return DocumentError("parse.invalid_number", "line_extension_total", declared, "line total is not a number")
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


def _amounts(raw: dict[str, Any]) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = {}
    for name in ("line_extension_total", "allowance_total", "charge_total", "prepaid_amount", "rounding_amount",
                 "payable_amount"):  # fmt: skip
        text = raw.get(name)
        if text is not None:
            try:
                amounts[name] = Decimal(str(text).strip())
            except InvalidOperation:
                raise DocumentError("parse.invalid_number", name, text, f"{name} is not a number") from None
    return amounts


def document_totals_mismatch(header: dict[str, Any], raw: dict[str, Any]) -> DocumentError | None:
    """The document-level totals agree with each other (EN 16931), absent amounts counting as 0:

    - BR-CO-13: tax exclusive (BT-109) = line total (BT-106) − allowances (BT-107) + charges (BT-108);
    - BR-CO-15: tax inclusive (BT-112) = tax exclusive + tax (BT-110);
    - BR-CO-16: payable (BT-115) = tax inclusive − prepaid (BT-113) + rounding (BT-114).

    Document-level allowances and charges stay in ``raw`` (allowance_total, charge_total); the
    reconciliation mart shows them as the document amount the lines do not itemise.
    """
    try:
        amounts = _amounts(raw)
    except DocumentError as error:
        return error
    excl, incl, tax = header.get("total_excl_tax"), header.get("total_incl_tax"), header.get("tax_total")
    checks = []
    if "line_extension_total" in amounts and excl is not None:
        expected = amounts["line_extension_total"] - amounts.get("allowance_total", 0) + amounts.get("charge_total", 0)
        checks.append(("BR-CO-13", "total_excl_tax", excl, expected, "line total − allowances + charges"))
    if excl is not None and incl is not None:
        checks.append(("BR-CO-15", "total_incl_tax", incl, excl + (tax or Decimal(0)), "tax exclusive + tax"))
    if incl is not None and "payable_amount" in amounts:
        expected = incl - amounts.get("prepaid_amount", Decimal(0)) + amounts.get("rounding_amount", Decimal(0))
        checks.append(("BR-CO-16", "payable_amount", amounts["payable_amount"], expected,
                       "tax inclusive − prepaid + rounding"))  # fmt: skip
    for rule, column, declared, expected, formula in checks:
        if declared != expected:
            return DocumentError(
                "parse.totals_mismatch",
                column,
                str(declared),
                f"{rule}: {column} is {declared} but {formula} is {expected} (difference {declared - expected})",
            )
    return None
