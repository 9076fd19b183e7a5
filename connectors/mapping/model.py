"""The ``mapping:`` block of a file source as pydantic models (docs/data-model.md, mappings).

A mapping says how a foreign export (its own column names, delimiter, encoding, date formats and
status words) becomes the canonical rows of the source's kind. These models check what can be
checked without knowing the kind (a regex compiles, a date format is one, a JMESPath parses);
``connectors/mapping/kinds.py`` checks the field names against the kind.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, Self

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BeforeValidator, Field, model_validator

from connectors.options import StrictModel, invalid, shown

EXCEL = "excel"  # a date_format meaning "an Excel serial day number"
_PROBE = datetime(2024, 11, 23, 13, 45, 56)


def _date_format(value: Any) -> str:
    """A strptime format (``%d.%m.%Y``) or ``excel``; it must round-trip a sample date."""
    if value == EXCEL:
        return EXCEL
    if not isinstance(value, str) or "%" not in value:
        raise invalid(f"expected a strptime format such as '%d.%m.%Y' or 'excel', got {shown(value)}")
    try:
        datetime.strptime(_PROBE.strftime(value), value)
    except ValueError as exc:
        raise invalid(f"not a usable date format {shown(value)} ({exc})") from None
    return value


def _jmespath(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"expected a JMESPath expression such as 'data[*]', got {shown(value)}")
    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        raise invalid(f"not a valid JMESPath {shown(value)} ({str(exc).splitlines()[0]})") from None
    return value


def _regex(value: Any) -> str:
    if not isinstance(value, str):
        raise invalid(f"expected a regular expression, got {shown(value)}")
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise invalid(f"not a valid regular expression {shown(value)} ({exc})") from None
    if compiled.groups < 1:
        raise invalid(f"the regular expression {shown(value)} needs a group ( ) around the date")
    return value


def _delimiter(value: Any) -> str:
    if isinstance(value, str) and value in ("\\t", "tab"):
        return "\t"
    if not isinstance(value, str) or len(value) != 1:
        raise invalid(f"expected one character such as ';' or '\\t', got {shown(value)}")
    return value


def _encoding(value: Any) -> str:
    import codecs

    try:
        return codecs.lookup(str(value)).name
    except LookupError:
        raise invalid(f"unknown text encoding {shown(value)} (e.g. utf-8, cp1252, latin-1)") from None


def _zone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"unknown IANA timezone {shown(value)} (e.g. Europe/Berlin)") from None
    return str(value)


DateFormat = Annotated[str, BeforeValidator(_date_format)]
JmesPath = Annotated[str, BeforeValidator(_jmespath)]
Regex = Annotated[str, BeforeValidator(_regex)]


class CsvDialect(StrictModel):
    """``mapping.csv``: how the file is written (every key optional)."""

    delimiter: Annotated[str, BeforeValidator(_delimiter)] = ","
    quotechar: Annotated[str, BeforeValidator(_delimiter)] = '"'
    encoding: Annotated[str, BeforeValidator(_encoding)] = "utf-8"
    header_row: int = Field(default=1, ge=1)  # 1-based line of the header; lines above it are skipped


class ColumnRule(StrictModel):
    """Where one canonical field's value comes from, and how its text is read.

    Exactly one of ``column`` (a header of a CSV/xlsx file, or a JMESPath into a json record),
    ``path`` (a JMESPath into the record), ``const`` (a fixed value) or ``join`` (several columns or
    paths joined by ``sep``).
    """

    column: str | None = None
    path: JmesPath | None = None
    const: str | int | float | bool | None = None
    join: list[str] | None = None
    sep: str = " "
    values: dict[str, str] | None = None  # source word -> canonical word (keys case-insensitive)
    date_format: DateFormat | None = None
    day_first: bool = False  # 03/04/2024 is 3 April (dd/mm/yyyy, dd.mm.yyyy, dd-mm-yyyy)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"column": data}
        return data

    @model_validator(mode="after")
    def _one_origin(self) -> Self:
        given = [key for key in ("column", "path", "const", "join") if getattr(self, key) is not None]
        if len(given) != 1:
            raise invalid(f"give exactly one of column, path, const or join (got {', '.join(given) or 'none'})")
        if self.join is not None and not self.join:
            raise invalid("expected a non-empty list of columns", field="join")
        if self.values is not None:
            object.__setattr__(self, "values", {str(k).strip().lower(): str(v) for k, v in self.values.items()})
        return self

    @property
    def origins(self) -> list[str]:
        """The source columns/paths this rule reads (none for a constant)."""
        if self.join is not None:
            return list(self.join)
        return [origin for origin in (self.column, self.path) if origin is not None]


class SnapshotDate(StrictModel):
    """``mapping.snapshot_date`` (hris_csv): one of a column, the file's name, or its delivery time."""

    column: str | None = None
    date_format: DateFormat | None = None  # for column (default: the mapping's date_format)
    file_name: Regex | None = None  # group 1 is the date
    format: DateFormat = "%Y-%m-%d"  # for file_name
    delivery_time: bool = False  # the file's modification day in the mapping's timezone

    @model_validator(mode="after")
    def _one_origin(self) -> Self:
        given = [key for key in ("column", "file_name") if getattr(self, key) is not None]
        given += ["delivery_time"] if self.delivery_time else []
        if len(given) != 1:
            raise invalid(f"give exactly one of column, file_name or delivery_time (got {', '.join(given) or 'none'})")
        return self


def _columns(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        raise invalid("expected a mapping of canonical field -> source column (or {column|path|const|join: ...})")
    return value


class Mapping(StrictModel):
    """``mapping:`` of a file source: how its foreign layout becomes the kind's canonical rows."""

    format: Literal["csv", "json", "jsonl", "xlsx"] = "csv"
    records: JmesPath | None = None  # json/jsonl: where the list of records is (default: the document)
    csv: CsvDialect = CsvDialect()
    sheet: str | None = None  # xlsx: default the first sheet
    # naive timestamps are in this zone (unset: the source's assume_timezone, else rejected)
    timezone: Annotated[str, BeforeValidator(_zone)] | None = None
    decimal_comma: bool = False  # "1.234,50" -> 1234.50 in every number field
    date_format: DateFormat | None = None  # default for every date/timestamp field
    columns: Annotated[dict[str, ColumnRule], BeforeValidator(_columns)]
    snapshot_date: SnapshotDate | None = None
    keep_unmapped: bool = True  # source columns no rule reads go to `raw` (JSON)

    @model_validator(mode="after")
    def _format_keys(self) -> Self:
        if self.records is not None and self.format not in ("json", "jsonl"):
            raise invalid("only for format json or jsonl", field="records")
        if self.sheet is not None and self.format != "xlsx":
            raise invalid("only for format xlsx", field="sheet")
        if self.format != "csv" and self.csv != CsvDialect():
            raise invalid("only for format csv", field="csv")
        return self

    @property
    def patterns(self) -> tuple[str, ...]:
        """The files this mapping reads by default."""
        return (f"*.{self.format}",) if self.format != "xlsx" else ("*.xlsx", "*.xlsm")
