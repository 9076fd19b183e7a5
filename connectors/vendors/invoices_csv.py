"""`invoices_csv`: vendor invoices as CSV, one row per invoice line (docs/data-model.md).

Each row yields a `vendor.invoice_line`; the rows of one (vendor_id, invoice_number) yield one
`vendor.invoice` whose `total_excl_tax` is the sum of its lines and whose `_source_line` is its first
row's. `period_start`/`period_end` are per line (an invoice may bill several months); the invoice's
period spans its lines'. Header fields (document type, dates, currency, …) must agree across the rows
of one invoice: a row that disagrees with the invoice's first row is rejected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.base import ParseContext, ParseResult
from connectors.parsing import (
    CsvFile,
    CsvRow,
    CsvSpec,
    FieldError,
    combine,
    compact_json,
    empty_record,
    field_count_error,
    reject_from,
    type_row,
    with_row_errors,
)

INVOICE = "vendor.invoice"
LINE = "vendor.invoice_line"

# Invoice-level columns: equal on every row of one invoice. The last four are optional extras.
HEADER_COLUMNS = (
    "document_type",
    "issue_date",
    "currency",
    "due_date",
    "purchase_order",
    "preceding_invoice",
    "tax_total",
    "total_incl_tax",
)

SPEC = CsvSpec(
    entity=LINE,  # the row's grain; invoice fields are split off below
    columns={
        "vendor_id": "str",
        "invoice_number": "str",
        "document_type": "lower",
        "issue_date": "date",
        "currency": "upper",
        "period_start": "date",
        "period_end": "date",
        "line_id": "str",
        "item_ref": "str",
        "description": "str",
        "quantity": "decimal",
        "unit_price": "decimal",
        "line_amount": "decimal",
        "learner_refs": "list",
        "due_date": "date",
        "purchase_order": "str",
        "preceding_invoice": "str",
        "tax_total": "decimal",
        "total_incl_tax": "decimal",
    },
    required=(
        "vendor_id",
        "invoice_number",
        "document_type",
        "issue_date",
        "currency",
        "line_id",
        "quantity",
        "unit_price",
        "line_amount",
    ),
)


@dataclass
class _Invoice:
    record: dict[str, Any]
    total: Decimal = Decimal(0)
    lines: int = 0
    starts: list[date] = field(default_factory=list)
    ends: list[date] = field(default_factory=list)


def header_conflict(first: dict[str, Any], values: dict[str, Any]) -> FieldError | None:
    """The first invoice-level field where a row disagrees with its invoice's first row."""
    for column in HEADER_COLUMNS:
        if values.get(column) != first.get(column):
            return FieldError(
                "parse.inconsistent_header",
                column,
                values.get(column),
                f"{column}: {values.get(column)!s} differs from {first.get(column)!s} on the first row "
                f"of invoice {values['invoice_number']} (line {first['_source_line']})",
            )
    return None


class InvoicesCsvParser:
    kind: str = "invoices_csv"
    entities: tuple[str, ...] = (INVOICE, LINE)
    patterns: tuple[str, ...] = ("*.csv",)

    def parse(self, path: Path, context: ParseContext) -> ParseResult:
        with CsvFile(path) as csv_file:
            csv_file.require(SPEC.header_required({}))
            return self.parse_rows(csv_file, path.name, csv_file.header)

    def parse_rows(self, rows: Iterable[CsvRow], source_file: str, header: list[str] | None = None) -> ParseResult:
        """Rows (a CSV file's, or a mapping's canonical rows) → invoice lines and invoices."""
        result = ParseResult()
        invoices: dict[tuple[str, str], _Invoice] = {}
        rejected: Counter[tuple[str, str]] = Counter()
        for row in rows:
            values, raw, errors = type_row(row, SPEC)
            shape = field_count_error(row, header) if header is not None else None
            if shape is not None:
                errors.insert(0, shape)
            if row.errors:
                errors = with_row_errors(row, errors)
            vendor_id, number = values.get("vendor_id"), values.get("invoice_number")
            key = (vendor_id, number) if vendor_id and number else None
            invoice = invoices.get(key) if key else None
            if not errors and invoice is not None:
                conflict = header_conflict(invoice.record, values)
                if conflict is not None:
                    errors.append(conflict)
            if errors:
                if key:
                    rejected[key] += 1
                result.rejects.append(reject_from(combine(errors), LINE, source_file, row.line, row.text))
                continue
            if key is None:  # pragma: no cover - required values are checked above
                continue
            if invoice is None:
                record = empty_record(INVOICE, source_file, row.line)
                record.update({column: values.get(column) for column in ("vendor_id", "invoice_number")})
                record.update({column: values.get(column) for column in HEADER_COLUMNS})
                invoice = invoices[key] = _Invoice(record)
            line = empty_record(LINE, source_file, row.line)
            line.update({column: value for column, value in values.items() if column in line})
            line["raw"] = raw
            result.add(LINE, line)
            invoice.total += values["line_amount"]
            invoice.lines += 1
            if values.get("period_start"):
                invoice.starts.append(values["period_start"])
            if values.get("period_end"):
                invoice.ends.append(values["period_end"])
        for key, invoice in invoices.items():
            record = invoice.record
            record["total_excl_tax"] = invoice.total
            record["period_start"] = min(invoice.starts, default=None)
            record["period_end"] = max(invoice.ends, default=None)
            if rejected[key]:
                note = f"sum of {invoice.lines} accepted lines; {rejected[key]} rows of this invoice rejected"
                record["raw"] = compact_json({"total_excl_tax_note": note})
            result.add(INVOICE, record)
        return result
