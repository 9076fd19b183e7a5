"""The raw tables every warehouse target reads, in one neutral catalogue: the landed entities, the
parse and validation rejects, the load manifests and the reference CSVs, and how Arrow types map to
each engine's column types. ``warehouse/postgres_target.py`` copies into these tables;
``warehouse/spark_target.py`` declares them over the files."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from connectors import schemas

REFERENCE_SOURCES = Path(__file__).resolve().parent.parent / "dbt/models/staging/reference/_reference__sources.yml"

RAW_TABLES: dict[str, pa.Schema] = {
    **{entity: schemas.full_schema(entity) for entity in schemas.ENTITIES},
    "quarantine.parse_rejects": schemas.QUARANTINE,
    "quarantine.validation_rejects": schemas.QUARANTINE,
    "landing.manifests": pa.schema(
        [
            ("load_id", pa.string()),
            ("source", pa.string()),
            ("kind", pa.string()),
            ("connector_version", pa.string()),
            ("entities", pa.string()),  # JSON object entity → rows (jsonb below)
            ("rejects", pa.int64()),
            ("raw_rows", pa.int64()),
            ("checksum", pa.string()),
            ("started_at", pa.timestamp("us", tz="UTC")),
            ("finished_at", pa.timestamp("us", tz="UTC")),
        ]
    ),
}


# Arrow → column types of a warehouse, one table per engine (flows/spark.py has Spark's); ``decimal``
# and ``list`` are templates.
POSTGRES_TYPES = {
    "engine": "Postgres", "string": "text", "int64": "bigint", "integer": "integer", "boolean": "boolean",
    "floating": "double precision", "decimal": "numeric({precision}, {scale})", "date": "date",
    "timestamp_tz": "timestamptz", "timestamp": "timestamp", "list": "{item}[]",
}  # fmt: skip


SPARK_TYPES = {
    "engine": "Spark", "string": "string", "int64": "bigint", "integer": "int", "boolean": "boolean",
    "floating": "double", "decimal": "decimal({precision}, {scale})", "date": "date",
    "timestamp_tz": "timestamp", "timestamp": "timestamp_ntz", "list": "array<{item}>",
}  # fmt: skip


def warehouse_type(arrow_type: pa.DataType, types: dict[str, str]) -> str:
    """The column type, in ``types`` (e.g. ``POSTGRES_TYPES``), for an Arrow type of our schemas."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return types["string"]
    if pa.types.is_int64(arrow_type):
        return types["int64"]
    if pa.types.is_integer(arrow_type):
        return types["integer"]
    if pa.types.is_boolean(arrow_type):
        return types["boolean"]
    if pa.types.is_floating(arrow_type):
        return types["floating"]
    if pa.types.is_decimal(arrow_type):
        return types["decimal"].format(precision=arrow_type.precision, scale=arrow_type.scale)
    if pa.types.is_date(arrow_type):
        return types["date"]
    if pa.types.is_timestamp(arrow_type):
        return types["timestamp_tz"] if arrow_type.tz else types["timestamp"]
    if pa.types.is_list(arrow_type):
        return types["list"].format(item=warehouse_type(arrow_type.value_type, types))
    raise TypeError(f"no {types['engine']} type for Arrow {arrow_type}")


def _reference_blocks() -> dict[str, str]:
    """Each reference table's name → its block of the dbt sources YAML."""
    blocks = re.split(r"\n\s+- name: ", REFERENCE_SOURCES.read_text())[1:]
    return {block.split("\n", 1)[0].strip(): block for block in blocks}


def reference_columns() -> dict[str, list[str]]:
    """Each reference CSV's expected columns, read from the dbt source definitions (their zero-row
    skeletons: ``cast(null as varchar) as <column>``), so the YAML stays the one list."""
    tables = {
        name: re.findall(r"cast\(null as varchar\) as (\w+)", block) for name, block in _reference_blocks().items()
    }
    return {name: columns for name, columns in tables.items() if columns}


def optional_reference_tables() -> set[str]:
    """The reference CSVs a deployment may leave out (``optional: true`` in the dbt source's meta):
    absent, the warehouse gets an empty table of the expected columns."""
    return {name for name, block in _reference_blocks().items() if re.search(r"\boptional:\s*true\b", block)}
