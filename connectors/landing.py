"""The landing zone: the only writer of raw data.

Layout under ``{home}/landing``::

    {source}/{load_id}/{entity}.parquet     canonical records of one entity (METADATA columns first)
    {source}/{load_id}/_rejects.parquet     rows that could not be typed (QUARANTINE schema)
    {source}/{load_id}/manifest.json        source, kind, files, row counts, checksum, timings
    _schema/_empty/…                        zero-row files of every schema, so readers' globs match

A load is written under ``{source}/.tmp-{load_id}`` and renamed when complete, so a crash leaves no
half load visible. Loads are never modified afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from connectors import schemas
from connectors.base import ParseResult, Reject
from connectors.testhooks import pause_point

CONNECTOR_VERSION = "0.1.0"
REJECTS_FILE = "_rejects.parquet"
MANIFEST_FILE = "manifest.json"

# The manifest as the warehouses read it (``raw_landing.manifests``; warehouse/catalogue.py, the Spark
# view and the dbt source's DuckDB reader derive from or are tested against it). ``manifest.json``
# holds these fields and ``unit`` (what the load covers, as its connector describes it: kept in the
# file, not tabulated).
MANIFEST = pa.schema(
    [
        ("load_id", pa.string()),
        ("source", pa.string()),
        ("kind", pa.string()),
        ("connector_version", pa.string()),
        ("entities", pa.map_(pa.string(), pa.int64())),  # entity → rows landed
        ("rejects", pa.int64()),  # parse rejects
        ("raw_rows", pa.int64()),  # landed rows + parse rejects
        ("checksum", pa.string()),  # sha256 of the entity files
        ("started_at", schemas.TS),
        ("finished_at", schemas.TS),
    ]
)


def new_load_id(source: str, now: datetime | None = None) -> str:
    """Sortable by time, unique per source: ``20261128T184501123456Z-hr``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S%f}Z-{source}"


@dataclass
class Load:
    load_id: str
    source: str
    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)


def landing_dir(home: Path) -> Path:
    return home / "landing"


def ensure_schema_files(home: Path) -> None:
    """Zero-row files of every landed schema, so ``read_parquet`` globs always match something and
    always see every column, however few loads exist yet."""
    target = landing_dir(home) / "_schema" / "_empty"
    target.mkdir(parents=True, exist_ok=True)
    for entity in schemas.ENTITIES:
        path = target / f"{entity}.parquet"
        if not path.exists():
            _write_parquet(schemas.full_schema(entity).empty_table(), path)
    for path in (target / REJECTS_FILE, home / "quarantine" / "_schema.parquet"):
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_parquet(schemas.QUARANTINE.empty_table(), path)


def records_table(
    entity: str, records: list[dict[str, Any]], load_id: str, source: str, first_row: int = 0
) -> pa.Table:
    """Canonical records → an Arrow table of the landed schema, numbering rows within the load."""
    schema = schemas.full_schema(entity)
    rows = [
        {**record, "_load_id": load_id, "_row": index, "_source": source}
        for index, record in enumerate(records, start=first_row)
    ]
    return pa.Table.from_pylist(rows, schema=schema)


def arrow_records_table(entity: str, table: pa.Table, load_id: str, source: str, first_row: int = 0) -> pa.Table:
    """A parser's Arrow table (the entity's columns, ``_source_file``, ``_source_line``) → the landed
    schema, numbering rows within the load. Columns are matched by name and cast to the schema's
    types; a missing or uncastable column is an error, as with dict records."""
    schema = schemas.full_schema(entity)
    rows = table.num_rows
    columns = []
    for column in schema:
        if column.name == "_load_id":
            columns.append(pa.repeat(pa.scalar(load_id, pa.string()), rows))
        elif column.name == "_row":
            columns.append(pa.array(np.arange(first_row, first_row + rows, dtype=np.int64)))
        elif column.name == "_source":
            columns.append(pa.repeat(pa.scalar(source, pa.string()), rows))
        else:
            columns.append(table.column(column.name).cast(column.type))
    return pa.Table.from_arrays(columns, schema=schema)


def landed_tables(result: ParseResult, entity: str, load_id: str, source: str) -> Iterator[pa.Table]:
    """The result's records of ``entity`` in the landed schema, part by part, rows numbered across
    parts in arrival order."""
    first_row = 0
    for part in result.parts(entity):
        if isinstance(part, list):
            table = records_table(entity, part, load_id, source, first_row)
        else:
            table = arrow_records_table(entity, part, load_id, source, first_row)
        first_row += table.num_rows
        yield table


def rejects_table(rejects: list[Reject], load_id: str, source: str) -> pa.Table:
    rows = [
        {
            "_load_id": load_id,
            "_row": None,
            "_source": source,
            "_source_file": reject.source_file,
            "_source_line": reject.source_line,
            "entity": reject.entity,
            "rule": reject.rule,
            "severity": reject.severity,
            "column_name": reject.column_name,
            "value": reject.value,
            "message": reject.message,
            "record": reject.record,
        }
        for reject in rejects
    ]
    return pa.Table.from_pylist(rows, schema=schemas.QUARANTINE)


def write_load(
    home: Path,
    source: str,
    kind: str,
    result: ParseResult,
    *,
    unit: dict[str, Any],
    started_at: datetime | None = None,
) -> Load:
    """Write one immutable load atomically and return it (with its manifest).

    ``unit`` is what the load covers, as the connector describes it: a file's name and fingerprint,
    or an API window / page position.
    """
    started_at = started_at or datetime.now(UTC)
    load_id = new_load_id(source, started_at)
    source_dir = landing_dir(home) / source
    final = source_dir / load_id
    tmp = source_dir / f".tmp-{load_id}"
    tmp.mkdir(parents=True, exist_ok=False)
    try:
        digest = hashlib.sha256()
        entities: dict[str, int] = {}
        for entity in sorted(result.entities):
            path = tmp / f"{entity}.parquet"
            entities[entity] = _write_parquet_parts(
                landed_tables(result, entity, load_id, source), schemas.full_schema(entity), path
            )
            digest.update(path.read_bytes())
        pause_point("extract")  # crash tests: a half-written load
        _write_parquet(rejects_table(result.rejects, load_id, source), tmp / REJECTS_FILE)
        manifest = {
            "load_id": load_id,
            "source": source,
            "kind": kind,
            "connector_version": CONNECTOR_VERSION,
            "unit": unit,
            "entities": entities,
            "rejects": len(result.rejects),
            "raw_rows": result.raw_rows,
            "checksum": digest.hexdigest(),
            "started_at": started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
        }
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=str))
        _fsync_dir(tmp)
        os.rename(tmp, final)
        _fsync_dir(source_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Load(load_id=load_id, source=source, path=final, manifest=manifest)


def list_loads(home: Path, source: str | None = None) -> list[Load]:
    """Complete loads (those with a manifest), oldest first. Half-written ``.tmp-`` loads are skipped."""
    root = landing_dir(home)
    if not root.exists():
        return []
    loads = []
    for manifest_path in root.glob(f"{source or '*'}/*/{MANIFEST_FILE}"):
        load_dir = manifest_path.parent
        if load_dir.name.startswith((".tmp-", "_")) or load_dir.parent.name.startswith("_"):
            continue
        manifest = json.loads(manifest_path.read_text())
        loads.append(Load(manifest["load_id"], manifest["source"], load_dir, manifest))
    return sorted(loads, key=lambda load: load.load_id)


def remove_incomplete(home: Path) -> list[Path]:
    """Delete ``.tmp-`` directories a crashed run left behind; they were never visible."""
    removed = []
    for tmp in landing_dir(home).glob("*/.tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp)
    return removed


def read_entity(load: Load, entity: str) -> pa.Table | None:
    path = load.path / f"{entity}.parquet"
    return pq.read_table(path) if path.exists() else None


ROW_GROUP_ROWS = 128 * 1024


def _write_parquet_parts(tables: Iterator[pa.Table], schema: pa.Schema, path: Path) -> int:
    """Write tables of one schema as one Parquet file, streaming: small parts are gathered into row
    groups of about ``ROW_GROUP_ROWS``, so memory holds one part and one row group, not the file."""
    rows = 0
    pending: list[pa.Table] = []
    pending_rows = 0
    with open(path, "wb") as handle:
        with pq.ParquetWriter(handle, schema, compression="zstd") as writer:
            for table in tables:
                pending.append(table)
                pending_rows += table.num_rows
                if pending_rows >= ROW_GROUP_ROWS:
                    writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP_ROWS)
                    rows += pending_rows
                    pending, pending_rows = [], 0
            if pending or rows == 0:
                writer.write_table(pa.concat_tables(pending) if pending else schema.empty_table())
                rows += pending_rows
        handle.flush()
        os.fsync(handle.fileno())
    return rows


def _write_parquet(table: pa.Table, path: Path) -> None:
    _write_parquet_parts(iter([table]), table.schema, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
