"""The CSV row reader of the file-drop parsers: a file's header and rows in one pass, each line
decoded on its own (so one byte that is not UTF-8 costs its row, not the file), with each row's
physical line and text for rejects."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from connectors.base import SourceError

if TYPE_CHECKING:
    from connectors.parsing import FieldError

_BOM = b"\xef\xbb\xbf"


def line_ends(handle: BinaryIO) -> Iterator[bytes]:
    """The lines of a binary file as universal newlines split them (``\n``, ``\r\n`` or a lone
    ``\r``), each with its own line end."""
    for chunk in handle:
        pieces = chunk.split(b"\r")
        if len(pieces) == 1:
            yield chunk
            continue
        tail = pieces.pop()
        if tail == b"\n":  # the chunk ends "\r\n": its last piece keeps both
            yield from (piece + b"\r" for piece in pieces[:-1])
            yield pieces[-1] + b"\r\n"
            continue
        yield from (piece + b"\r" for piece in pieces)
        if tail:
            yield tail


@dataclass
class CsvRow:
    line: int  # 1-based physical line where the row starts (the header is line 1)
    values: dict[str, str]  # header column → text (missing trailing fields are absent)
    text: str  # the row as it stood in the file
    field_count: int  # fields the row had (to tell short or long rows)
    undecodable: bool = False  # a line of the row was not UTF-8 (its bad bytes shown as U+FFFD)
    errors: tuple[FieldError, ...] = ()  # problems found before typing (a mapping's unmapped values)


class _LineTap:
    """Feeds a file's lines to ``csv.reader``, decoding each line on its own, while keeping the text
    and count of what it consumed and which lines were not UTF-8 (decoded with U+FFFD in their place,
    so one bad byte costs its row, not the file)."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = line_ends(handle)
        self._pending: list[str] = []
        self._bad = False
        self.lines = 0
        self.first_bad: tuple[int, str] | None = None  # line and reason of the file's first bad line

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        raw = next(self._handle)
        if self.lines == 0 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        self.lines += 1
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.decode("utf-8", errors="replace")
            self._bad = True
            if self.first_bad is None:
                self.first_bad = (self.lines, f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1}")
        self._pending.append(line)
        return line

    def take(self) -> tuple[str, bool]:
        """The row consumed since the last call, and whether any of its lines was not UTF-8."""
        text = "".join(self._pending).rstrip("\r\n")
        bad, self._pending, self._bad = self._bad, [], False
        return text, bad


def normalize_header(name: str) -> str:
    return name.strip().lower()


class CsvFile:
    """A CSV file's header and rows, read as UTF-8 (with or without BOM) in one pass.

    Quoted fields may span lines; blank lines are skipped; header names are trimmed and lower-cased.
    Each line is decoded on its own: a row with bytes that are not UTF-8 comes out marked
    ``undecodable`` (parsers quarantine it with rule ``parse.encoding`` at its own line) and the
    other rows read on. A header that is not UTF-8, and broken CSV, raise `SourceError` naming the
    file (``name``: how messages call it, by default the file's name) and the line.
    """

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = path
        self.name = name or path.name

    def __enter__(self) -> CsvFile:
        try:
            self._handle = open(self.path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot open: {exc.strerror or exc}") from None
        self._tap = _LineTap(self._handle)
        self._reader = csv.reader(self._tap)
        try:
            first = self._next_row()
            if first is None:
                raise SourceError(f"{self.name}: empty file (no header row)")
            if first[3]:
                line, reason = self._tap.first_bad or (first[0], "")
                raise SourceError(f"{self.name}: header is not UTF-8 text (line {line}: {reason})")
            self.header = [normalize_header(name) for name in first[1]]
            duplicates = sorted({name for name in self.header if self.header.count(name) > 1})
            if duplicates:
                raise SourceError(f"{self.name}: duplicate header columns: {', '.join(duplicates)}")
        except BaseException:
            self._handle.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def _next_row(self) -> tuple[int, list[str], str, bool] | None:
        while True:
            start = self._tap.lines + 1
            try:
                fields = next(self._reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                raise SourceError(f"{self.name}: unreadable CSV at line {start}: {exc}") from None
            text, bad = self._tap.take()
            if any(value.strip() for value in fields) or bad:
                return start, fields, text, bad
            if len(fields) > 1:  # a row of empty fields (",,,") is a row, not a blank line
                return start, fields, text, bad

    def require(self, columns: tuple[str, ...] | list[str]) -> None:
        missing = [column for column in columns if column not in self.header]
        if missing:
            raise SourceError(
                f"{self.name}: header lacks required column(s) {', '.join(missing)} "
                f"(found: {', '.join(self.header) or 'none'})"
            )

    def __iter__(self) -> Iterator[CsvRow]:
        while (row := self._next_row()) is not None:
            line, fields, text, bad = row
            yield CsvRow(line, dict(zip(self.header, fields, strict=False)), text, len(fields), bad)


def read_csv_header(path: Path) -> list[str]:
    with CsvFile(path) as csv_file:
        return csv_file.header
