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
2. ``pyarrow.json`` parses the block into the typed fields the mapping reads (``_SCHEMA``). It is
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
from collections.abc import Callable, Iterator
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
from connectors.parsing import parse_timestamp

BLOCK_BYTES = 8 << 20  # text per block: memory holds a block, its columns and its records
MIN_LINES = 16  # a failing part of at most this many lines goes to the per-record path whole
_PARSE_BLOCK = 4 << 20  # pyarrow.json's own block size (a longer line fails and is read by Python)

ENTITY = x.ENTITY
SCHEMA = pa.schema(
    [*schemas.ENTITIES[ENTITY], pa.field("_source_file", pa.string()), pa.field("_source_line", pa.int64())]
)

_TEXT = pa.string()
_AGENT = [
    ("mbox", _TEXT),
    ("mbox_sha1sum", _TEXT),
    ("openid", _TEXT),
    ("account", pa.struct([("homePage", _TEXT), ("name", _TEXT)])),
]
# The fields the mapping reads, typed as the per-record path expects them (`str`, `bool`, a
# number, an object); anything else in a statement is not read here (it is in `raw`).
_SCHEMA = pa.schema(
    [
        ("id", _TEXT),
        ("timestamp", _TEXT),
        ("stored", _TEXT),
        ("actor", pa.struct(_AGENT)),
        ("verb", pa.struct([("id", _TEXT)])),
        ("object", pa.struct([("objectType", _TEXT), ("id", _TEXT)])),
        (
            "result",
            pa.struct(
                [
                    ("success", pa.bool_()),
                    ("completion", pa.bool_()),
                    ("duration", _TEXT),
                    ("score", pa.struct([("scaled", pa.float64())])),
                ]
            ),
        ),
        ("context", pa.struct([("registration", _TEXT), ("platform", _TEXT)])),
        ("authority", pa.struct([*_AGENT, ("member", pa.list_(pa.struct(_AGENT)))])),
    ]
)
_PARSE_OPTIONS = pa_json.ParseOptions(explicit_schema=_SCHEMA, unexpected_field_behavior="ignore")
_READ_OPTIONS = pa_json.ReadOptions(use_threads=False, block_size=_PARSE_BLOCK)  # threads: no faster here

# Literals Arrow's parser reads and Python's `json` refuses: `Inf`, `-Inf`, `-NaN` (Arrow also
# reads the `NaN`, `Infinity`, `-Infinity` Python reads; such lines go to Python too, to be sure).
_NON_FINITE = re.compile(r"[:,\[][ \t\r\n]*-?(?:NaN|Inf)")
# A value the vectorised path takes as it stands: printable ASCII without spaces, so `strip()`,
# `lower()` and the like change nothing, or change it as ASCII.
_PRINTABLE = r"^[!-~]+$"


class NotColumnar(Exception):
    """The file cannot be read columnar; the per-record path reads it (and says why)."""


def parse_jsonl(path: Path) -> ParseResult | None:
    """The file's records (Arrow tables, one per block) and rejects, or None: use the per-record path."""
    result = ParseResult()
    try:
        for block in _blocks(path):
            records = map_block(block, path.name, result)
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


def _parse(block: pa.Buffer, offsets: np.ndarray, blank: np.ndarray, start: int, stop: int) -> list[tuple]:
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


def map_block(block: Block, source_file: str, result: ParseResult) -> pa.Table | list[dict[str, Any]]:
    """A block of lines → an Arrow table of its records in line order (or, when a record Python's
    ``json`` read cannot be Arrow, e.g. a lone surrogate, the records as dicts); rejects go to
    ``result``."""
    return _finish(_prepare(block), source_file, result)


def _prepare(block: Block) -> Parsed:
    offsets = block.offsets
    text = pa.py_buffer(block.view())
    lines = _lines(text, offsets)
    count = len(lines)
    trimmed = pc.utf8_trim(lines, " \t\r\n")
    blank = _true(pc.equal(pc.binary_length(trimmed), 0))

    # Only lines that start an object go to Arrow, in runs between the others (which Python reads:
    # they are not statements, and pyarrow.json crashes on input that starts with `null`).
    other = ~blank & ~_true(pc.starts_with(trimmed, "{"))
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


def _finish(prepared: Parsed, source_file: str, result: ParseResult) -> pa.Table | list[dict[str, Any]]:
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
    python = python | (_python_only(block, lines) & _true(pc.starts_with(trimmed, "{")))  # Arrow may misread
    if prepared.parsed is not None:
        mapped, ok = _map(prepared.parsed)
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
            x.parse_line(own, source_file, number, line)
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
        flagged |= _true(pc.match_substring(lines, "\ufeff"))
    if block.contains(b"NaN") or block.contains(b"Inf"):
        candidates = _true(pc.match_substring(lines, "NaN")) | _true(pc.match_substring(lines, "Inf"))
        rows = np.flatnonzero(candidates)
        for index, line in zip(rows.tolist(), lines.take(rows).to_pylist(), strict=True):
            flagged[index] = _NON_FINITE.search(line) is not None
    return flagged


def _map(parsed: pa.Table) -> tuple[dict[str, pa.Array], np.ndarray]:
    """Every column of the entity (but ``raw``) for every parsed row, and which rows mapped."""
    ok = np.ones(parsed.num_rows, dtype=bool)

    def field(path: str) -> pa.Array:
        names = path.split(".")
        column: Any = parsed.column(names[0]).combine_chunks()
        for name in names[1:]:
            column = pc.struct_field(column, name)
        return column

    # record_id: printable ASCII as it stands (strip() is a no-op), anything else by the function
    ids = field("id")
    plain = _true(pc.match_substring_regex(ids, _PRINTABLE))
    other, good = _per_distinct([ids], _statement_id, pa.string(), skip=plain)
    ok &= good
    record_id = pc.if_else(pa.array(plain), ids, other)

    # occurred_at / stored_at
    timestamp, good = _timestamps(field("timestamp"), "timestamp")
    ok &= good
    stored_at, good = _timestamps(field("stored"), "stored")
    ok &= good
    occurred_at = pc.coalesce(timestamp, stored_at)
    ok &= _true(pc.is_valid(occurred_at))

    # learner_ref (agent_ref): a printable mbox or an account as they stand, other actors by the
    # function once per distinct combination of their identifying fields
    mbox, sha1, openid, home, name = (
        field(f"actor.{key}") for key in ("mbox", "mbox_sha1sum", "openid", "account.homePage", "account.name")
    )
    plain_mbox = _true(pc.match_substring_regex(mbox, _PRINTABLE))
    address = pc.ascii_lower(mbox)
    address = pc.if_else(pc.starts_with(address, "mailto:"), pc.utf8_slice_codeunits(address, 7), address)
    account = (
        _true(pc.is_null(mbox))
        & _true(pc.is_null(sha1))
        & _true(pc.is_valid(home))
        & _true(pc.greater(pc.binary_length(name), 0))
    )
    account_ref = pc.binary_join_element_wise(pa.scalar("account:"), home, pa.scalar("|"), name, "")
    other, good = _per_distinct(
        [mbox, sha1, openid, home, name], _learner, pa.string(), skip=plain_mbox | account, cache=_CACHES["learner"]
    )
    ok &= good
    learner_ref = pc.if_else(pa.array(plain_mbox), address, pc.if_else(pa.array(account), account_ref, other))

    # verb, and the object (which depends on the verb only as "voided or not")
    verb, good = _per_distinct([field("verb.id")], _verb, pa.string(), cache=_CACHES["verb"])
    ok &= good
    voided = pc.fill_null(pc.equal(verb, "voided"), False)
    target_type = pa.struct([("course_ref", _TEXT), ("activity_id", _TEXT), ("voids", _TEXT)])
    targets, good = _per_distinct(
        [voided, field("object.objectType"), field("object.id")], _target, target_type, cache=_CACHES["target"]
    )
    ok &= good

    # result: the booleans as they are (Arrow refused any other JSON type), the score as Arrow read
    # it (but -0, which Python reads as the integer 0), the duration by the function
    scaled = field("result.score.scaled")
    values = scaled.to_numpy(zero_copy_only=False)
    ok &= ~((values == 0) & np.signbit(values))
    duration, good = _per_distinct([field("result.duration")], _duration, pa.float64(), cache=_CACHES["duration"])
    ok &= good

    # source_system: the context's platform, else the authority
    platform, good = _per_distinct([field("context.platform")], _platform, _TEXT, cache=_CACHES["platform"])
    ok &= good
    members = field("authority.member")
    authority, good = _per_distinct(
        [field(f"authority.{key}") for key in ("mbox", "mbox_sha1sum", "openid", "account.homePage", "account.name")],
        _agent,
        _TEXT,
        cache=_CACHES["authority"],
    )
    ok &= good
    with_members = np.flatnonzero(_true(pc.is_valid(members)) & ~_true(pc.is_valid(authority)))
    if len(with_members):  # a Group authority identified by its members: rare, row by row
        authority = _authority_by_members(parsed.column("authority").combine_chunks(), with_members, authority)
    origin = pc.coalesce(platform, authority)
    source_system = pc.if_else(
        pc.is_valid(origin),
        pc.binary_join_element_wise(pa.scalar("xapi:"), origin, ""),
        pa.scalar("xapi", _TEXT),
    )

    return {
        "record_id": record_id,
        "learner_ref": learner_ref,
        "course_ref": pc.struct_field(targets, "course_ref"),
        "activity_id": pc.struct_field(targets, "activity_id"),
        "verb": verb,
        "occurred_at": occurred_at,
        "stored_at": stored_at,
        "success": field("result.success"),
        "completion": field("result.completion"),
        "score_scaled": scaled,
        "duration_seconds": duration,
        "registration": field("context.registration"),
        "voids_record_id": pc.struct_field(targets, "voids"),
        "source_system": source_system,
    }, ok


# --- the per-record functions, on the fields Arrow read ---------------------------------------------


_CACHES: dict[str, dict[tuple[Any, ...], Any]] = {
    name: {} for name in ("learner", "verb", "target", "duration", "platform", "authority")
}


def _verb(verb_id: Any) -> str:
    return x.verb_of({"id": verb_id})


def _duration(duration: Any) -> float | None:
    return x.result_values({"duration": duration})[3]


def _platform(platform: Any) -> str | None:
    return x.platform_of({"platform": platform})


def _statement_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("no id")  # the per-record path rejects it, with its own message
    return value.strip()


def _learner(mbox: Any, sha1: Any, openid: Any, home: Any, name: Any) -> str:
    return x.learner_of(
        {"mbox": mbox, "mbox_sha1sum": sha1, "openid": openid, "account": {"homePage": home, "name": name}}
    )


def _target(voided: bool, object_type: Any, object_id: Any) -> tuple[Any, Any, Any]:
    return x.target_of("voided" if voided else "", {"objectType": object_type, "id": object_id})


def _agent(mbox: Any, sha1: Any, openid: Any, home: Any, name: Any) -> str | None:
    """``agent_ref`` of an agent with these identifying fields (an authority's own identifier;
    a Group authority identified only by its members is looked at row by row)."""
    return x.agent_ref(
        {"mbox": mbox, "mbox_sha1sum": sha1, "openid": openid, "account": {"homePage": home, "name": name}}
    )


def _authority_by_members(authority: pa.StructArray, rows: np.ndarray, refs: pa.Array) -> pa.Array:
    values = refs.to_pylist()
    for row, agent in zip(rows.tolist(), authority.take(rows).to_pylist(), strict=True):
        values[row] = x.authority_agent_ref(agent)
    return pa.array(values, _TEXT)


# --- vectorised pieces -----------------------------------------------------------------------------


def _true(mask: Any) -> np.ndarray:
    """A boolean Arrow array → numpy, null as False."""
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


_REFUSED = object()
_MISSING = object()
_CACHE_SIZE = 100_000  # remembered results per function (all pure): values repeat across blocks and files


def _per_distinct(
    columns: list[pa.Array],
    fn: Callable[..., Any],
    kind: pa.DataType,
    skip: np.ndarray | None = None,
    cache: dict[tuple[Any, ...], Any] | None = None,
) -> tuple[pa.Array, np.ndarray]:
    """``fn(*values)`` for every row (a null as None), called once per distinct combination of the
    columns' values (and, with a ``cache``, once per combination the process has seen). A
    combination ``fn`` refuses (any exception: the per-record path will reject the line, or raise
    the same) gives null and not ok. Rows where ``skip`` is true: null and ok."""
    count = len(columns[0])
    rows = None if skip is None else np.flatnonzero(~skip)
    if rows is not None and not len(rows):
        return pa.nulls(count, kind), np.ones(count, dtype=bool)
    key: np.ndarray | None = None
    radix = 1
    decoded: list[tuple[list[Any], np.ndarray]] = []
    for column in columns:
        if rows is not None:
            column = column.take(pa.array(rows))
        boolean = pa.types.is_boolean(column.type)
        encoded = (column.cast(pa.int8()) if boolean else column).dictionary_encode()
        values = encoded.dictionary.to_pylist()
        if boolean:
            values = [bool(value) for value in values]
        values.append(None)
        codes = pc.fill_null(encoded.indices, len(values) - 1).to_numpy(zero_copy_only=False).astype(np.int64)
        decoded.append((values, codes))
        if key is None:
            key, radix = codes, len(values)
        else:
            if radix * len(values) >= 1 << 62:  # keep the combined key in range: renumber it densely
                distinct, key = np.unique(key, return_inverse=True)
                radix = len(distinct)
            key = key * len(values) + codes
            radix *= len(values)
    assert key is not None
    if len(columns) == 1:
        first = np.full(radix, -1, dtype=np.int64)
        first[key[::-1]] = np.arange(len(key) - 1, -1, -1)  # a row of each code (codes absent: -1)
        inverse = key
    else:
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    outputs: list[Any] = []
    good = np.ones(len(first), dtype=bool)
    for position, row in enumerate(first.tolist()):
        if row < 0:
            outputs.append(None)
            continue
        arguments = tuple(values[codes[row]] for values, codes in decoded)
        output = _MISSING if cache is None else cache.get(arguments, _MISSING)
        if output is _MISSING:
            try:
                output = fn(*arguments)
            except Exception:  # noqa: BLE001
                output = _REFUSED
            if cache is not None:
                if len(cache) >= _CACHE_SIZE:
                    cache.clear()
                cache[arguments] = output
        if output is _REFUSED:
            outputs.append(None)
            good[position] = False
        else:
            outputs.append(output)
    if rows is None:
        return pa.array(outputs, kind).take(pa.array(inverse)), good[inverse]
    scatter = np.full(count, -1, dtype=np.int64)
    scatter[rows] = inverse
    ok = np.ones(count, dtype=bool)
    ok[rows] = good[inverse]
    return pa.array(outputs, kind).take(pa.array(scatter, mask=scatter < 0)), ok


_DAYS_BEFORE_MONTH = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334], dtype=np.int64)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _timestamps(values: pa.Array, column: str) -> tuple[pa.Array, np.ndarray]:
    """Timestamp strings → UTC instants, as ``parse_timestamp`` gives them. The usual notations
    (``YYYY-MM-DDTHH:MM:SS[.f…](Z|±HH[[:]MM])``, years 1000-9998) are computed here; any other text
    goes through ``parse_timestamp`` itself, once per distinct value."""
    micros, computed = _iso_micros(values)
    instants = pa.array(micros, pa.int64(), mask=~computed).cast(schemas.TS)
    other = ~computed & _true(pc.is_valid(values))
    if not other.any():
        return instants, np.ones(len(values), dtype=bool)
    parsed, ok = _per_distinct([values], lambda v: parse_timestamp(v, column), schemas.TS, skip=~other)
    return pc.if_else(pa.array(computed), instants, parsed), ok


_WIDTH = 36  # characters of a timestamp looked at (longer ones: parse_timestamp)
_DIGIT_AT = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])


def _iso_micros(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since the epoch of each value in the usual notation, and which values were."""
    count = len(values)
    if count == 0 or values.null_count == count:
        return np.zeros(count, dtype=np.int64), np.zeros(count, dtype=bool)
    _, offset_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=np.int32)[values.offset : values.offset + count + 1].astype(np.int64)
    start, stop = int(offsets[0]), int(offsets[-1])
    data = np.zeros(stop - start + _WIDTH, dtype=np.uint8)  # the characters, padded for the last window
    if data_buffer is not None and stop > start:
        data[: stop - start] = np.frombuffer(data_buffer, dtype=np.uint8)[start:stop]
    windows = np.lib.stride_tricks.as_strided(data, shape=(stop - start + 1, _WIDTH), strides=(1, 1), writeable=False)
    length = offsets[1:] - offsets[:-1]
    chars = windows[offsets[:-1] - start]  # row i: the first _WIDTH characters of value i, then what follows
    chars[np.arange(_WIDTH) >= length[:, None]] = 0
    digit = (chars >= 48) & (chars <= 57)

    def num(*columns: int) -> np.ndarray:
        total = np.zeros(count, dtype=np.int64)
        for column in columns:
            total = total * 10 + chars[:, column] - 48
        return total

    ok = _true(pc.is_valid(values)) & (length >= 19) & (length <= _WIDTH)
    ok &= digit[:, _DIGIT_AT].all(axis=1)
    ok &= (chars[:, 4] == 45) & (chars[:, 7] == 45) & (chars[:, 13] == 58) & (chars[:, 16] == 58)
    ok &= (chars[:, 10] == 84) | (chars[:, 10] == 116) | (chars[:, 10] == 32)  # T, t or a space

    # fraction: [.,] and digits from position 19; the zone follows
    has_fraction = (chars[:, 19] == 46) | (chars[:, 19] == 44)
    fraction_digits = np.where(
        has_fraction, np.argmin(np.append(digit[:, 20:], np.zeros((count, 1), bool), axis=1), axis=1), 0
    )
    ok &= ~has_fraction | (fraction_digits >= 1)
    zone_at = np.where(has_fraction, 20 + fraction_digits, 19)
    zone_length = length - zone_at
    rows = np.arange(count)

    def at(shift: int) -> np.ndarray:
        return chars[rows, np.minimum(zone_at + shift, _WIDTH - 1)].astype(np.int64)

    zone_char, z1, z2, z3, z4, z5 = (at(shift) for shift in range(6))

    def is_digit(c: np.ndarray) -> np.ndarray:
        return (c >= 48) & (c <= 57)

    # Z or z; a value without an offset goes to parse_timestamp (the source's assume_timezone, or a reject)
    utc = (zone_length == 1) & ((zone_char == 90) | (zone_char == 122))
    hh_ok = ((zone_char == 43) | (zone_char == 45)) & is_digit(z1) & is_digit(z2)
    hhmm = (zone_length == 5) & is_digit(z3) & is_digit(z4)
    hh_mm = (zone_length == 6) & (z3 == 58) & is_digit(z4) & is_digit(z5)
    ok &= utc | (hh_ok & ((zone_length == 3) | hhmm | hh_mm))
    zone_hours = np.where(utc, 0, (z1 - 48) * 10 + z2 - 48)
    zone_minutes = np.where(hhmm, (z3 - 48) * 10 + z4 - 48, np.where(hh_mm, (z4 - 48) * 10 + z5 - 48, 0))
    sign = np.where(zone_char == 45, -1, 1)

    year, month, day = num(0, 1, 2, 3), num(5, 6), num(8, 9)
    hour, minute, second = num(11, 12), num(14, 15), num(17, 18)
    micro = np.zeros(count, dtype=np.int64)
    for place in range(6):  # the first six digits of the fraction (truncated to µs, as parse_timestamp)
        micro = micro * 10 + np.where(fraction_digits > place, chars[:, 20 + place].astype(np.int64) - 48, 0)

    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    month = np.where(month_ok, month, 1)
    ok &= (year >= 1000) & (year <= 9998) & month_ok & (day >= 1)
    ok &= day <= _DAYS_IN_MONTH[month] + ((month == 2) & leap)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59) & (zone_hours <= 23) & (zone_minutes <= 59)
    before = year - 1  # days since 1970-01-01, proleptic Gregorian
    days = before * 365 + before // 4 - before // 100 + before // 400 + _DAYS_BEFORE_MONTH[month]
    days += (leap & (month > 2)) + day - 1 - 719162
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - sign * (zone_hours * 3600 + zone_minutes * 60)
    return np.where(ok, seconds * 1_000_000 + micro, 0), ok
