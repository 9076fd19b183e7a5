"""The columnar path of ``xapi_files`` for JSON Lines (benchmarks/README.md): Arrow parses and maps blocks of
statements; per-record Python runs only for the lines the columnar path cannot map for certain.

``parse_jsonl(path)`` returns what the per-record path (``XapiFilesParser(columnar=False)``) returns
for the file — the same records, in line order, as Arrow tables (one per block) instead of dicts, and
the same rejects — or ``None`` when the file cannot be read columnar at all (not UTF-8, unreadable):
the per-record path then reads it and reports the error as it always has.

How a block of lines is mapped:

1. The file is read in blocks of ``BLOCK_BYTES`` cut at line ends, so memory holds a block and its
   records, not the file. Lines are cut as Python's text mode cuts them (``\\n``, ``\\r\\n``, ``\\r``;
   a BOM at the start is dropped) and numbered as the per-record path numbers them.
2. ``pyarrow.json`` parses the block into the typed fields the mapping reads (``STATEMENT_FIELDS``
   in ``xapi_columnar_map.py``, which maps them; ``xapi_vectorised.py`` has its numpy pieces). It is
   strict where it matters: a field of another JSON type than expected (an id that is a number, a
   ``success`` that is a string, an actor that is not an object), a duplicate key among the fields
   read, a trailing comma or invalid JSON fail the parse. A block that fails, or yields another
   number of rows than it has non-blank lines, is halved until the parts parse; parts of a few lines
   that still fail go to the per-record path whole.
3. Each field is mapped by the per-record path's own functions (``learner_of``, ``verb_of``,
   ``target_of``, ``result_values``, ``parse_timestamp``…), called once per distinct value (a
   file of a million statements has a few thousand actors, durations or objects), or, for the
   values of every statement (ids, timestamps, plain e-mail and account actors), by vectorised code
   that accepts only a subset of values whose mapping it reproduces exactly; the rest of the column
   goes through the functions.
4. A line goes to the per-record path when anything is outside what the columnar path maps for
   certain: a value a mapping function refuses, JSON that Arrow reads and Python's ``json`` refuses
   (``Inf``, ``-NaN``; a BOM inside the file), a score of ``-0``. So every reject is made by the
   per-record path, with its rule, column, message and file:line.

``raw`` is the line as it stands in the file without surrounding whitespace, as in the per-record
path for JSON Lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from connectors import schemas
from connectors.base import ParseResult
from connectors.lms import xapi_files as x
from connectors.lms.xapi_columnar_map import STATEMENT_FIELDS, map_statements
from connectors.lms.xapi_vectorised import true

BLOCK_BYTES = 8 << 20  # text per block: memory holds a block, its columns and its records
MIN_LINES = 16  # a failing part of at most this many lines goes to the per-record path whole
_PARSE_BLOCK = 4 << 20  # pyarrow.json's own block size (a longer line fails and is read by Python)

ENTITY = x.ENTITY
SCHEMA = pa.schema(
    [*schemas.ENTITIES[ENTITY], pa.field("_source_file", pa.string()), pa.field("_source_line", pa.int64())]
)

_PARSE_OPTIONS = pa_json.ParseOptions(explicit_schema=STATEMENT_FIELDS, unexpected_field_behavior="ignore")
_READ_OPTIONS = pa_json.ReadOptions(use_threads=False, block_size=_PARSE_BLOCK)  # threads: no faster here

# Literals Arrow's parser reads and Python's `json` refuses: `Inf`, `-Inf`, `-NaN` (Arrow also
# reads the `NaN`, `Infinity`, `-Infinity` Python reads; such lines go to Python too, to be sure).
_NON_FINITE = re.compile(r"[:,\[][ \t\r\n]*-?(?:NaN|Inf)")


class NotColumnar(Exception):
    """The file cannot be read columnar; the per-record path reads it (and says why)."""


def parse_jsonl(path: Path, occurred_at: str = x.OCCURRED_AT_DEFAULT) -> ParseResult | None:
    """The file's records (Arrow tables, one per block) and rejects, or None: use the per-record path.
    ``occurred_at``: the source's ``xapi.occurred_at`` setting."""
    result = ParseResult()
    try:
        for block in _blocks(path):
            records = map_block(block, path.name, result, occurred_at)
            if isinstance(records, pa.Table):
                result.add_table(ENTITY, records)
            else:
                for record in records:
                    result.add(ENTITY, record)
    except NotColumnar:
        return None
    return result


# --- reading ------------------------------------------------------------------------------------------


@dataclass
class Block:
    """Whole lines of a file: ``data[start:stop]``, the line offsets in it (starts, then the end),
    and the number of its first line."""

    data: bytes | bytearray
    start: int
    stop: int
    offsets: np.ndarray
    first_line: int

    def view(self) -> memoryview:
        return memoryview(self.data)[self.start : self.stop]

    def contains(self, text: bytes) -> bool:
        return self.data.find(text, self.start, self.stop) >= 0


def _blocks(path: Path, block_bytes: int | None = None) -> Iterator[Block]:
    """The file in blocks of whole lines, cut as Python's text mode cuts lines (``\\n``, ``\\r\\n``
    and ``\\r`` end a line; a BOM at the start is dropped), each block read into memory once."""
    block_bytes = block_bytes or BLOCK_BYTES
    number = 1
    carry = b""
    first = True
    try:
        handle = open(path, "rb", buffering=0)  # noqa: SIM115
    except OSError:
        raise NotColumnar from None
    with handle:
        while True:
            data = bytearray(len(carry) + block_bytes)
            data[: len(carry)] = carry
            size = len(carry) + _fill(handle, memoryview(data)[len(carry) :])
            at_end = size == len(carry)
            start = 0
            if first:
                first = False
                if data.startswith(b"\xef\xbb\xbf"):  # utf-8-sig
                    start = 3
            stop = size if at_end else data.rfind(b"\n", start, size) + 1
            if stop <= start and not at_end:  # no line end yet: read on
                carry = bytes(data[start:size])
                continue
            carry = bytes(data[stop:size])
            if stop > start:
                block: bytes | bytearray = data
                if data.find(b"\r", start, stop) >= 0:  # universal newlines: \r\n and \r end a line
                    block = bytes(data[start:stop]).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                    start, stop = 0, len(block)
                text = np.frombuffer(block, dtype=np.uint8, count=stop - start, offset=start)
                ends = np.flatnonzero(text == 10) + 1
                if not len(ends) or ends[-1] != len(text):
                    ends = np.append(ends, len(text))
                offsets = np.concatenate(([0], ends)).astype(np.int32)
                yield Block(block, start, stop, offsets, number)
                number += len(offsets) - 1
            if at_end:
                return


def _fill(handle: Any, view: memoryview) -> int:
    """Read into ``view`` until it is full or the file ends; the bytes read."""
    filled = 0
    try:
        while filled < len(view):
            read = handle.readinto(view[filled:])
            if not read:
                break
            filled += read
    except OSError:
        raise NotColumnar from None
    return filled


def _lines(block: pa.Buffer, offsets: np.ndarray) -> pa.StringArray:
    """The block's lines (each with its ``\\n``), sharing its memory; not UTF-8 → `NotColumnar`."""
    lines = pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), block)
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        raise NotColumnar from None
    return lines


# --- parsing ------------------------------------------------------------------------------------------


def _parse(
    block: pa.Buffer, offsets: np.ndarray, blank: np.ndarray, start: int, stop: int
) -> list[tuple[int, int, pa.Table | None]]:
    """Parse lines ``[start, stop)``: ``[(start, stop, table)]`` with one row per non-blank line in
    order, or, where that fails, the parts that parse and ``(start, stop, None)`` for small parts
    that do not."""
    expected = int((~blank[start:stop]).sum())
    if expected == 0:
        return []
    try:
        text = block.slice(int(offsets[start]), int(offsets[stop] - offsets[start]))
        table = pa_json.read_json(pa.BufferReader(text), read_options=_READ_OPTIONS, parse_options=_PARSE_OPTIONS)
        if table.num_rows == expected:
            return [(start, stop, table)]
    except pa.ArrowInvalid:
        pass
    if stop - start <= MIN_LINES:
        return [(start, stop, None)]
    middle = (start + stop) // 2
    return _parse(block, offsets, blank, start, middle) + _parse(block, offsets, blank, middle, stop)


# --- mapping ------------------------------------------------------------------------------------------


@dataclass
class Parsed:
    """A block read and parsed: its lines, which of them are blank or for Python, and the Arrow
    rows of the others (``parsed`` row i is line ``rows[i]``)."""

    block: Block
    lines: pa.StringArray
    trimmed: pa.StringArray
    python: np.ndarray
    parsed: pa.Table | None
    rows: np.ndarray


def map_block(
    block: Block, source_file: str, result: ParseResult, occurred_at: str = x.OCCURRED_AT_DEFAULT
) -> pa.Table | list[dict[str, Any]]:
    """A block of lines → an Arrow table of its records in line order (or, when a record Python's
    ``json`` read cannot be Arrow, e.g. a lone surrogate, the records as dicts); rejects go to
    ``result``."""
    return _finish(_prepare(block), source_file, result, occurred_at)


def _prepare(block: Block) -> Parsed:
    offsets = block.offsets
    text = pa.py_buffer(block.view())
    lines = _lines(text, offsets)
    count = len(lines)
    trimmed = pc.utf8_trim(lines, " \t\r\n")
    blank = true(pc.equal(pc.binary_length(trimmed), 0))

    # Only lines that start an object go to Arrow, in runs between the others (which Python reads:
    # they are not statements, and pyarrow.json crashes on input that starts with `null`).
    other = ~blank & ~true(pc.starts_with(trimmed, "{"))
    python = other.copy()
    tables: list[pa.Table] = []
    rows: list[np.ndarray] = []
    start = 0
    for edge in [*np.flatnonzero(other).tolist(), count]:
        for first, stop, table in _parse(text, offsets, blank, start, edge) if edge > start else []:
            if table is None:
                python[first:stop] = True
            else:
                tables.append(table)
                rows.append(first + np.flatnonzero(~blank[first:stop]))
        start = edge + 1
    python &= ~blank  # blank lines: not a row, on either path
    if not tables:
        return Parsed(block, lines, trimmed, python, None, np.zeros(0, dtype=np.int64))
    return Parsed(block, lines, trimmed, python, pa.concat_tables(tables).combine_chunks(), np.concatenate(rows))


def _finish(
    prepared: Parsed, source_file: str, result: ParseResult, occurred_at: str
) -> pa.Table | list[dict[str, Any]]:
    block, lines, trimmed, python, rows = (
        prepared.block,
        prepared.lines,
        prepared.trimmed,
        prepared.python,
        prepared.rows,
    )
    count = len(lines)
    numbers = np.arange(block.first_line, block.first_line + count, dtype=np.int64)
    names = [field.name for field in schemas.ENTITIES[ENTITY] if field.name != "raw"]
    python = python | (_python_only(block, lines) & true(pc.starts_with(trimmed, "{")))  # Arrow may misread
    if prepared.parsed is not None:
        mapped, ok = map_statements(prepared.parsed, occurred_at)
        ok &= ~python[rows]
        python[rows[~ok]] = True
        fast = rows[ok]
        if ok.all():
            columns = [mapped[name] for name in names]
        else:
            columns = [mapped[name].take(pa.array(np.flatnonzero(ok))) for name in names]
    else:
        fast = np.zeros(0, dtype=np.int64)
        columns = [pa.nulls(0, field.type) for field in schemas.ENTITIES[ENTITY] if field.name != "raw"]
    every_line = len(fast) == count  # the usual block: no blank line, nothing left to Python
    table = pa.Table.from_arrays(
        [
            *columns,
            trimmed if every_line else trimmed.take(pa.array(fast)),
            pa.repeat(pa.scalar(source_file, pa.string()), len(fast)),
            pa.array(numbers if every_line else numbers[fast]),
        ],
        schema=SCHEMA,
    )
    slow = np.flatnonzero(python)
    if len(slow):
        own = ParseResult()
        for number, line in zip(numbers[slow].tolist(), lines.take(pa.array(slow)).to_pylist(), strict=True):
            x.parse_line(own, source_file, number, line, occurred_at)
        result.rejects.extend(own.rejects)
        records = own.records.get(ENTITY, [])
        if records:
            try:
                from_python = pa.Table.from_pylist(records, schema=SCHEMA)
            except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate (`"\ud800"`) Python's json
                # reads: keep the block as dicts, so that landing fails on it as it always has
                return sorted([*table.to_pylist(), *records], key=lambda record: record["_source_line"])
            table = pa.concat_tables([table, from_python]).sort_by("_source_line")
    return table


def _python_only(block: Block, lines: pa.StringArray) -> np.ndarray:
    """Lines with JSON that Arrow's parser reads and Python's ``json`` refuses (or may)."""
    flagged = np.zeros(len(lines), dtype=bool)
    if block.contains(b"\xef") and block.contains(b"\xef\xbb\xbf"):  # a BOM inside the file
        flagged |= true(pc.match_substring(lines, "\ufeff"))
    if block.contains(b"NaN") or block.contains(b"Inf"):
        candidates = true(pc.match_substring(lines, "NaN")) | true(pc.match_substring(lines, "Inf"))
        rows = np.flatnonzero(candidates)
        for index, line in zip(rows.tolist(), lines.take(rows).to_pylist(), strict=True):
            flagged[index] = _NON_FINITE.search(line) is not None
    return flagged
