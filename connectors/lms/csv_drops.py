"""LMS exports dropped as CSV (docs/data-model.md): `lms_csv` learning records, `sessions_csv`, `bookings_csv`.

Columns beyond the documented ones that match a canonical column (e.g. `completion` or `stored_at` in
an LMS export) are typed too; any other column goes to `raw`.
"""

from __future__ import annotations

from pathlib import Path

from connectors.base import ParseContext, ParseResult
from connectors.parsing import CsvSpec, parse_typed_csv

LEARNING_RECORDS = CsvSpec(
    entity="lms.learning_record",
    columns={
        "record_id": "str",
        "learner_ref": "str",
        "course_ref": "str",
        "verb": "lower",
        "occurred_at": "timestamp",
        "success": "bool",
        "score_scaled": "float",
        # optional extras an LMS export may carry
        "activity_id": "str",
        "stored_at": "timestamp",
        "completion": "bool",
        "duration_seconds": "float",
        "registration": "str",
    },
    required=("record_id", "learner_ref", "course_ref", "verb", "occurred_at"),
    constants={"source_system": "lms_csv"},
)

SESSIONS = CsvSpec(
    entity="lms.session",
    columns={
        "session_id": "str",
        "course_ref": "str",
        "vendor_id": "str",
        "modality": "lower",
        "starts_at": "timestamp",
        "ends_at": "timestamp",
        "capacity": "int",
        "location": "str",
        "status": "lower",
    },
    required=("session_id", "course_ref", "modality", "starts_at", "capacity"),
)

BOOKINGS = CsvSpec(
    entity="lms.booking",
    columns={
        "session_id": "str",
        "learner_ref": "str",
        "status": "lower",
        "booked_at": "timestamp",
        "updated_at": "timestamp",
    },
    required=("session_id", "learner_ref", "status"),
)


class _TypedCsvParser:
    kind: str
    spec: CsvSpec
    entities: tuple[str, ...]
    patterns: tuple[str, ...] = ("*.csv",)

    def parse(self, path: Path, context: ParseContext) -> ParseResult:
        return parse_typed_csv(path, self.spec)


class LmsCsvParser(_TypedCsvParser):
    kind: str = "lms_csv"
    spec = LEARNING_RECORDS
    entities: tuple[str, ...] = (LEARNING_RECORDS.entity,)


class SessionsCsvParser(_TypedCsvParser):
    kind: str = "sessions_csv"
    spec = SESSIONS
    entities: tuple[str, ...] = (SESSIONS.entity,)


class BookingsCsvParser(_TypedCsvParser):
    kind: str = "bookings_csv"
    spec = BOOKINGS
    entities: tuple[str, ...] = (BOOKINGS.entity,)
