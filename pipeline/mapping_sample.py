"""A first look at a file someone wants to onboard: its format, its columns (or JSON paths) and some
of their values, for ``trainops map`` (``pipeline/mapping_proposal.py``) to propose a ``mapping:``.

CSV: the encoding (UTF-8, with or without BOM, else Windows-1252) and the delimiter are sniffed.
JSON: the list of records is found (a top-level list, or the first list of objects under a key, e.g.
``data[*]``, or ``data[*].attributes`` when every record wraps its fields there); nested values become
JMESPath paths, and ``{label, value}`` envelopes are read as ``key.value`` (the label names the
column). JSON Lines: one record per line. Excel ``.xlsx``: the first sheet, when openpyxl is
installed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

SAMPLE_ROWS = 5000  # rows (records) read for values: enough to see every status word of an export
SNIFF_BYTES = 64 << 10
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SampleError(ValueError):
    """A file ``trainops map`` cannot read, with a one-line reason naming it."""


@dataclass
class Column:
    """One place a value comes from: a CSV/xlsx header or a JMESPath into a JSON record."""

    name: str  # what the mapping names: the header, or the JMESPath
    label: str  # what a person calls it (the header, the envelope's label, or the key)
    values: list[str] = field(default_factory=list)  # the non-empty values seen, as text, in order


@dataclass
class Sample:
    path: Path
    format: str  # csv | json | jsonl | xlsx
    columns: list[Column]
    rows: int  # records read
    delimiter: str = ","
    encoding: str = "utf-8"  # utf-8 (a BOM is always accepted) or cp1252
    records: str | None = None  # json: JMESPath to the list of records
    header_row: int = 1  # csv: the 1-based line of the header


def read_sample(path: Path) -> Sample:
    """The file's columns and values; ``SampleError`` when the file cannot be read as its format."""
    if not path.is_file():
        raise SampleError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx(path)
    if suffix == ".jsonl" or suffix == ".ndjson":
        return _jsonl(path)
    if suffix == ".json":
        return _json(path)
    return _csv(path)


# -- CSV ---------------------------------------------------------------------------------------------


def _decode(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _delimiter(text: str) -> str:
    head = text[:SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        first = head.splitlines()[0] if head else ""
        return max(",;\t|", key=first.count)


def _csv(path: Path) -> Sample:
    text, encoding = _decode(path)
    if not text.strip():
        raise SampleError(f"{path.name}: empty file (no header row)")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        head: list[tuple[int, list[str]]] = []
        for row in reader:
            if any(cell.strip() for cell in row):
                head.append((reader.line_num, row))
            if len(head) >= 20:
                break
        header_row, header = _header(head)
        rows = [row for _, row in head if _ > header_row]
        rows += [row for _, row in zip(range(SAMPLE_ROWS - len(rows)), reader, strict=False)]
    except csv.Error as exc:
        raise SampleError(f"{path.name}: unreadable CSV: {exc}") from None
    columns = [Column(name.strip(), name.strip()) for name in header]
    for row in rows:
        for column, value in zip(columns, row, strict=False):
            if value.strip():
                column.values.append(value.strip())
    sample = Sample(path, "csv", columns, len(rows), delimiter=delimiter, encoding=encoding)
    sample.header_row = header_row
    return sample


def _header(head: list[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """(1-based line, fields) of the header: the first row as wide as most rows are, so title lines
    above a report's table ("Invoice Line Report") are skipped."""
    widths = Counter(len(row) for _, row in head if len(row) > 1)
    if not widths:
        return head[0]
    width = widths.most_common(1)[0][0]
    return next((line, row) for line, row in head if len(row) == width)


# -- xlsx --------------------------------------------------------------------------------------------


def _xlsx(path: Path) -> Sample:
    try:
        import openpyxl
    except ImportError:
        raise SampleError(f"{path.name}: reading .xlsx needs openpyxl (uv add openpyxl)") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise SampleError(f"{path.name}: not a readable .xlsx workbook ({exc})") from None
    rows = (
        [_cell_text(cell) for cell in row]
        for row in book.worksheets[0].iter_rows(values_only=True, max_row=SAMPLE_ROWS + 1)
    )
    header = next((row for row in rows if any(rows_cell for rows_cell in row)), [])
    columns = [Column(name, name) for name in header]
    count = 0
    for row in rows:
        count += 1
        for column, value in zip(columns, row, strict=False):
            if value:
                column.values.append(value)
    book.close()
    return Sample(path, "xlsx", [column for column in columns if column.name], count)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


# -- JSON / JSON Lines -------------------------------------------------------------------------------


def _json(path: Path) -> Sample:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SampleError(f"{path.name}: not valid JSON ({exc})") from None
    found = find_records(document)
    if found is None:
        raise SampleError(f"{path.name}: no list of records (objects) found in the JSON")
    expression, records = found
    sample = _from_records(path, "json", records[:SAMPLE_ROWS])
    sample.records = expression
    return sample


def _jsonl(path: Path) -> Sample:
    records: list[Any] = []
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if len(records) >= SAMPLE_ROWS:
                break
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SampleError(f"{path.name}: line {number} is not valid JSON ({exc.msg})") from None
            if isinstance(record, dict):
                records.append(record)
    if not records:
        raise SampleError(f"{path.name}: no JSON objects, one per line, found")
    return _from_records(path, "jsonl", records)


def find_records(document: Any) -> tuple[str, list[dict[str, Any]]] | None:
    """The JMESPath of the records in a JSON document, and the records (``None`` if none)."""
    if _objects(document):
        return _unwrap("[*]", document)
    if isinstance(document, dict):
        for key, value in document.items():
            if _objects(value):
                return _unwrap(f"{quote(key)}[*]", value)
        for key, value in document.items():  # one level deeper: {"result": {"items": [...]}}
            if isinstance(value, dict):
                inner = find_records(value)
                if inner is not None and not inner[0].startswith("[*]"):
                    return f"{quote(key)}.{inner[0]}", inner[1]
    return None


def _objects(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value[:50])


def _unwrap(expression: str, records: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Records that keep their fields in one object (``{"id": 1, "attributes": {...}}``) → that object."""
    head = records[:50]
    for key in ("attributes", "fields", "data", "properties"):
        if all(isinstance(record.get(key), dict) and len(record) <= 3 for record in head):
            return f"{expression}.{key}", [record[key] for record in records]
    return expression, records


def quote(key: str) -> str:
    """A key as a JMESPath identifier (quoted when it is not a plain name)."""
    return key if _IDENTIFIER.match(key) else json.dumps(key, ensure_ascii=False)


def _from_records(path: Path, format: str, records: list[dict[str, Any]]) -> Sample:
    columns: dict[str, Column] = {}
    for record in records:
        for name, label, value in _flatten(record):
            column = columns.setdefault(name, Column(name, label))
            if value:
                column.values.append(value)
    return Sample(path, format, list(columns.values()), len(records))


def _flatten(record: Mapping[str, Any], prefix: str = "", depth: int = 0) -> Iterable[tuple[str, str, str]]:
    """(JMESPath, label, value as text) of a record's scalar values; ``{label, value}`` envelopes
    are one value named by their label."""
    for key, value in record.items():
        path = f"{prefix}{quote(str(key))}"
        if isinstance(value, dict) and "value" in value and not isinstance(value["value"], dict | list):
            label = value.get("label")
            yield f"{path}.value", str(label) if isinstance(label, str) and label else str(key), _text(value["value"])
        elif isinstance(value, dict) and depth < 2:
            yield from _flatten(value, f"{path}.", depth + 1)
        elif not isinstance(value, dict):
            yield path, str(key), _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(_text(item) for item in value if not isinstance(item, dict | list))
    return str(value).strip()
