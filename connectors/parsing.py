"""Shared pieces of the file-drop parsers: value coercion, the CSV row reader (``connectors/csv_reader.py``,
re-exported here) and a "typed CSV" helper driven by a column → type mapping.

Coercion is strict about *types* only (is this a date, a number, a boolean?); whether a value is
*acceptable* (a known status, a positive capacity) is the Great Expectations layer's job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.base import ParseResult, Reject
from connectors.csv_reader import CsvFile as CsvFile
from connectors.csv_reader import CsvRow as CsvRow
from connectors.csv_reader import normalize_header as normalize_header
from connectors.csv_reader import read_csv_header as read_csv_header
from connectors.schemas import ENTITIES

MONEY_PLACES = 6  # connectors/schemas.py MONEY = decimal128(20, 6)
_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)
_MONEY_LIMIT = Decimal(10) ** (20 - MONEY_PLACES)


class FieldError(ValueError):
    """A value that cannot be typed, with what a `Reject` needs to explain it."""

    def __init__(self, rule: str, column: str | None, value: Any, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.column = column
        self.value = None if value is None else str(value)
        self.message = message


# --- values -------------------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TS_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<hm>\d{2}:\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r"\s*(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def _label(column: str | None) -> str:
    return f"{column}: " if column else ""


def parse_date(text: str, column: str | None = None) -> date:
    """An ISO calendar date, ``YYYY-MM-DD``."""
    value = text.strip()
    match = _DATE_RE.match(value)
    try:
        if not match:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise FieldError(
            "parse.invalid_date", column, text, f"{_label(column)}{text!r} is not an ISO date (YYYY-MM-DD)"
        ) from None


# The IANA zone a naive timestamp (no offset) is read in, for the source being parsed (its
# ``assume_timezone`` setting); None: a naive timestamp is rejected (``parse.naive_timestamp``).
_ASSUMED_ZONE: ContextVar[ZoneInfo | None] = ContextVar("assumed_zone", default=None)


@contextmanager
def assume_timezone(zone: str | None) -> Iterator[None]:
    """Within the block, naive timestamps are read in ``zone`` (None: rejected)."""
    token = _ASSUMED_ZONE.set(ZoneInfo(zone) if zone else None)
    try:
        yield
    finally:
        _ASSUMED_ZONE.reset(token)


def assumed_zone() -> ZoneInfo | None:
    """The zone naive timestamps are read in for the source being parsed (None: rejected)."""
    return _ASSUMED_ZONE.get()


def parse_timestamp(text: str, column: str | None = None) -> datetime:
    """An ISO 8601 timestamp → an aware datetime in UTC.

    Accepts ``Z`` or any offset (``+02:00``, ``+0200``, ``-07``; at most ±23:59), ``T`` or a space,
    milliseconds to nanoseconds (truncated to microseconds). A timestamp without an offset (a bare
    date: its midnight) is read in the source's ``assume_timezone``, and rejected
    (``parse.naive_timestamp``) when the source names none: never silently taken as UTC. An instant
    outside the years 1-9999 in UTC is an invalid timestamp, not an error of the run.
    """
    match = _TS_RE.match(text.strip())
    zone = _ASSUMED_ZONE.get()
    if match and not match["tz"] and zone is None:
        raise FieldError(
            "parse.naive_timestamp",
            column,
            text,
            f"{_label(column)}{text!r} has no UTC offset (e.g. Z or +02:00) and the source sets no assume_timezone",
        )
    try:
        if not match:
            raise ValueError
        seconds = match["s"] or "00"
        frac = (match["frac"] or "")[:6].ljust(6, "0")
        local = datetime.fromisoformat(f"{match['date']}T{match['hm'] or '00:00'}:{seconds}.{frac}")
        tz = match["tz"]
        if not tz:
            return local.replace(tzinfo=zone).astimezone(UTC)
        if tz in ("Z", "z"):
            tz = "+00:00"
        elif len(tz) == 3:
            tz += ":00"
        elif ":" not in tz:
            tz = f"{tz[:3]}:{tz[3:]}"
        if int(tz[4:6]) > 59:  # fromisoformat takes +05:61 as 6 h 1 min
            raise ValueError
        return datetime.fromisoformat(f"{local.isoformat(timespec='microseconds')}{tz}").astimezone(UTC)
    except (ValueError, OverflowError):
        raise FieldError(
            "parse.invalid_timestamp",
            column,
            text,
            f"{_label(column)}{text!r} is not an ISO 8601 timestamp in range (e.g. 2024-05-01T09:30:00Z)",
        ) from None


def parse_decimal(text: str, column: str | None = None) -> Decimal:
    """An exact decimal that fits the MONEY type (at most 14 integer digits and 6 decimal places)."""
    value = text.strip()
    problem = "is not a number"
    if _NUMBER_RE.match(value):
        try:
            number = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
            number = None
        if number is not None:
            if abs(number) >= _MONEY_LIMIT:
                problem = "is too large (more than 14 integer digits)"
            elif number.quantize(_MONEY_QUANTUM) != number:
                problem = f"has more than {MONEY_PLACES} decimal places"
            else:
                return number
    raise FieldError("parse.invalid_number", column, text, f"{_label(column)}{text!r} {problem}")


def parse_int(text: str, column: str | None = None) -> int:
    """A whole number (``12`` or ``12.0``)."""
    number = parse_decimal(text, column)
    if number != number.to_integral_value():
        raise FieldError("parse.invalid_number", column, text, f"{_label(column)}{text!r} is not a whole number")
    return int(number)


def parse_float(text: str, column: str | None = None) -> float:
    value = text.strip()
    if not _NUMBER_RE.match(value):
        raise FieldError("parse.invalid_number", column, text, f"{_label(column)}{text!r} is not a number")
    return float(value)


def parse_bool(text: str, column: str | None = None) -> bool:
    """true/false, t/f, yes/no, y/n, 1/0 (any case)."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise FieldError(
        "parse.invalid_bool", column, text, f"{_label(column)}{text!r} is not a boolean (true/false, yes/no, 1/0)"
    )


def parse_list(text: str, column: str | None = None) -> list[str] | None:
    """A ``;``-separated list; blanks are dropped; an empty list is None."""
    items = [item.strip() for item in text.split(";")]
    return [item for item in items if item] or None


def _text(text: str, column: str | None = None) -> str:
    return text.strip()


def _lower(text: str, column: str | None = None) -> str:
    return text.strip().lower()


def _upper(text: str, column: str | None = None) -> str:
    return text.strip().upper()


# Column types of the typed-CSV helper: name → coercer(text, column).
COERCERS: dict[str, Callable[[str, str | None], Any]] = {
    "str": _text,
    "lower": _lower,  # trimmed and lower-cased (enumerations: status, verb, modality, …)
    "upper": _upper,  # trimmed and upper-cased (currency codes)
    "date": parse_date,
    "timestamp": parse_timestamp,
    "decimal": parse_decimal,
    "int": parse_int,
    "float": parse_float,
    "bool": parse_bool,
    "list": parse_list,
}


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def empty_record(entity: str, source_file: str, source_line: int | None) -> dict[str, Any]:
    """A record of ``entity`` with every column None, plus its source location."""
    record: dict[str, Any] = dict.fromkeys(ENTITIES[entity].names)
    record["_source_file"] = source_file
    record["_source_line"] = source_line
    return record


def reject_from(
    error: FieldError, entity: str, source_file: str, source_line: int | None, record: str | None
) -> Reject:
    return Reject(
        entity=entity,
        source_file=source_file,
        source_line=source_line,
        rule=error.rule,
        message=error.message,
        column_name=error.column,
        value=error.value,
        record=record,
    )


# --- CSV ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvSpec:
    """How one CSV kind maps onto a canonical entity."""

    entity: str
    columns: dict[str, str]  # source column → type name in COERCERS
    required: tuple[str, ...]  # entity columns that must have a value
    rename: dict[str, str] = field(default_factory=dict)  # source column → entity column
    constants: dict[str, Any] = field(default_factory=dict)  # entity column → fixed value

    def target(self, column: str) -> str:
        return self.rename.get(column, column)

    def header_required(self, defaults: dict[str, Any]) -> list[str]:
        """The source columns a header must have (a required column with a file-level default need not)."""
        sources = {self.target(column): column for column in self.columns}
        return [sources.get(column, column) for column in self.required if column not in defaults]


def type_row(
    row: CsvRow, spec: CsvSpec, defaults: dict[str, Any] | None = None
) -> tuple[dict[str, Any], str | None, list[FieldError]]:
    """One CSV row → (entity values, raw JSON of the unmapped fields and source timestamps, errors)."""
    defaults = defaults or {}
    values: dict[str, Any] = dict(spec.constants)
    extras: dict[str, str] = {}
    errors: list[FieldError] = []
    for column, text in row.values.items():
        kind = spec.columns.get(column)
        if kind is None:
            if text != "":
                extras[column] = text
            continue
        target = spec.target(column)
        if text.strip() == "":
            values[target] = None
            continue
        try:
            values[target] = COERCERS[kind](text, column)
        except FieldError as error:
            errors.append(error)
            values[target] = None
            continue
        if kind == "timestamp":
            extras[column] = text  # keep the source's own notation (offset, precision)
    for column, default in defaults.items():
        if values.get(column) is None:
            values[column] = default
    failed = {error.column for error in errors}
    for column in spec.required:
        if values.get(column) is None and column not in failed:
            errors.append(FieldError("parse.missing_required", column, None, f"{column}: required value is missing"))
    return values, (compact_json(extras) if extras else None), errors


def field_count_error(row: CsvRow, header: list[str]) -> FieldError | None:
    """What is wrong with a row's shape: bytes that are not UTF-8, or a field count unlike the header's."""
    if row.undecodable:
        return FieldError("parse.encoding", None, None, "row is not UTF-8 text (an undecodable byte, e.g. cp1252)")
    if row.field_count == len(header):
        return None
    return FieldError(
        "parse.wrong_field_count",
        None,
        None,
        f"row has {row.field_count} fields, the header has {len(header)}",
    )


def with_row_errors(row: CsvRow, errors: list[FieldError]) -> list[FieldError]:
    """A row's own problems first; a field they already explain is not also "missing"."""
    explained = {error.column for error in row.errors}
    rest = [error for error in errors if not (error.rule == "parse.missing_required" and error.column in explained)]
    return [*row.errors, *rest]


def combine(errors: list[FieldError]) -> FieldError:
    """Several problems of one row → one error (one reject per raw row) naming the first column."""
    if len(errors) == 1:
        return errors[0]
    first = errors[0]
    return FieldError(first.rule, first.column, first.value, "; ".join(error.message for error in errors))


def parse_typed_csv(path: Path, spec: CsvSpec, defaults: dict[str, Any] | None = None) -> ParseResult:
    """A CSV file of one entity → records and rejects (one reject per bad row, listing its problems)."""
    defaults = defaults or {}
    with CsvFile(path) as csv_file:
        csv_file.require(spec.header_required(defaults))
        return parse_typed_rows(csv_file, spec, path.name, defaults, csv_file.header)


def parse_typed_rows(
    rows: Iterable[CsvRow],
    spec: CsvSpec,
    source_file: str,
    defaults: dict[str, Any] | None = None,
    header: list[str] | None = None,
) -> ParseResult:
    """Rows of one entity (a CSV file's, or a mapping's canonical rows) → records and rejects.

    ``header``: the file's header, to reject rows with too few or too many fields (CSV only).
    """
    result = ParseResult()
    for row in rows:
        values, raw, errors = type_row(row, spec, defaults)
        if header is not None:
            shape = field_count_error(row, header)
            if shape is not None:
                errors.insert(0, shape)
        if row.errors:
            errors = with_row_errors(row, errors)
        if errors:
            result.rejects.append(reject_from(combine(errors), spec.entity, source_file, row.line, row.text))
            continue
        record = empty_record(spec.entity, source_file, row.line)
        record.update(values)
        record["raw"] = raw
        result.add(spec.entity, record)
    return result
