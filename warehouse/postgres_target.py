"""The Postgres target: load the landing zone into raw tables, publish the marts by a schema swap.

Extraction, landing and validation are the same for every target (files under ``{home}``); what
changes is where dbt reads and builds:

* ``load_raw`` copies every landed load (entity Parquet, parse rejects, manifest), every validation
  result and the reference CSVs into one schema per dbt source (``raw_hris.employee``,
  ``raw_lms.learning_record``, ``raw_reference.courses``, …) with COPY, in batches. It is idempotent
  per file: ``raw_landing._files`` remembers what was copied (by load id and a size+mtime
  fingerprint), and a file copied again replaces its rows in the same transaction.
* dbt builds ``marts`` and ``restricted`` into ``marts_build`` / ``restricted_build``
  (``TRAINOPS_BUILD_SUFFIX``, see macros/generate_schema_name.sql) while BI keeps reading ``marts``.
* ``publish`` swaps the schemas in one transaction (DDL is transactional in Postgres: a reader sees
  the old or the new marts, never a mix), keeps the previous version as ``marts_previous`` for
  ``rollback``, and grants the read-only BI role SELECT on ``marts`` only.

The connection comes from libpq's environment variables (``PGHOST``, ``PGPORT``, ``PGUSER``,
``PGPASSWORD``, ``PGDATABASE``; defaults 127.0.0.1:5432, user postgres, database trainops) — the
same ones dbt's ``postgres`` profile reads. The password never appears in a message.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql

from connectors import landing
from connectors.sqltext import identifier, literal
from connectors.testhooks import pause_point
from pipeline.config import Config
from pipeline.settings import DEFAULT_BI_ROLE
from warehouse.catalogue import POSTGRES_TYPES, RAW_TABLES, optional_reference_tables, reference_columns, warehouse_type

PUBLISHED = ("marts", "restricted")  # schemas swapped by publish; only marts is granted to BI
BUILD_SUFFIX = "_build"
PREVIOUS_SUFFIX = "_previous"
BI_ROLE_ENV = "TRAINOPS_BI_ROLE"
COPY_CHUNK = 1 << 20  # bytes per write to COPY: memory stays flat whatever the file's size


class WarehouseError(RuntimeError):
    """The warehouse cannot be reached or refused a step; the message says which and where."""


def connection_settings() -> dict[str, Any]:
    return {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": int(os.environ.get("PGPORT", "5432")),
        "user": os.environ.get("PGUSER", "postgres"),
        "dbname": os.environ.get("PGDATABASE", "trainops"),
    }


def describe() -> str:
    """Where the warehouse is, for messages and the run record (never the password)."""
    settings = connection_settings()
    return f"postgresql://{settings['user']}@{settings['host']}:{settings['port']}/{settings['dbname']}"


@contextmanager
def connect() -> Iterator[psycopg.Connection]:
    try:
        con = psycopg.connect(**connection_settings(), password=os.environ.get("PGPASSWORD"), connect_timeout=10)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WarehouseError(f"cannot connect to the Postgres warehouse {describe()}: {first}") from None
    with con:
        yield con


# ---------------------------------------------------------------------------------------------
# load: landing zone → raw tables


def _relation(entity: str) -> sql.Composed:
    """``hris.employee`` → ``raw_hris.employee`` (the dbt source ``hris``, table ``employee``)."""
    source, table = entity.split(".", 1)
    return sql.SQL("{}.{}").format(sql.Identifier(f"raw_{source}"), sql.Identifier(table))


LOAD_COLUMN = {"landing.manifests": "load_id"}  # the column naming the load; `_load_id` elsewhere


def _create_raw_tables(con: psycopg.Connection) -> None:
    for entity, schema in RAW_TABLES.items():
        con.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(f"raw_{entity.split('.')[0]}")))
        jsonb = {("landing.manifests", "entities")}
        columns = sql.SQL(", ").join(
            sql.SQL("{} {}").format(
                sql.Identifier(field.name),
                sql.SQL("jsonb" if (entity, field.name) in jsonb else warehouse_type(field.type, POSTGRES_TYPES)),
            )
            for field in schema
        )
        con.execute(sql.SQL("create table if not exists {} ({})").format(_relation(entity), columns))
        for field in schema:  # a column the entity gained since the table was made
            kind = sql.SQL("jsonb" if (entity, field.name) in jsonb else warehouse_type(field.type, POSTGRES_TYPES))
            con.execute(
                sql.SQL("alter table {} add column if not exists {} {}").format(
                    _relation(entity), sql.Identifier(field.name), kind
                )
            )
    con.execute("create schema if not exists raw_landing")
    con.execute(
        "create table if not exists raw_landing._files (relation text, load_id text, fingerprint text, "
        "rows bigint, copied_at timestamptz default now(), primary key (relation, load_id))"
    )


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _copy_rows(con: psycopg.Connection, entity: str, columns: list[str], rows: Iterator[list[Any]]) -> int:
    statement = sql.SQL("copy {} ({}) from stdin").format(
        _relation(entity), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with con.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _csv_column(field: pa.Field) -> str:
    """A column as DuckDB writes it to CSV for Postgres' COPY: lists as array literals
    (``{"a","b"}``, quotes and backslashes escaped), everything else in DuckDB's own text form."""
    name = identifier(field.name)
    if not pa.types.is_list(field.type):
        return name
    item = """case when item is null then 'NULL'
        else '"' || replace(replace(item, '\\', '\\\\'), '"', '\\"') || '"' end"""
    items = f"array_to_string(list_transform({name}, item -> {item}), ',')"
    return f"case when {name} is null then null else '{{' || {items} || '}}' end"


def _copy_parquet(con: psycopg.Connection, entity: str, path: Path, scratch: Path, duck: Any) -> int:
    """COPY one landed Parquet file in CSV form, written by DuckDB (C speed, no Python per row).
    Only the columns the raw table has (a file of an older connector may lack some)."""
    file = pq.ParquetFile(path)
    fields = [field for field in RAW_TABLES[entity] if field.name in file.schema_arrow.names]
    csv_file = scratch / f"{path.parent.name}-{path.stem}.csv"
    duck.execute(
        f"copy (select {', '.join(_csv_column(field) for field in fields)} from read_parquet(?)) "
        f"to {literal(csv_file)} (header false)",
        [str(path)],
    )
    statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(
        _relation(entity), sql.SQL(", ").join(sql.Identifier(field.name) for field in fields)
    )
    try:
        with con.cursor() as cur, cur.copy(statement) as copy, csv_file.open("rb") as handle:
            while chunk := handle.read(COPY_CHUNK):
                copy.write(chunk)
    finally:
        csv_file.unlink(missing_ok=True)
    rows: int = file.metadata.num_rows
    return rows


def _replace_file(
    con: psycopg.Connection,
    entity: str,
    load_id: str,
    path: Path,
    copied: dict[tuple[str, str], str],
    scratch: Path,
    duck: Any,
) -> int | None:
    """Copy one file's rows for one load unless this exact file was copied already (idempotent)."""
    fingerprint = _fingerprint(path)
    if copied.get((entity, load_id)) == fingerprint:
        return None
    with con.transaction():
        con.execute(
            sql.SQL("delete from {} where {} = %s").format(
                _relation(entity), sql.Identifier(LOAD_COLUMN.get(entity, "_load_id"))
            ),
            [load_id],
        )
        if entity == "landing.manifests":
            count = _copy_rows(con, entity, *_manifest_row(path))
        else:
            count = _copy_parquet(con, entity, path, scratch, duck)
        _record_file(con, entity, load_id, fingerprint, count)
    return count


def _record_file(con: psycopg.Connection, relation: str, load_id: str, fingerprint: str, rows: int) -> None:
    """Remember a copied file (same transaction as its rows): the next load skips it unless it changed."""
    con.execute(
        "insert into raw_landing._files (relation, load_id, fingerprint, rows) values (%s, %s, %s, %s) "
        "on conflict (relation, load_id) do update set fingerprint = excluded.fingerprint, "
        "rows = excluded.rows, copied_at = now()",
        [relation, load_id, fingerprint, rows],
    )


def _manifest_row(path: Path) -> tuple[list[str], Iterator[list[Any]]]:
    manifest = json.loads(path.read_text())
    columns = RAW_TABLES["landing.manifests"].names
    values = {**manifest, "entities": json.dumps(manifest.get("entities", {}))}
    return columns, iter([[values.get(name) for name in columns]])


def load_raw(config: Config) -> dict[str, int]:
    """Copy what is new or changed in the landing zone and quarantine into the raw schemas.

    Returns rows copied per raw table (empty when nothing changed since the last load)."""
    copied_rows: dict[str, int] = {}
    with connect() as con, duckdb.connect() as duck:
        duck.execute("set timezone = 'UTC'")  # timestamps as +00 text
        _create_raw_tables(con)
        con.commit()
        copied = {
            (relation, load_id): fingerprint
            for relation, load_id, fingerprint in con.execute(
                "select relation, load_id, fingerprint from raw_landing._files"
            ).fetchall()
        }
        files: list[tuple[str, str, Path]] = []
        for load in landing.list_loads(config.home):
            files += [(entity, load.load_id, load.path / f"{entity}.parquet") for entity in load.manifest["entities"]]
            files.append(("quarantine.parse_rejects", load.load_id, load.path / landing.REJECTS_FILE))
            files.append(("landing.manifests", load.load_id, load.path / landing.MANIFEST_FILE))
            files.append(
                ("quarantine.validation_rejects", load.load_id, config.home / "quarantine" / f"{load.load_id}.parquet")
            )
        scratch = config.home / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        for entity, load_id, path in files:
            if not path.exists():
                continue
            count = _replace_file(con, entity, load_id, path, copied, scratch, duck)
            if count is not None:
                copied_rows[entity] = copied_rows.get(entity, 0) + count
            pause_point("raw-load")  # crash tests: some files copied, not all
        copied_rows.update(_load_reference(con, config.reference_dir))
    return copied_rows


def _load_reference(con: psycopg.Connection, reference_dir: Path) -> dict[str, int]:
    """Reference CSVs as text columns (cast in staging, as on DuckDB), reloaded when a file changes.
    Expected columns a file omits read as null; columns it adds are kept."""
    copied: dict[str, int] = {}
    con.execute("create schema if not exists raw_reference")
    optional = optional_reference_tables()
    for table, expected in reference_columns().items():
        path = reference_dir / f"{table}.csv"
        present = path.exists()
        if not present and table not in optional:
            raise WarehouseError(f"reference file {path} is missing")
        fingerprint = (_fingerprint(path) if present else "absent") + ":" + str(path.resolve())
        relation = f"reference.{table}"
        known = con.execute(
            "select fingerprint from raw_landing._files where relation = %s and load_id = ''", [relation]
        ).fetchone()
        if known and known[0] == fingerprint:
            continue
        header: list[str] = []
        rows: list[list[str]] = []
        if present:  # else an optional file left out: an empty table of the expected columns
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                header = [name.strip() for name in next(reader, [])]
                rows = [row + [""] * (len(header) - len(row)) for row in reader if row]
        columns = header + [name for name in expected if name not in header]
        target = sql.SQL("raw_reference.{}").format(sql.Identifier(table))
        with con.transaction():
            con.execute(sql.SQL("drop table if exists {}").format(target))
            con.execute(
                sql.SQL("create table {} ({})").format(
                    target, sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in columns)
                )
            )
            if header:
                with (
                    con.cursor() as cur,
                    cur.copy(
                        sql.SQL("copy {} ({}) from stdin").format(
                            target, sql.SQL(", ").join(map(sql.Identifier, header))
                        )
                    ) as copy,
                ):
                    for row in rows:
                        copy.write_row([value if value != "" else None for value in row[: len(header)]])
            _record_file(con, relation, "", fingerprint, len(rows))
        copied[relation] = len(rows)
    return copied


# ---------------------------------------------------------------------------------------------
# publish: schema swap


@dataclass
class PublishResult:
    marts_db: str  # where BI reads: postgresql://user@host:port/db (schema marts)
    version: str  # the run whose build is now `marts`
    tables: dict[str, int]
    checksums: dict[str, str]
    exports: dict[str, Path]


def bi_role(config: Config | None = None) -> str:
    """The role granted read access to the marts: ``postgres.bi_role`` in trainops.yaml
    (``$TRAINOPS_BI_ROLE`` overrides it, e.g. for tests sharing a cluster)."""
    configured = config.postgres.bi_role if config is not None else DEFAULT_BI_ROLE
    return os.environ.get(BI_ROLE_ENV) or configured


def _schema_exists(con: psycopg.Connection, name: str) -> bool:
    return con.execute("select 1 from pg_namespace where nspname = %s", [name]).fetchone() is not None


def mart_tables(con: psycopg.Connection, schema: str = "marts") -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = %s and table_type = 'BASE TABLE' "
        "order by table_name",
        [schema],
    ).fetchall()
    return [row[0] for row in rows]


def table_checksum(con: psycopg.Connection, schema: str, table: str) -> str:
    """Order-independent digest of a table's content (comparable between runs on Postgres)."""
    row = con.execute(
        sql.SQL(
            "select count(*), coalesce(md5(string_agg(row_md5, '' order by row_md5)), '') "
            "from (select md5(t::text) as row_md5 from {}.{} as t) as rows"
        ).format(sql.Identifier(schema), sql.Identifier(table))
    ).fetchone()
    assert row is not None
    return f"{row[0]}:{row[1]}"


def _grant_bi(con: psycopg.Connection, name: str) -> None:
    role = sql.Identifier(name)
    exists = con.execute("select 1 from pg_roles where rolname = %s", [name]).fetchone()
    if not exists:
        con.execute(sql.SQL("create role {} nologin").format(role))
    con.execute(sql.SQL("grant usage on schema marts to {}").format(role))
    con.execute(sql.SQL("grant select on all tables in schema marts to {}").format(role))


def _swap(con: psycopg.Connection, incoming: str, outgoing: str, role: str) -> None:
    """For each published schema: ``<s>`` → ``<s><outgoing>`` and ``<s><incoming>`` → ``<s>``."""
    for schema in PUBLISHED:
        if not _schema_exists(con, schema + incoming):
            raise WarehouseError(f"schema {schema + incoming!r} does not exist in {describe()}: nothing to publish")
    for schema in PUBLISHED:
        con.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema + outgoing)))
        if _schema_exists(con, schema):
            _rename(con, schema, schema + outgoing)
        _rename(con, schema + incoming, schema)
    _grant_bi(con, role)


def _rename(con: psycopg.Connection, schema: str, to: str) -> None:
    con.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(schema), sql.Identifier(to)))


def publish(config: Config, run_id: str) -> PublishResult:
    """Swap the audited build in: one transaction, so BI sees the old marts or the new, never a mix."""
    with connect() as con:
        con.execute("set local lock_timeout = '120s'")
        names = mart_tables(con, "marts" + BUILD_SUFFIX)
        if not names:
            raise WarehouseError(f"the build has no tables in schema marts{BUILD_SUFFIX} ({describe()})")
        checksums = {name: table_checksum(con, "marts" + BUILD_SUFFIX, name) for name in names}
        tables = {name: int(checksum.split(":", 1)[0]) for name, checksum in checksums.items()}  # rows:md5
        pause_point("publish")  # crash tests: audited, not yet swapped in
        _swap(con, BUILD_SUFFIX, PREVIOUS_SUFFIX, bi_role(config))
    return PublishResult(describe() + " (schema marts)", run_id, tables, checksums, {})


def rollback(config: Config) -> str:
    """Swap ``marts_previous`` back in (and the current marts out to ``marts_previous``)."""
    with connect() as con:
        if not _schema_exists(con, "marts" + PREVIOUS_SUFFIX):
            raise WarehouseError(f"no earlier published version (schema marts{PREVIOUS_SUFFIX}) in {describe()}")
        swap_name = "_rollback"
        for schema in PUBLISHED:
            con.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema + swap_name)))
            _rename(con, schema + PREVIOUS_SUFFIX, schema + swap_name)
        _swap(con, swap_name, PREVIOUS_SUFFIX, bi_role(config))
    return describe() + " (schema marts)"


def fetch(query: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the published marts (``search_path`` = marts), for the run report."""
    with connect() as con:
        con.execute("set search_path to marts")
        return con.execute(query).fetchall()
