"""The mapping engine: a foreign export -> the kind's canonical rows -> the kind's records and rejects.

Each record of the file (``connectors/mapping/read.py``) becomes one canonical row (field -> text),
which the kind's own spec then types and validates (``connectors/mapping/kinds.py``), so a reject
keeps the kind's rule and the file:line of the source row. A column or path the file lacks refuses
the file whole; a value missing from a field's ``values:`` rejects its row (``mapping.unmapped_value``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jmespath
from jmespath.parser import ParsedResult

from connectors.base import ParseContext, ParseResult, SourceError
from connectors.mapping import values as convert
from connectors.mapping.kinds import MAPPED_KINDS, MappedKind
from connectors.mapping.model import ColumnRule, Mapping
from connectors.mapping.read import SourceRecord, SourceTable, read_table
from connectors.parsing import CsvRow, FieldError, assumed_zone

UNMAPPED_VALUE = "mapping.unmapped_value"
_FIRST_KEY = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*))')


def _top_key(path: str) -> str | None:
    """The record key a JMESPath starts from (``work.title`` -> ``work``), to tell used keys."""
    match = _FIRST_KEY.match(path)
    return (match[1] if match[1] is not None else match[2]) if match else None


@dataclass(frozen=True)
class _Origin:
    """One column or path a rule reads, resolved against a file."""

    key: str  # mapping.columns.<field> (for messages)
    spelled: str  # as the mapping wrote it
    header: str | None = None  # tabular files: the file's own header name
    expression: ParsedResult | None = None  # otherwise: a compiled JMESPath

    def read(self, data: Any) -> Any:
        if self.header is not None:
            return data.get(self.header)
        return self.expression.search(data) if self.expression is not None else None


@dataclass
class _FilePlan:
    """A mapping resolved against one file's columns."""

    origins: dict[str, list[_Origin]]
    used: set[str] = field(default_factory=set)
    steps: list[tuple[str, ColumnRule, list[_Origin]]] = field(default_factory=list)
    plain: dict[str, str] = field(default_factory=dict)  # field -> csv header read as it is (no conversion)
    # (field, source text) -> canonical text: an export repeats its dates, statuses and departments
    # thousands of times, and converting each once keeps a mapped read near the canonical one's speed
    converted: dict[tuple[str, str], str] = field(default_factory=dict)


_CONVERTED_PER_FILE = 200_000  # distinct (field, text) pairs remembered per file


@dataclass(frozen=True)
class MappedParser:
    """A file kind read through a source's ``mapping:`` (a `FileParser`)."""

    kind: str
    mapping: Mapping

    @cached_property
    def mapped(self) -> MappedKind:
        return MAPPED_KINDS[self.kind]

    @property
    def entities(self) -> tuple[str, ...]:
        return self.mapped.entities

    @property
    def patterns(self) -> tuple[str, ...]:
        return self.mapping.patterns

    @cached_property
    def zone(self) -> ZoneInfo | None:
        """The mapping's zone for naive timestamps; None: left naive, so the kind's parser reads them
        in the source's ``assume_timezone`` or rejects them (``parse.naive_timestamp``)."""
        return ZoneInfo(self.mapping.timezone) if self.mapping.timezone else None

    @cached_property
    def rules(self) -> dict[str, ColumnRule]:
        """Every field's rule, the snapshot date's column included."""
        rules = dict(self.mapping.columns)
        snapshot = self.mapping.snapshot_date
        if snapshot is not None and snapshot.column is not None:
            rules["snapshot_date"] = ColumnRule(column=snapshot.column, date_format=snapshot.date_format)
        return rules

    def parse(self, path: Path, context: ParseContext) -> ParseResult:
        table = read_table(path, self.mapping)
        plan = self._plan(table, path, context.source_name)
        defaults = self._defaults(path)
        rows = (self._row(record, plan, table) for record in table.records)
        return self.mapped.parse_rows(rows, path.name, defaults)

    # -- per file ------------------------------------------------------------------------------------

    def _plan(self, table: SourceTable, path: Path, source: str) -> _FilePlan:
        """Resolve each rule's columns against the file; a column it lacks refuses the file."""
        by_name = {name.strip().casefold(): name for name in table.columns}
        plan = _FilePlan(origins={})
        records: list[SourceRecord] | None = None
        for name, rule in self.rules.items():
            key = f"mapping.columns.{name}" if name in self.mapping.columns else "mapping.snapshot_date.column"
            origins: list[_Origin] = []
            for spelled in rule.origins:
                if table.tabular and rule.path is not None:
                    origins.append(_Origin(key, spelled, expression=jmespath.compile(spelled)))
                    plan.used.add(_top_key(spelled) or spelled)
                elif table.tabular:
                    header = spelled if spelled in table.columns else by_name.get(spelled.strip().casefold())
                    if header is None:
                        raise _missing(source, path, key, spelled, table.columns)
                    if table.columns.count(header) > 1:  # which of them? refused, not guessed
                        raise SourceError(f"source {source!r}: {path.name}: {key}: the header repeats {header!r}")
                    origins.append(_Origin(key, spelled, header=header))
                    plan.used.add(header)
                else:
                    origin = _Origin(key, spelled, expression=jmespath.compile(spelled))
                    if records is None:  # json: a path no record has is a missing column
                        records = list(table.records)
                        table.records = iter(records)
                    if records and all(origin.read(record.data) is None for record in records):
                        raise _missing(source, path, key, spelled, table.columns)
                    origins.append(origin)
                    plan.used.add(_top_key(spelled) or spelled)
            plan.origins[name] = origins
            if table.tabular and self._is_plain(name, rule) and origins[0].header is not None:
                plan.plain[name] = origins[0].header
            else:
                plan.steps.append((name, rule, origins))
        return plan

    def _is_plain(self, name: str, rule: ColumnRule) -> bool:
        """A header whose text the kind reads as it is: no values, formats or number conversion."""
        kind = self.mapped.field_type(name)
        if rule.column is None or rule.values is not None or kind in ("timestamp", "decimal", "float", "int"):
            return False
        return kind != "date" or not (rule.date_format or self.mapping.date_format or rule.day_first)

    def _defaults(self, path: Path) -> dict[str, Any]:
        """The snapshot date of a roster file from its name or its delivery time."""
        snapshot = self.mapping.snapshot_date
        if snapshot is None or snapshot.column is not None:
            return {}
        if snapshot.delivery_time:
            zone = self.zone or assumed_zone() or UTC  # an instant's local day, not a naive timestamp
            return {"snapshot_date": datetime.fromtimestamp(path.stat().st_mtime, zone).date()}
        match = re.search(snapshot.file_name or "", path.name)
        if match is None:
            raise SourceError(
                f"{path.name}: the file name does not match mapping.snapshot_date.file_name {snapshot.file_name!r}"
            )
        try:
            return {"snapshot_date": datetime.strptime(match[1], snapshot.format).date()}
        except ValueError:
            raise SourceError(
                f"{path.name}: {match[1]!r} (mapping.snapshot_date.file_name) does not match the format "
                f"{snapshot.format}"
            ) from None

    # -- per record ----------------------------------------------------------------------------------

    def _row(self, record: SourceRecord, plan: _FilePlan, table: SourceTable) -> CsvRow:
        data = record.data
        values: dict[str, str] = {}
        for name, header in plan.plain.items():
            value = data.get(header)
            values[name] = value if isinstance(value, str) else self._typed_text(name, self.rules[name], value)
        errors: list[FieldError] = []
        if record.undecodable:
            errors.append(FieldError("parse.encoding", None, None, record.undecodable))
        elif record.fields is not None and record.fields != len(table.columns):
            message = f"row has {record.fields} fields, the header has {len(table.columns)}"
            errors.append(FieldError("parse.wrong_field_count", None, None, message))
        for name, rule, origins in plan.steps:
            try:
                values[name] = self._value(name, rule, origins, record.data, plan.converted)
            except FieldError as error:
                errors.append(error)
        if self.mapping.keep_unmapped and isinstance(record.data, dict):
            for column, value in record.data.items():
                if column in plan.used or value is None or value == "":
                    continue
                key = f"source.{column}" if column in self.mapped.spec.columns else str(column)
                values[key] = convert.as_text(value)
        return CsvRow(record.line, values, record.text, len(values), errors=tuple(errors))

    def _value(
        self, name: str, rule: ColumnRule, origins: list[_Origin], data: Any, converted: dict[tuple[str, str], str]
    ) -> str:
        if rule.const is not None:
            raw: Any = rule.const
        elif rule.join is not None:
            parts = [convert.as_text(origin.read(data)).strip() for origin in origins]
            raw = rule.sep.join(part for part in parts if part)
        else:
            raw = origins[0].read(data)
        if not isinstance(raw, str):
            return self._convert(name, rule, raw)
        key = (name, raw)
        text = converted.get(key)
        if text is None:
            text = self._convert(name, rule, raw)  # a FieldError is raised again for every row that has it
            if len(converted) < _CONVERTED_PER_FILE:
                converted[key] = text
        return text

    def _convert(self, name: str, rule: ColumnRule, raw: Any) -> str:
        """One source value through the field's ``values:`` map and its type's conversion."""
        if rule.values is not None:
            text = convert.as_text(raw).strip()
            if text == "":
                return ""
            found = rule.values.get(text.lower())
            if found is None:
                known = ", ".join(rule.values)
                message = f"{name}: {text!r} is not in mapping.columns.{name}.values ({known})"
                raise FieldError(UNMAPPED_VALUE, name, text, message)
            raw = found
        return self._typed_text(name, rule, raw)

    def _typed_text(self, name: str, rule: ColumnRule, raw: Any) -> str:
        kind = self.mapped.field_type(name)
        date_format = rule.date_format or self.mapping.date_format
        if kind == "date":
            return convert.to_date(raw, name, date_format, rule.day_first)
        if kind == "timestamp":
            return convert.to_timestamp(raw, name, date_format, rule.day_first, self.zone)
        if kind in ("decimal", "float", "int"):
            return convert.to_number(raw, self.mapping.decimal_comma)
        if isinstance(raw, datetime | date):
            return raw.isoformat()
        return convert.as_text(raw)


def _missing(source: str, path: Path, key: str, spelled: str, columns: list[str]) -> SourceError:
    has = ", ".join(repr(column) for column in columns) or "none"
    return SourceError(f"source {source!r}: {path.name}: {key}: no column {spelled!r} in the file (it has: {has})")
