"""Reading a foreign export into records: CSV (any delimiter, encoding, header row), JSON / JSON lines
(a JMESPath to the list of records) and Excel workbooks (openpyxl).

A record is what one row of the file holds: for CSV and xlsx a dict of header -> cell (text for CSV,
the cell's own value for xlsx), for JSON the element itself. Each carries the line it starts on (for
json, its position in the list of records) and its text, for rejects.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jmespath

from connectors.base import SourceError
from connectors.mapping.model import Mapping
from connectors.parsing import compact_json


@dataclass
class SourceRecord:
    line: int
    data: Any  # dict of header -> value (csv, xlsx) or the JSON element
    text: str
    fields: int | None = None  # csv: the fields the row had (to tell short or long rows)
    undecodable: str | None = None  # csv: why the row is not text in the mapping's encoding


class SourceTable:
    """A file's columns (the header, or the first record's keys for json) and its records."""

    def __init__(self, columns: list[str], records: Iterator[SourceRecord], tabular: bool) -> None:
        self.columns = columns
        self.records = records
        self.tabular = tabular  # csv/xlsx: `column` names a header; json: `column` is a JMESPath


def read_table(path: Path, mapping: Mapping) -> SourceTable:
    """Open ``path`` as the mapping's format says; a file that cannot be read is a `SourceError`."""
    if mapping.format == "csv":
        return _read_csv(path, mapping)
    if mapping.format == "xlsx":
        return _read_xlsx(path, mapping)
    return _read_json(path, mapping)


# -- CSV -----------------------------------------------------------------------------------------------


class _LineTap:
    """Feeds a decoded file's lines to ``csv.reader`` while keeping the text and count of what it
    consumed (a mapped CSV is decoded in its configured encoding as a whole)."""

    def __init__(self, handle: Iterator[str]) -> None:
        self._handle = handle
        self._pending: list[str] = []
        self.lines = 0

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._handle)
        self._pending.append(line)
        self.lines += 1
        return line

    def take(self) -> str:
        text = "".join(self._pending).rstrip("\r\n")
        self._pending = []
        return text


def _undecodable(text: str) -> bool:
    """Whether decoding left bytes it could not read (``surrogateescape``)."""
    return any("\udc80" <= char <= "\udcff" for char in text)


def _readable(text: str, encoding: str) -> str:
    """Text with its undecodable bytes as U+FFFD, fit to store and show."""
    return text.encode(encoding, "surrogateescape").decode(encoding, "replace") if _undecodable(text) else text


def _read_csv(path: Path, mapping: Mapping) -> SourceTable:
    """A CSV decoded line by line: a row with bytes not in the encoding is marked (a ``parse.encoding``
    reject at its line); a header with such bytes refuses the file; a row of empty fields is a row."""
    dialect = mapping.csv
    encoding = "utf-8-sig" if dialect.encoding == "utf-8" else dialect.encoding
    try:
        handle = open(path, encoding=encoding, errors="surrogateescape", newline="")  # noqa: SIM115
    except OSError as exc:
        raise SourceError(f"{path.name}: cannot open: {exc.strerror or exc}") from None
    tap = _LineTap(handle)
    reader = csv.reader(tap, delimiter=dialect.delimiter, quotechar=dialect.quotechar)
    not_text, hint = f"not {dialect.encoding} text", "set mapping.csv.encoding"

    def next_row() -> tuple[int, list[str], str] | None:
        while True:
            start = tap.lines + 1
            try:
                fields = next(reader)
            except StopIteration:
                return None
            except UnicodeDecodeError as exc:  # a codec without surrogateescape support
                raise SourceError(f"{path.name}: {not_text} (line {start}: {exc.reason}); {hint}") from None
            except csv.Error as exc:
                raise SourceError(f"{path.name}: unreadable CSV at line {start}: {exc}") from None
            text = tap.take()
            if any(value.strip() for value in fields) or len(fields) > 1:  # ";;;" is a row, not a blank line
                return start, fields, text

    try:
        for line in range(1, dialect.header_row):
            try:
                if next(tap, None) is None:
                    break
            except UnicodeDecodeError as exc:
                raise SourceError(f"{path.name}: {not_text} (line {line}: {exc.reason}); {hint}") from None
            tap.take()  # a title above the header: skipped, whatever its bytes
        first = next_row()
        if first is None:
            raise SourceError(f"{path.name}: empty file (no header row at line {dialect.header_row})")
        if _undecodable(first[2]):
            raise SourceError(f"{path.name}: header is {not_text} (line {first[0]}); {hint}")
    except BaseException:
        handle.close()
        raise
    header = [name.strip() for name in first[1]]

    def rows() -> Iterator[SourceRecord]:
        with handle:
            while (row := next_row()) is not None:
                line, fields, text = row
                bad = f"row is {not_text} (an undecodable byte); {hint}" if _undecodable(text) else None
                if bad:
                    text, fields = _readable(text, encoding), [_readable(value, encoding) for value in fields]
                yield SourceRecord(line, dict(zip(header, fields, strict=False)), text, len(fields), bad)

    return SourceTable(header, rows(), tabular=True)


# -- Excel ---------------------------------------------------------------------------------------------


def _read_xlsx(path: Path, mapping: Mapping) -> SourceTable:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, KeyError, ValueError) as exc:
        raise SourceError(f"{path.name}: not a readable Excel workbook ({exc})") from None
    if mapping.sheet is not None and mapping.sheet not in book.sheetnames:
        book.close()
        raise SourceError(f"{path.name}: no sheet {mapping.sheet!r} (it has: {', '.join(book.sheetnames)})")
    sheet = book[mapping.sheet] if mapping.sheet else book.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    header_cells = next(cells, None)
    if header_cells is None:
        book.close()
        raise SourceError(f"{path.name}: empty sheet {sheet.title!r} (no header row)")
    header = ["" if cell is None else str(cell).strip() for cell in header_cells]

    def rows() -> Iterator[SourceRecord]:
        try:
            for number, values in enumerate(cells, start=2):
                if all(value is None or str(value).strip() == "" for value in values):
                    continue
                data = dict(zip(header, values, strict=False))
                yield SourceRecord(number, data, compact_json({k: v for k, v in data.items() if v is not None}))
        finally:
            book.close()

    return SourceTable(header, rows(), tabular=True)


# -- JSON ----------------------------------------------------------------------------------------------


def _read_json(path: Path, mapping: Mapping) -> SourceTable:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceError(f"{path.name}: cannot open: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    numbered: list[tuple[int, Any]] = []
    if mapping.format == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            document = _loads(line, path, f"line {number}")
            found = _records(document, mapping, path) if mapping.records else [document]
            numbered += [(number, record) for record in found]
    else:
        document = _loads(text, path, "document")
        numbered = list(enumerate(_records(document, mapping, path), start=1))
    first = next((record for _, record in numbered if isinstance(record, dict)), {})
    records = (SourceRecord(number, record, compact_json(record)) for number, record in numbered)
    return SourceTable(list(first), records, tabular=False)


def _loads(text: str, path: Path, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path.name}: not valid JSON ({where}: {exc.msg} at line {exc.lineno})") from None


def _records(document: Any, mapping: Mapping, path: Path) -> list[Any]:
    found = jmespath.search(mapping.records, document) if mapping.records else document
    if found is None:
        return []
    if not isinstance(found, list):
        where = f"mapping.records {mapping.records!r}" if mapping.records else "the document"
        raise SourceError(f"{path.name}: {where} is not a list of records (set mapping.records to a JMESPath)")
    return found
