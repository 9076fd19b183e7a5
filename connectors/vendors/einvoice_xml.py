"""Reading an e-invoice as XML, and the small element helpers the `invoices_xml` modules share
(standard library ElementTree; no network; documents with a DTD are refused)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from connectors.base import SourceError
from connectors.parsing import FieldError, parse_date, parse_decimal

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
_PREFIXES = {uri: prefix for prefix, uri in NS.items()}


class DocumentError(FieldError):
    """A problem that keeps a whole document out, located at an invoice line (`line` 0: the document)."""

    def __init__(self, rule: str, column: str | None, value: Any, message: str, line: int = 0) -> None:
        super().__init__(rule, column, value, message)
        self.line = line


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


# --- elements -------------------------------------------------------------------------------------------


def text_of(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    return text or None


def first(element: ET.Element, paths: tuple[str, ...]) -> ET.Element | None:
    """The first element with text along the alternate paths, in order."""
    for path in paths:
        found = element.find(path, NS)
        if found is not None and text_of(found) is not None:
            return found
    return None


def qualified(element: ET.Element) -> str | None:
    """`<cbc:EndpointID schemeID="0088">7300010000001</…>` → `0088:7300010000001`."""
    value = text_of(element)
    if value is None:
        return None
    scheme = (element.get("schemeID") or "").strip()
    return f"{scheme}:{value}" if scheme else value


def unique(values: list[str | None]) -> list[str]:
    found: list[str] = []
    for value in values:
        if value and value not in found:
            found.append(value)
    return found


def prefixed(tag: str) -> str:
    """`{urn:…CommonBasicComponents-2}ID` → `cbc:ID` (unknown namespaces stay as they are)."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        prefix = _PREFIXES.get(uri)
        return f"{prefix}:{local}" if prefix else tag
    return tag


def element_text(element: ET.Element) -> str:
    """An element as XML text for a reject's record."""
    try:
        return ET.tostring(element, encoding="unicode").strip()
    except RecursionError:  # absurdly deep nesting: the record names the element only
        return f"<{prefixed(element.tag)}> (too deeply nested to show)"


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
