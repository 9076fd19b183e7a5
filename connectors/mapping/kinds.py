"""The file kinds a mapping can feed, each with its canonical CSV spec (``connectors/parsing.CsvSpec``)
and the function that types and validates its canonical rows; the config-time checks of a mapping
against its kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from connectors.base import ParseResult
from connectors.hris import csv_drop
from connectors.lms import csv_drops
from connectors.mapping.model import Mapping
from connectors.options import invalid
from connectors.parsing import CsvRow, CsvSpec, parse_typed_rows
from connectors.vendors import invoices_csv

RowsParser = Callable[[Iterable[CsvRow], str, dict[str, Any]], ParseResult]


@dataclass(frozen=True)
class MappedKind:
    spec: CsvSpec
    entities: tuple[str, ...]
    parse_rows: RowsParser

    @property
    def fields(self) -> tuple[str, ...]:
        """The canonical fields (the kind's canonical CSV header names)."""
        return tuple(self.spec.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(self.spec.header_required({}))

    def field_type(self, field: str) -> str:
        return self.spec.columns[field]


def _typed(spec: CsvSpec) -> RowsParser:
    def parse(rows: Iterable[CsvRow], source_file: str, defaults: dict[str, Any]) -> ParseResult:
        return parse_typed_rows(rows, spec, source_file, defaults)

    return parse


def _invoices(rows: Iterable[CsvRow], source_file: str, defaults: dict[str, Any]) -> ParseResult:
    return invoices_csv.InvoicesCsvParser().parse_rows(rows, source_file)


def _single(spec: CsvSpec) -> MappedKind:
    return MappedKind(spec, (spec.entity,), _typed(spec))


MAPPED_KINDS: dict[str, MappedKind] = {
    "hris_csv": _single(csv_drop.SPEC),
    "lms_csv": _single(csv_drops.LEARNING_RECORDS),
    "sessions_csv": _single(csv_drops.SESSIONS),
    "bookings_csv": _single(csv_drops.BOOKINGS),
    "invoices_csv": MappedKind(invoices_csv.SPEC, (invoices_csv.INVOICE, invoices_csv.LINE), _invoices),
}


def check_mapping(kind: str, mapping: Mapping) -> None:
    """Config-time checks of a mapping against its kind; a `PydanticCustomError` names the key below
    ``mapping`` (``mapping.columns.hire_dte``)."""
    if kind not in MAPPED_KINDS:
        raise invalid(f"a {kind} source takes no mapping (only {', '.join(MAPPED_KINDS)})", field="mapping")
    mapped = MAPPED_KINDS[kind]
    for field in mapping.columns:
        if field not in mapped.fields:
            raise invalid(
                f"{field!r} is not a field of {kind} (fields: {', '.join(mapped.fields)})",
                field=f"mapping.columns.{field}",
            )
    if mapping.snapshot_date is not None:
        if kind != "hris_csv":
            raise invalid("only for hris_csv (a roster snapshot)", field="mapping.snapshot_date")
        if "snapshot_date" in mapping.columns:
            raise invalid("give snapshot_date once: here or in columns", field="mapping.snapshot_date")
    has = set(mapping.columns) | ({"snapshot_date"} if mapping.snapshot_date is not None else set())
    missing = [field for field in mapped.required if field not in has]
    if missing:
        hint = " (or mapping.snapshot_date)" if "snapshot_date" in missing else ""
        raise invalid(f"required field(s) of {kind} not mapped: {', '.join(missing)}{hint}", field="mapping.columns")
    for field, rule in mapping.columns.items():
        kind_of = mapped.field_type(field)
        if (rule.date_format or rule.day_first) and kind_of not in ("date", "timestamp"):
            raise invalid(f"{field} is not a date or timestamp field ({kind_of})", field=f"mapping.columns.{field}")
