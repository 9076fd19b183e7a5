"""The nightly job's steps as plain functions, so they are testable without Prefect.

extract (per source) → validate (per landed load) → dbt build into a fresh file → publish.
``flows/nightly.py`` wraps each in a thin Prefect task.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from connectors import landing, schemas, state
from connectors.base import Connector, ParseContext
from connectors.files import FileDropConnector
from connectors.testhooks import pause_point
from expectations import volume
from flows.config import Config, Source

log = logging.getLogger("trainops")

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt"


class PipelineError(Exception):
    """A step failed in a way the user must act on; the message says what and where."""


# ---------------------------------------------------------------------------------------------
# extract


@dataclass
class ExtractSummary:
    source: str
    kind: str
    loads: list[str] = field(default_factory=list)
    files: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    rejects: int = 0
    seconds: float = 0.0


def connector_for(config: Config, source: Source) -> Connector:
    if source.path is not None:
        context = ParseContext(reference_dir=config.reference_dir, source_name=source.name)
        return FileDropConnector(source.name, source.kind, source.path, source.glob, context)
    from connectors.api import API_CONNECTORS

    return API_CONNECTORS[source.kind](source.name, source.options)


# The state also names the last load it covers, so a load committed by a run that died before
# saving the state is adopted by the next run instead of landed twice (see ``adopt_orphan_loads``).
COMMITTED_LOAD = "_committed_load_id"


def extract_source(config: Config, source: Source, connector: Connector | None = None) -> ExtractSummary:
    """Land every new file of one source; commit its state after each load.

    ``connector`` defaults to the source's own; a backfill passes one restricted to a date range.
    """
    started = time.perf_counter()
    summary = ExtractSummary(source=source.name, kind=source.kind)
    landing.ensure_schema_files(config.home)
    connector = connector or connector_for(config, source)
    current = adopt_orphan_loads(config, source, connector)
    for unit, result in connector.extract(current):
        load = landing.write_load(config.home, source.name, source.kind, result, unit=unit)
        pause_point("landed")  # crash tests: the load is committed, the state is not
        current = {**connector.advance(current, unit, load.load_id), COMMITTED_LOAD: load.load_id}
        state.commit_state(config.home, source.name, current)
        summary.loads.append(load.load_id)
        summary.files += len(unit.get("files", []))
        summary.rejects += len(result.rejects)
        for entity, count in load.manifest["entities"].items():
            summary.rows[entity] = summary.rows.get(entity, 0) + count
    summary.seconds = time.perf_counter() - started
    return summary


def adopt_orphan_loads(config: Config, source: Source, connector: Connector) -> dict[str, Any]:
    """The source's state, advanced over loads landed after the last one it covers.

    Such a load was committed by a run that died before committing the state (landing and state are
    two files): the load is complete, so the state moves on as that run would have, and its files
    or pages are not landed a second time. Backfill window loads (``unit.backfill``) never move the
    state. A state written before ``COMMITTED_LOAD`` existed is taken as covering every load.
    """
    current = state.read_state(config.home, source.name)
    committed = current.get(COMMITTED_LOAD)
    if committed is None and current:
        return current
    for load in landing.list_loads(config.home, source.name):
        unit = load.manifest.get("unit") or {}
        if (committed and load.load_id <= committed) or "backfill" in unit:
            continue
        current = {**connector.advance(current, unit, load.load_id), COMMITTED_LOAD: load.load_id}
        state.commit_state(config.home, source.name, current)
        log.warning("source %r: adopted load %s (its run stopped before saving the state)", source.name, load.load_id)
    return current


# ---------------------------------------------------------------------------------------------
# validate


@dataclass
class ValidationSummary:
    loads: int = 0
    rows: int = 0
    quarantined_rows: int = 0
    warnings: int = 0
    critical: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)


def quarantine_path(home: Path, load_id: str) -> Path:
    return home / "quarantine" / f"{load_id}.parquet"


def validate_pending(config: Config) -> ValidationSummary:
    """Validate every landed load that has no validation result yet (idempotent, crash-safe:
    the result file is written atomically, and its presence marks the load validated).

    A load with a critical failure is rejected whole: all its rows go to quarantine with the
    critical rule, so they never reach the marts, and the summary's ``critical`` stops this run.
    """
    from expectations.runner import validate_batch  # GX is slow to import: only when validating

    summary = ValidationSummary()
    loads = landing.list_loads(config.home)
    for load in loads:
        target = quarantine_path(config.home, load.load_id)
        if target.exists():
            continue
        summary.loads += 1
        rows: list[dict[str, Any]] = []
        load_critical: list[str] = []
        tables: dict[str, pa.Table] = {}
        for entity in load.manifest["entities"]:
            table = landing.read_entity(load, entity)
            if table is None or table.num_rows == 0:
                continue
            tables[entity] = table
            report = validate_batch(entity, table, max_error_fraction=config.max_error_fraction)
            summary.rows += report.rows
            summary.quarantined_rows += report.quarantined_rows
            summary.warnings += sum(1 for row in report.quarantine if row["severity"] == "warning")
            summary.results.extend({"load_id": load.load_id, "entity": entity, **r} for r in report.results)
            rows.extend(report.quarantine)
            load_critical.extend(f"{load.load_id} {entity}: {line}" for line in report.critical)
            if entity == volume.ROSTER:
                earlier = [other for other in loads if other.source == load.source and other.load_id < load.load_id]
                baseline = [other for other in earlier if not _rejected(config.home, other.load_id)]
                shrunk = volume.roster_shrink(table, baseline)
                load_critical.extend(f"{load.load_id} {entity}: {line}" for line in shrunk)
        if load_critical:
            summary.critical.extend(load_critical)
            rows = _reject_whole_load(tables, "; ".join(load_critical))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".parquet.tmp")
        pq.write_table(pa.Table.from_pylist(rows, schema=schemas.QUARANTINE), tmp)
        os.replace(tmp, target)
    return summary


def _rejected(home: Path, load_id: str) -> bool:
    """Was the load rejected whole by a critical failure (so it is no baseline for the next)?"""
    path = quarantine_path(home, load_id)
    if not path.exists():
        return False
    return "critical" in pq.read_table(path, columns=["severity"]).column("severity").to_pylist()


def _reject_whole_load(tables: dict[str, pa.Table], reason: str) -> list[dict[str, Any]]:
    rows = []
    for entity, table in tables.items():
        meta = table.select(["_load_id", "_row", "_source", "_source_file", "_source_line"]).to_pylist()
        for row in meta:
            rows.append(
                {
                    **row,
                    "entity": entity,
                    "rule": "load.critical",
                    "severity": "critical",
                    "column_name": None,
                    "value": None,
                    "message": reason[:2000],
                    "record": None,
                }
            )
    return rows


# ---------------------------------------------------------------------------------------------
# build


@dataclass
class BuildResult:
    build_db: Path
    success: bool
    seconds: float
    counts: dict[str, int]  # status → nodes
    failures: list[str]


# dbt unit tests check the models' SQL on fixtures, not the night's data: CI runs them
# (tests/e2e/test_nightly.py, tests/integration/test_postgres.py); a nightly build leaves them out, as
# dbt advises for production, unless this is "1".
UNIT_TESTS_ENV = "TRAINOPS_DBT_UNIT_TESTS"


def dbt_env(config: Config, build_db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TRAINOPS_HOME=str(config.home),
        TRAINOPS_REFERENCE_DIR=str(config.reference_dir),
        TRAINOPS_BUILD_DB=str(build_db),
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
        DO_NOT_TRACK="1",
    )
    return env


def release_memory() -> None:
    """Give the memory that extraction and validation freed back to the OS (Arrow's pool, then the C
    heap's per-thread arenas, which glibc keeps otherwise), so it is not held beside the dbt build."""
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def build_marts(config: Config, as_of: date, run_id: str, extra_vars: dict[str, Any] | None = None) -> BuildResult:
    """``dbt build`` (models and tests) into a fresh DuckDB file; published marts are untouched.

    ``extra_vars`` adds dbt vars (a backfill widens the compliance history to its range)."""
    release_memory()
    config.warehouse.mkdir(parents=True, exist_ok=True)
    build_db = config.warehouse / f"build-{run_id}.duckdb"
    target_path = config.warehouse / "dbt" / run_id
    dbt_vars = {
        "as_of": as_of.isoformat(),
        "business_timezone": config.timezone,
        "due_soon_days": config.due_soon_days,
        **(extra_vars or {}),
    }
    env = dbt_env(config, build_db)
    if config.target != "duckdb":  # build the published schemas beside the live ones (flows/postgres.py)
        from flows.postgres import BUILD_SUFFIX

        env["TRAINOPS_BUILD_SUFFIX"] = BUILD_SUFFIX
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--target", config.target,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_path),
        "--log-path", str(target_path),
        "--vars", json.dumps(dbt_vars),
    ]  # fmt: skip
    if os.environ.get(UNIT_TESTS_ENV) != "1":
        command += ["--exclude-resource-type", "unit_test"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pause_point("dbt-build", child=process, ready=build_db.exists)  # crash tests: dbt half way
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    results_path = target_path / "run_results.json"
    if not results_path.exists():
        tail = (stdout + stderr).strip().splitlines()[-15:]
        raise PipelineError("dbt build did not run:\n  " + "\n  ".join(tail))
    results = json.loads(results_path.read_text())["results"]
    counts: dict[str, int] = {}
    failures = []
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        if result["status"] in ("error", "fail", "runtime error"):
            message = (result.get("message") or "").strip().splitlines()
            failures.append(f"{result['unique_id']}: {message[0] if message else result['status']}")
    return BuildResult(build_db, process.returncode == 0 and not failures, seconds, counts, failures)


def new_run_id(now: datetime | None = None) -> str:
    return f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%S%f}Z"
