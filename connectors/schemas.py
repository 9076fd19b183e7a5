"""Canonical entities (docs/data-model.md) as Arrow schemas: the contract between connectors, landing,
validation and dbt staging. The values a column may take are in ``connectors/vocabulary.py``.

Every landed row also carries the metadata columns of ``METADATA`` so any figure in a mart can be
traced back to the file and line (or request and page) it came from.
"""

from __future__ import annotations

import pyarrow as pa

MONEY = pa.decimal128(20, 6)  # exact decimals end to end; 6 places hold EN 16931's 5-decimal prices
TS = pa.timestamp("us", tz="UTC")

METADATA = [
    pa.field("_load_id", pa.string(), nullable=False),  # the landing load this row arrived in
    pa.field("_row", pa.int64(), nullable=False),  # row number within the load (0-based), its key there
    pa.field("_source", pa.string(), nullable=False),  # configured source name (trainops.yaml)
    pa.field("_source_file", pa.string()),  # file name, or request path for API sources
    pa.field("_source_line", pa.int64()),  # 1-based line (CSV/JSONL), element/statement index, or page
]

ENTITIES: dict[str, pa.Schema] = {
    "hris.employee": pa.schema(
        [
            ("employee_id", pa.string()),
            ("email", pa.string()),
            ("status", pa.string()),  # vocabulary.EMPLOYEE_STATUSES
            ("hire_date", pa.date32()),
            ("termination_date", pa.date32()),
            ("given_name", pa.string()),
            ("family_name", pa.string()),
            ("job_code", pa.string()),
            ("job_title", pa.string()),
            ("department", pa.string()),
            ("cost_center", pa.string()),
            ("country", pa.string()),
            ("region", pa.string()),
            ("manager_id", pa.string()),
            ("employment_type", pa.string()),
            ("source_updated_at", TS),
            ("snapshot_date", pa.date32()),  # the roster snapshot this row belongs to
            ("raw", pa.string()),  # JSON of the source record's extra fields
        ]
    ),
    "lms.learning_record": pa.schema(
        [
            ("record_id", pa.string()),  # xAPI statement id, or the LMS's record id
            ("learner_ref", pa.string()),  # email / employee_id / account:<homePage>|<name>
            ("course_ref", pa.string()),
            ("activity_id", pa.string()),  # full activity IRI when the source is xAPI
            ("verb", pa.string()),  # short xAPI verb name (vocabulary.KNOWN_VERBS; others are warned about)
            ("occurred_at", TS),  # xAPI timestamp
            ("stored_at", TS),  # xAPI stored
            ("success", pa.bool_()),
            ("completion", pa.bool_()),
            ("score_scaled", pa.float64()),
            ("duration_seconds", pa.float64()),
            ("registration", pa.string()),
            ("voids_record_id", pa.string()),  # set on a voiding statement: the record it retracts
            ("source_system", pa.string()),
            # lineage of xAPI records: true when the statement had no id and record_id was derived
            # from its content (UUID v5); where occurred_at came from (timestamp / stored / constant)
            ("record_id_derived", pa.bool_()),
            ("occurred_at_from", pa.string()),
            ("raw", pa.string()),
        ]
    ),
    "lms.session": pa.schema(
        [
            ("session_id", pa.string()),
            ("course_ref", pa.string()),
            ("vendor_id", pa.string()),
            ("modality", pa.string()),  # vocabulary.SESSION_MODALITIES
            ("starts_at", TS),
            ("ends_at", TS),
            ("capacity", pa.int64()),
            ("location", pa.string()),
            ("status", pa.string()),  # vocabulary.SESSION_STATUSES
            ("raw", pa.string()),
        ]
    ),
    "lms.booking": pa.schema(
        [
            ("session_id", pa.string()),
            ("learner_ref", pa.string()),
            ("status", pa.string()),  # vocabulary.BOOKING_STATUSES
            ("booked_at", TS),
            ("updated_at", TS),
            ("raw", pa.string()),
        ]
    ),
    "vendor.invoice": pa.schema(
        [
            ("vendor_id", pa.string()),
            ("invoice_number", pa.string()),
            ("document_type", pa.string()),  # vocabulary.DOCUMENT_TYPES
            ("issue_date", pa.date32()),
            ("due_date", pa.date32()),
            ("currency", pa.string()),
            ("period_start", pa.date32()),
            ("period_end", pa.date32()),
            ("total_excl_tax", MONEY),  # the document's own amounts: positive on credit notes too
            ("tax_total", MONEY),
            ("total_incl_tax", MONEY),
            ("purchase_order", pa.string()),
            ("preceding_invoice", pa.string()),  # credit notes: the invoice they correct
            ("seller_ids", pa.string()),  # `;`-separated identifiers the document names its seller by
            ("raw", pa.string()),
        ]
    ),
    "vendor.invoice_line": pa.schema(
        [
            ("vendor_id", pa.string()),
            ("invoice_number", pa.string()),
            ("line_id", pa.string()),
            ("item_ref", pa.string()),
            ("description", pa.string()),
            ("quantity", MONEY),
            ("unit_price", MONEY),
            ("line_amount", MONEY),
            ("learner_refs", pa.list_(pa.string())),
            ("period_start", pa.date32()),
            ("period_end", pa.date32()),
            ("raw", pa.string()),
        ]
    ),
}

# Natural keys (docs/data-model.md): unique within a load; staging deduplicates on them across loads.
KEYS: dict[str, tuple[str, ...]] = {
    "hris.employee": ("employee_id", "snapshot_date"),
    "lms.learning_record": ("record_id",),
    "lms.session": ("session_id",),
    "lms.booking": ("session_id", "learner_ref"),
    "vendor.invoice": ("vendor_id", "invoice_number"),
    "vendor.invoice_line": ("vendor_id", "invoice_number", "line_id"),
}

# One quarantine row per (rejected row, broken rule). Parse rejects (rows that could not even be
# typed) carry `_row` = null; validation rejects point at the landed row by (`_load_id`, `_row`).
QUARANTINE = pa.schema(
    [
        ("_load_id", pa.string()),
        ("_row", pa.int64()),
        ("_source", pa.string()),
        ("_source_file", pa.string()),
        ("_source_line", pa.int64()),
        ("entity", pa.string()),
        ("rule", pa.string()),  # e.g. `parse.invalid_date`, `expect_column_values_to_be_in_set`
        ("severity", pa.string()),  # vocabulary.SEVERITIES
        ("column_name", pa.string()),
        ("value", pa.string()),  # the offending value, as text
        ("message", pa.string()),
        ("record", pa.string()),  # the raw row or element, as text, so nothing is lost
    ]
)


def full_schema(entity: str) -> pa.Schema:
    """The schema of a landed file: metadata columns, then the entity's own."""
    return pa.schema(METADATA + list(ENTITIES[entity]))
