"""The Spark target: the dbt project built by dbt-spark on a local Spark (session mode).

Extraction, landing and validation are the same as for every target (files under ``{home}``). For
Spark nothing is copied: ``prepare_raw`` declares each dbt source over the landed files, in the
Hive metastore of the Spark directory (``TRAINOPS_SPARK_DIR``, default ``{home}/warehouse/spark``;
Derby, so one Spark process at a time):

* ``raw_<source>.<entity>`` (``raw_lms.learning_record`` …): a view over
  ``landing/*/*/<entity>.parquet`` with the columns and types of connectors/schemas.py (as the
  Postgres raw tables). Parquet schemas are merged (``spark.sql.parquet.mergeSchema``) and the
  zero-row schema file under ``landing/_schema/_empty/`` has every column, so files of an older
  connector read missing columns as null,
* ``raw_quarantine.validation_rejects``: a view over ``quarantine/*.parquet``;
  ``raw_quarantine.parse_rejects``: a table holding the rows of every ``_rejects.parquet``, copied
  on each prepare (Spark's file sources skip files whose name starts with ``_`` as hidden, so
  they cannot be read in place; parse rejects are few),
* ``raw_landing.manifests``: a view parsing each ``manifest.json`` (``entities`` a map entity → rows),
* ``raw_reference.<table>``: an external CSV table per reference file, all columns text (the
  header's, then any expected column the file omits, as null — the expected columns come from the
  dbt sources, ``warehouse.catalogue.reference_columns``).

The globs are views, never external tables: the metastore creates a table's missing location as
a directory, literally named ``*``, which the DuckDB globs would then match. The views read what
the globs match when queried; the reference tables are re-declared on every prepare (a header may
have changed). Then ``dbt build --target spark`` (profiles.yml ``spark``) builds staging → marts
in the Spark directory's warehouse. ``build`` does both; ``python -m warehouse.spark_target prepare`` only
declares the sources, for a ``dbt build --target spark`` run by hand.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from connectors import landing, schemas
from connectors.sqltext import spark_literal, spark_path
from pipeline.config import Config, load_config
from warehouse.catalogue import RAW_TABLES, SPARK_TYPES, optional_reference_tables, reference_columns, warehouse_type
from warehouse.dbt import DBT_PROJECT_DIR, dbt_arguments, dbt_env, dbt_vars

SPARK_DIR_ENV = "TRAINOPS_SPARK_DIR"
# The manifest's columns as Spark's from_json reads them (a DDL schema string), from connectors/landing.py.
MANIFEST_COLUMNS = ", ".join(f"{field.name} {warehouse_type(field.type, SPARK_TYPES)}" for field in landing.MANIFEST)


class SparkTargetError(RuntimeError):
    """Spark could not prepare or build; the message says which step."""


def spark_dir(config: Config) -> Path:
    return Path(os.environ.get(SPARK_DIR_ENV) or config.warehouse / "spark").resolve()


def spark_conf(directory: Path) -> dict[str, str]:
    """The session settings — the same as profiles.yml ``spark.server_side_parameters``."""
    return {
        "spark.master": "local[*]",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": str(directory / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={directory}/metastore_db;create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={directory}",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.parquet.mergeSchema": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.ansi.enabled": "false",  # as dbt-spark forces it
    }


def session(directory: Path) -> Any:
    """A local SparkSession on the Spark directory's metastore (the one dbt's session mode uses)."""
    from pyspark.sql import SparkSession

    directory.mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_conf(directory).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def raw_table_statements(config: Config) -> list[str]:
    """The DDL declaring every raw_* relation dbt reads, as external tables over the files."""
    home = config.home.resolve()
    statements = [f"create database if not exists raw_{name}" for name in
                  ("hris", "lms", "vendor", "quarantine", "landing", "reference")]  # fmt: skip

    def parquet(entity: str, glob: str) -> None:
        source, table = entity.split(".", 1)
        columns = ", ".join(
            f"cast(`{field.name}` as {warehouse_type(field.type, SPARK_TYPES)}) as `{field.name}`"
            for field in RAW_TABLES[entity]
        )
        view = f"raw_{source}.{table}"
        statements.append(f"create or replace view {view} as select {columns} from parquet.{spark_path(glob)}")

    for entity in schemas.ENTITIES:
        parquet(entity, f"{home}/landing/*/*/{entity}.parquet")
    parquet("quarantine.validation_rejects", f"{home}/quarantine/*.parquet")

    # Each manifest.json is one (pretty-printed) JSON document: read whole, then parsed.
    names = ", ".join(f"manifest.{field.name}" for field in landing.MANIFEST)
    if any((home / "landing").glob("*/*/manifest.json")):
        statements.append(
            f"create or replace view raw_landing.manifests as select {names} from (select from_json(cast(content as "
            f"string), {spark_literal(MANIFEST_COLUMNS)}) as manifest "
            f"from binaryFile.{spark_path(f'{home}/landing/*/*/manifest.json')})"
        )
    else:  # no committed load yet: an empty relation (a file glob matching nothing cannot be read)
        statements.append(
            f"create or replace view raw_landing.manifests as select {names} from (select from_json(cast(null as "
            f"string), {spark_literal(MANIFEST_COLUMNS)}) as manifest) where false"
        )

    optional = optional_reference_tables()
    for table, expected in reference_columns().items():
        path = config.reference_dir.resolve() / f"{table}.csv"
        if not path.exists() and table in optional:  # left out: an empty table of the expected columns
            ddl = ", ".join(f"`{name}` string" for name in expected)
            statements.append(f"drop table if exists raw_reference.{table}")
            statements.append(f"create table raw_reference.{table} ({ddl}) using parquet")
            continue
        if not path.exists():
            raise SparkTargetError(f"reference file {path} is missing")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = [name.strip() for name in next(csv.reader(handle), [])]
        # Columns by position: the file's header, then the expected columns it omits (read as null).
        columns = header + [name for name in expected if name not in header]
        statements.append(f"drop table if exists raw_reference.{table}")
        statements.append(
            f"create table raw_reference.{table} ({', '.join(f'`{name}` string' for name in columns)}) using csv "
            f"options (path {spark_literal(str(path))}, header 'true', multiLine 'true', quote '\"', escape '\"', "
            "encoding 'UTF-8', mode 'PERMISSIVE')"
        )
    return statements


def _copy_parse_rejects(spark: Any, config: Config) -> int:
    """``raw_quarantine.parse_rejects`` as a table of the rows of every landed ``_rejects.parquet``."""
    schema = RAW_TABLES["quarantine.parse_rejects"]
    rows: list[tuple[Any, ...]] = []
    for path in sorted(config.home.resolve().glob("landing/*/*/" + landing.REJECTS_FILE)):
        table = pq.read_table(path)
        columns = [table.column(name).to_pylist() if name in table.column_names else [None] * table.num_rows
                   for name in schema.names]  # fmt: skip
        rows += zip(*columns, strict=True)
    ddl = ", ".join(f"`{field.name}` {warehouse_type(field.type, SPARK_TYPES)}" for field in schema)
    spark.sql("drop table if exists raw_quarantine.parse_rejects")
    spark.createDataFrame(rows, ddl).write.saveAsTable("raw_quarantine.parse_rejects")
    return len(rows)


def prepare_raw(spark: Any, config: Config) -> int:
    """Declare the raw_* relations in the session's metastore; returns how many."""
    statements = raw_table_statements(config)
    for statement in statements:
        spark.sql(statement)
    _copy_parse_rejects(spark, config)
    return 1 + sum(statement.startswith(("create table", "create or replace view")) for statement in statements)


def sql_fixture_unit_tests() -> list[str]:
    """The dbt unit tests whose fixtures are SQL (``format: sql``): written in DuckDB/Postgres SQL
    (``::varchar``, ``timestamptz '…'``, ``array[…]``), they do not parse on Spark and are left out
    of the Spark build (the dict/csv-fixture unit tests and every data test run)."""
    names = []
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml")):
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests") or []:
            fixtures = [*(test.get("given") or []), test.get("expect") or {}]
            if any(fixture.get("format") == "sql" for fixture in fixtures):
                names.append(test["name"])
    return names


@dataclass
class SparkBuild:
    spark_dir: Path
    success: bool
    prepare_seconds: float
    dbt_seconds: float
    counts: dict[str, int]  # status → nodes
    failures: list[str]


def build(config: Config, as_of: date, directory: Path | None = None, select: str | None = None) -> SparkBuild:
    """Declare the raw tables (in a child process: the Derby metastore allows one JVM), then run
    ``dbt build --target spark`` (another child). Models land in schemas staging, intermediate,
    marts and restricted of the Spark directory's metastore."""
    directory = (directory or spark_dir(config)).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    vars_arguments, params = dbt_arguments(dbt_vars(config, as_of))
    env = {**dbt_env(config, directory / "unused.duckdb"), **params}
    env[SPARK_DIR_ENV] = str(directory)
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    started = time.perf_counter()
    prepared = subprocess.run(
        [sys.executable, "-m", "warehouse.spark_target", "prepare", "--config", str(config.path)],
        env=env, cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if prepared.returncode != 0:
        tail = (prepared.stdout + prepared.stderr).strip().splitlines()[-15:]
        raise SparkTargetError("preparing the Spark raw tables failed:\n  " + "\n  ".join(tail))
    prepare_seconds = time.perf_counter() - started
    target_path = directory / "dbt"
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--target", "spark",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_path),
        "--log-path", str(target_path),
        *vars_arguments,
    ]  # fmt: skip
    if select:
        command += ["--select", select]
    skipped = sql_fixture_unit_tests()
    if skipped:
        command += ["--exclude", *skipped]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    dbt_seconds = time.perf_counter() - started
    results_path = target_path / "run_results.json"
    if not results_path.exists():
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise SparkTargetError("dbt build --target spark did not run:\n  " + "\n  ".join(tail))
    counts: dict[str, int] = {}
    failures = []
    for result in json.loads(results_path.read_text())["results"]:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        if result["status"] in ("error", "fail", "runtime error"):
            message = (result.get("message") or "").strip().splitlines()
            failures.append(f"{result['unique_id']}: {message[0] if message else result['status']}")
    return SparkBuild(directory, done.returncode == 0 and not failures, prepare_seconds, dbt_seconds, counts, failures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.spark_target", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["prepare"])
    parser.add_argument("--config", help="trainops.yaml (default: as `trainops run` finds it)")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    directory = spark_dir(config)
    spark = session(directory)
    try:
        count = prepare_raw(spark, config)
    finally:
        spark.stop()
    print(f"{count} raw tables declared in the Spark metastore under {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
