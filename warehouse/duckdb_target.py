"""Write–audit–publish: copy the audited marts out of a build into a fresh file and swap it in.

The published ``marts.duckdb`` holds only the marts meant for BI (schema ``marts`` of the build,
as ``main``); staging, intermediate and restricted (personal-data) models stay in the build file.
The swap is an atomic rename: a reader that holds the old file open keeps a consistent old version
and sees the new one on reconnect. Each published version is kept (hard link) for rollback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from connectors.testhooks import pause_point
from pipeline.config import Config

PUBLISHED_SCHEMA = "marts"
KEEP_VERSIONS = 7


@dataclass
class PublishResult:
    marts_db: Path
    version: Path
    tables: dict[str, int]  # mart → rows
    checksums: dict[str, str]  # mart → content checksum (order-independent)
    exports: dict[str, Path]


def mart_tables(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema = ? "
        "and table_type = 'BASE TABLE' order by table_name",
        [catalog, schema],
    ).fetchall()
    return [row[0] for row in rows]


def table_checksum(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """Order-independent digest of a table's content, ``rows:digest``: equal content, equal checksum;
    a changed, added or removed row changes it. The digest sums DuckDB's 64-bit hash of each row:
    it tells versions apart (it is not tamper evidence) at 1/25 the cost of an md5 per row
    (3.7 M rows: 0.5 s against 16 s)."""
    row = con.execute(f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {relation} as t").fetchone()
    assert row is not None
    return f"{row[0]}:{row[1]:032x}"


def publish(config: Config, build_db: Path, run_id: str) -> PublishResult:
    versions = config.warehouse / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    staged = config.warehouse / f".publish-{run_id}.duckdb"
    tables: dict[str, int] = {}
    checksums: dict[str, str] = {}
    with duckdb.connect(str(staged)) as con:
        con.execute(f"attach '{build_db}' as build (read_only)")
        names = mart_tables(con, "build", PUBLISHED_SCHEMA)
        if not names:
            raise RuntimeError(f"build {build_db} has no tables in schema {PUBLISHED_SCHEMA!r}")
        for name in names:
            con.execute(f'create table main."{name}" as select * from build.{PUBLISHED_SCHEMA}."{name}"')
            checksums[name] = table_checksum(con, f'main."{name}"')
            tables[name] = int(checksums[name].split(":", 1)[0])  # the checksum is "rows:digest"
        copy_comments(con, "build", PUBLISHED_SCHEMA)
        con.execute("detach build")
        exports = _export_parquet(con, config.exports, names, run_id)
        con.execute("checkpoint")
    pause_point("publish")  # crash tests: staged, not yet swapped in
    version = versions / f"marts-{run_id}.duckdb"
    os.link(staged, version)
    os.replace(staged, config.marts_db)
    _prune(versions)
    return PublishResult(config.marts_db, version, tables, checksums, exports)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def copy_comments(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> None:
    """Carry the tables' and columns' comments (dbt ``persist_docs``: the models' descriptions) from
    ``catalog.schema`` to the same tables in ``main``: ``create table … as select`` drops them, and
    BI tools (Superset, Metabase) show them as table and column descriptions."""
    tables = con.execute(
        "select table_name, comment from duckdb_tables() where database_name = ? and schema_name = ? "
        "and comment is not null",
        [catalog, schema],
    ).fetchall()
    for table, comment in tables:
        con.execute(f'comment on table main."{table}" is {_literal(comment)}')
    columns = con.execute(
        "select table_name, column_name, comment from duckdb_columns() where database_name = ? "
        "and schema_name = ? and comment is not null",
        [catalog, schema],
    ).fetchall()
    for table, column, comment in columns:
        con.execute(f'comment on column main."{table}"."{column}" is {_literal(comment)}')


def _export_parquet(con: duckdb.DuckDBPyConnection, exports: Path, names: list[str], run_id: str) -> dict[str, Path]:
    """One Parquet file per mart, each written to a temporary name and renamed into place."""
    exports.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in names:
        tmp = exports / f".{name}-{run_id}.parquet"
        con.execute(f"copy main.\"{name}\" to '{tmp}' (format parquet, compression zstd)")
        written[name] = tmp
    result = {}
    for name, tmp in written.items():
        final = exports / f"{name}.parquet"
        os.replace(tmp, final)
        result[name] = final
    return result


def rollback(config: Config) -> Path:
    """Publish again the version before the current one (marts file and Parquet exports)."""
    versions = sorted((config.warehouse / "versions").glob("marts-*.duckdb"))
    current = config.marts_db.stat().st_ino if config.marts_db.exists() else None
    index = next((i for i, version in enumerate(versions) if version.stat().st_ino == current), len(versions))
    if index == 0 or not versions:
        raise RuntimeError(f"no earlier published version to roll back to in {config.warehouse / 'versions'}")
    previous = versions[index - 1]
    staged = config.warehouse / f".rollback-{previous.stem}.duckdb"
    staged.unlink(missing_ok=True)
    os.link(previous, staged)
    with duckdb.connect(str(previous), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
        _export_parquet(con, config.exports, mart_tables(con, catalog, "main"), f"rollback-{previous.stem}")
    os.replace(staged, config.marts_db)
    return previous


def _prune(versions: Path) -> None:
    kept = sorted(versions.glob("marts-*.duckdb"))
    for old in kept[:-KEEP_VERSIONS]:
        old.unlink(missing_ok=True)


def published_checksums(marts_db: Path) -> dict[str, str]:
    with duckdb.connect(str(marts_db), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
        return {name: table_checksum(con, f'main."{name}"') for name in mart_tables(con, catalog, "main")}
