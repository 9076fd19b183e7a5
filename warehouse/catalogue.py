"""The raw tables every warehouse target reads, in one neutral catalogue: the landed entities, the
parse and validation rejects, the load manifests and the reference CSVs, and how Arrow types map to
each engine's column types. ``warehouse/postgres_target.py`` copies into these tables;
``warehouse/spark_target.py`` declares them over the files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from connectors import landing, schemas

REFERENCE_SOURCES = Path(__file__).resolve().parent.parent / "dbt/models/staging/reference/_reference__sources.yml"

RAW_TABLES: dict[str, pa.Schema] = {
    **{entity: schemas.full_schema(entity) for entity in schemas.ENTITIES},
    "quarantine.parse_rejects": schemas.QUARANTINE,
    "quarantine.validation_rejects": schemas.QUARANTINE,
    "landing.manifests": landing.MANIFEST,
}


# Arrow → column types of a warehouse, one table per engine; ``decimal``, ``list`` and ``map`` are
# templates (a Postgres map is ``jsonb``).
POSTGRES_TYPES = {
    "engine": "Postgres", "string": "text", "int64": "bigint", "integer": "integer", "boolean": "boolean",
    "floating": "double precision", "decimal": "numeric({precision}, {scale})", "date": "date",
    "timestamp_tz": "timestamptz", "timestamp": "timestamp", "list": "{item}[]", "map": "jsonb",
}  # fmt: skip


SPARK_TYPES = {
    "engine": "Spark", "string": "string", "int64": "bigint", "integer": "int", "boolean": "boolean",
    "floating": "double", "decimal": "decimal({precision}, {scale})", "date": "date",
    "timestamp_tz": "timestamp", "timestamp": "timestamp_ntz", "list": "array<{item}>",
    "map": "map<{key}, {item}>",
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
    if pa.types.is_map(arrow_type):
        key, item = warehouse_type(arrow_type.key_type, types), warehouse_type(arrow_type.item_type, types)
        return types["map"].format(key=key, item=item)
    raise TypeError(f"no {types['engine']} type for Arrow {arrow_type}")


def reference_columns() -> dict[str, list[str]]:
    """Each reference CSV's columns, as its dbt source declares them (``columns`` of the tables of
    source ``reference``): the one list, which dbt's DuckDB reader (macro ``reference_rows``) uses too."""
    return {table["name"]: [column["name"] for column in table.get("columns") or []] for table in _reference_tables()}


def optional_reference_tables() -> set[str]:
    """The reference CSVs a deployment may leave out (``optional: true`` in the dbt source's meta):
    absent, the warehouse gets an empty table of the expected columns."""
    return {
        table["name"]
        for table in _reference_tables()
        if ((table.get("config") or {}).get("meta") or {}).get("optional")
    }


def _reference_tables() -> list[dict[str, Any]]:
    document = yaml.safe_load(REFERENCE_SOURCES.read_text())
    [source] = [source for source in document["sources"] if source["name"] == "reference"]
    return list(source["tables"])
