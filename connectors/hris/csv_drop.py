"""`hris_csv`: full roster snapshots dropped as CSV (docs/data-model.md).

A file's snapshot date comes from its `snapshot_date` column or, failing that, its name
(`employees_YYYY-MM-DD.csv`).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from connectors.base import ParseContext, ParseResult, SourceError
from connectors.parsing import CsvSpec, parse_typed_csv, read_csv_header

ENTITY = "hris.employee"

SPEC = CsvSpec(
    entity=ENTITY,
    columns={
        "employee_id": "str",
        "email": "str",  # trimmed, case kept: dbt lower-cases for matching
        "given_name": "str",
        "family_name": "str",
        "status": "lower",
        "hire_date": "date",
        "termination_date": "date",
        "job_code": "str",
        "job_title": "str",
        "department": "str",
        "cost_center": "str",
        "country": "str",
        "region": "str",
        "manager_id": "str",
        "employment_type": "str",
        "updated_at": "timestamp",
        "snapshot_date": "date",
    },
    required=("employee_id", "email", "status", "hire_date", "snapshot_date"),
    rename={"updated_at": "source_updated_at"},
)

_FILE_DATE = re.compile(r"^employees_(\d{4}-\d{2}-\d{2})\.csv$", re.IGNORECASE)


def snapshot_date_from_name(name: str) -> date | None:
    """`employees_2024-05-31.csv` → 2024-05-31; any other name → None."""
    match = _FILE_DATE.match(name)
    if not match:
        return None
    try:
        return date.fromisoformat(match[1])
    except ValueError:
        return None


class HrisCsvParser:
    kind: str = "hris_csv"
    entities: tuple[str, ...] = (ENTITY,)
    patterns: tuple[str, ...] = ("*.csv",)

    def parse(self, path: Path, context: ParseContext) -> ParseResult:
        file_date = snapshot_date_from_name(path.name)
        if file_date is None and "snapshot_date" not in read_csv_header(path):
            raise SourceError(
                f"{path.name}: no snapshot date: add a snapshot_date column or name the file employees_YYYY-MM-DD.csv"
            )
        defaults = {"snapshot_date": file_date} if file_date else {}
        return parse_typed_csv(path, SPEC, defaults)
