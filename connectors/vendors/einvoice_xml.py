"""Reading an e-invoice as XML safely, and the small element helpers the `invoices_xml` modules share.

Documents are parsed by `defusedxml` on top of the standard library's expat: ANY document type
declaration (`<!DOCTYPE …>`, hence any entity declaration or external reference) is refused by the
parser itself, whatever the encoding (UTF-8, UTF-16 with or without byte order mark, a declared
single-byte encoding) — no byte pattern to slip past. Nothing is fetched from the network.

Reading never raises on the content of a file: a file that is not XML, carries a DTD, is not
well-formed or names an encoding the parser does not know becomes a `DocumentError` (one reject
naming the file); only a file that cannot be read at all is a `SourceError`.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

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


# --- reading --------------------------------------------------------------------------------------------

_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")


def sniff_encoding(data: bytes) -> str:
    """The encoding a document's bytes are in, as XML 1.0 appendix F detects it: a byte order mark,
    the UTF-16 pattern of `<?` without one, else the encoding the XML declaration names, else UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if data.startswith(b"<\x00"):
        return "utf-16-le"
    if data.startswith(b"\x00<"):
        return "utf-16-be"
    declared = _DECLARED.match(data.lstrip())
    if declared is not None:
        name = declared.group(1).decode("ascii")
        try:
            return codecs.lookup(name).name
        except LookupError:
            pass
    return "utf-8"


def document_text(data: bytes) -> str:
    """The document as text for a reject's record (undecodable bytes replaced, never an error)."""
    return data.decode(sniff_encoding(data), errors="replace")


@dataclass(frozen=True)
class XmlDocument:
    """A document read from a file: its root when it parsed, else why not; its text for rejects."""

    root: ET.Element | None
    text: str
    problem: DocumentError | None


def read_document(path: Path) -> XmlDocument:
    """Parse one file. DTDs and entity declarations are refused by the parser (`parse.forbidden_dtd`);
    text that is not XML (`parse.not_xml`) or not well-formed (`parse.malformed_xml`) is a problem too."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path.name}: cannot read: {exc.strerror or exc}") from None
    text = document_text(data)
    if not text.lstrip("\ufeff \t\r\n").startswith("<"):
        problem = DocumentError("parse.not_xml", None, None, f"{path.name}: not an XML document")
        return XmlDocument(None, text, problem)
    try:
        return XmlDocument(SafeET.fromstring(data, forbid_dtd=True), text, None)
    except DefusedXmlException as exc:
        message = f"{path.name}: XML with a document type declaration (DTD or entity) is refused ({exc})"
        return XmlDocument(None, text, DocumentError("parse.forbidden_dtd", None, None, message))
    except ET.ParseError as exc:
        message = f"{path.name}: not well-formed XML: {exc}"
    except (LookupError, ValueError) as exc:  # an encoding expat does not know or cannot read
        message = f"{path.name}: unreadable XML encoding: {exc}"
    return XmlDocument(None, text, DocumentError("parse.malformed_xml", None, None, message))


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


_PATH_DEPTH = 12


@dataclass(frozen=True)
class Located:
    """An element with the invoice line it belongs to (0: the document level) and its parent there."""

    element: ET.Element
    line: int
    parent: Located | None

    @property
    def path(self) -> str:
        """The path from the root (or from its invoice line), e.g. `cac:LegalMonetaryTotal/cbc:PayableAmount`,
        built on demand so a deeply nested document costs no more than its size (its last
        `_PATH_DEPTH` steps, after `…`, when deeper)."""
        names: list[str] = []
        node: Located | None = self
        while node is not None:
            if len(names) == _PATH_DEPTH:
                names.append("…")
                break
            names.append(prefixed(node.element.tag))
            node = node.parent
        return "/".join(reversed(names))


def walk(root: ET.Element, lines: list[ET.Element]) -> Iterator[Located]:
    """Every element below the root, located. Iterative, so deep nesting cannot exhaust the stack."""
    index = {id(line): number for number, line in enumerate(lines, start=1)}
    stack = [Located(child, 0, None) for child in reversed(root)]
    while stack:
        node = stack.pop()
        if id(node.element) in index:
            node = Located(node.element, index[id(node.element)], None)
        yield node
        stack.extend(Located(child, node.line, node) for child in reversed(node.element))


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
