"""The dbt build: ``dbt build`` (models and data tests) of the project in ``dbt/`` into a fresh
build (write–audit–publish), as a child process, with the run's vars and environment.

dbt parses the project partially from one night to the next (a noop night would otherwise spend most
of its build re-parsing): the values that change every night are run parameters in the environment,
not ``--vars`` (``RUN_PARAMS``); dbt writes into the same file path every night (``BUILDING_FILE``,
renamed to the run's build file afterwards), as a changed connection path makes dbt re-parse too; and
the parsed project is kept between runs (``partial_parse_file``).

Why a child process and not ``prefect-dbt``'s ``PrefectDbtRunner`` (in-process, one Prefect task per
node), measured on the demo (300 employees, 12 months; 213 nodes) on a shared 2-core machine, five
builds each way: wall time within the machine's noise (child 51–117 s, runner 57–78 s); CPU time
higher with the runner (30.7 and 33.3 s vs 25.1 and 29.7 s); peak RSS of the whole process tree the
same (595–628 vs 623–634 MiB), but with the runner dbt's memory stays in the flow process (largest
single process 620–647 MiB vs 374–378 MiB); and of the 213 per-node task runs at most 48 reached the
Prefect API, the rest still queued when the process ended after the flow (as ``trainops run`` and a
process worker do). A child also lets the crash tests stop and kill dbt half way
(``connectors/testhooks.py``) and keeps dbt's environment (``dbt_env``) out of ``os.environ``. So
``prefect-dbt`` was dropped: the Prefect UI shows the build as the ``dbt-build`` task, and the run
report lists dbt's failures.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from connectors.testhooks import pause_point
from pipeline import cancel
from pipeline.compliance_window import HistoryWindow, history_window
from pipeline.config import Config, FileSource
from pipeline.settings import dbt_settings_vars
from warehouse import incremental
from warehouse.check_messages import explain_checks, read_findings

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt"


class BuildError(Exception):
    """dbt could not run at all; the message has the tail of its output."""


@dataclass
class BuildResult:
    build_db: Path
    success: bool
    seconds: float
    counts: dict[str, int]  # status → nodes
    failures: list[str]
    warnings: list[str] = field(default_factory=list)  # tests at severity warn that found rows
    kind: str = "full"  # full | incremental | noop (warehouse/incremental.py)
    reasons: list[str] = field(default_factory=list)  # why this kind
    selected: list[str] = field(default_factory=list)  # dbt --select of the night (empty: everything)
    plan: incremental.Plan | None = field(default=None, repr=False)  # for remember_base after publish


# dbt unit tests check the models' SQL on fixtures, not the night's data: CI runs them
# (tests/e2e/test_nightly.py, tests/integration/test_postgres.py); a nightly build leaves them out, as
# dbt advises for production, unless this is "1".
UNIT_TESTS_ENV = "TRAINOPS_DBT_UNIT_TESTS"

# The values computed anew every night (the as-of date, the compliance history window, an
# incremental night's new loads, which its incremental staging models process, and a noop night's
# new_dates_only, which lets the models keyed by as_of_date compute only their new dates): dbt reads
# them as environment variables TRAINOPS_PARAM_<NAME> through one macro, dbt/macros/run_params.sql,
# only while executing. As --vars they made dbt re-parse the whole project every night (a changed var
# disables partial parsing: about 50 s of a noop night's 64 s build at S).
RUN_PARAMS = ("as_of", "compliance_history_start", "compliance_history_grain", "new_loads", "new_dates_only")
PARAM_ENV_PREFIX = "TRAINOPS_PARAM_"
# The file dbt builds into (DuckDB), the same every night: dbt re-parses everything when the profile's
# connection (its path) changes. Renamed to build-<run id>.duckdb when dbt is done.
BUILDING_FILE = "building.duckdb"


def dbt_arguments(build_vars: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """``--vars`` with the vars that stay the same between nights, and the run parameters as
    environment variables (a list as JSON)."""
    stable = {key: value for key, value in build_vars.items() if key not in RUN_PARAMS}
    params = {
        PARAM_ENV_PREFIX + key.upper(): value if isinstance(value, str) else json.dumps(value)
        for key, value in build_vars.items()
        if key in RUN_PARAMS and value is not None
    }
    return ["--vars", json.dumps(stable, sort_keys=True)], params


def partial_parse_file(config: Config) -> Path:
    """dbt's parsed project (``partial_parse.msgpack``) of the last build, which the next one starts
    from; one per target, as dbt re-parses all of it when the target changes."""
    return config.warehouse / "dbt" / f"partial_parse-{config.target}.msgpack"


def keep_parsed_project(config: Config, target_path: Path) -> None:
    """Keep the build's parsed project for the next build (a half-written file is never kept)."""
    written = target_path / "partial_parse.msgpack"
    if written.exists():
        kept = partial_parse_file(config)
        tmp = kept.with_name(f".{kept.name}.tmp")
        shutil.copyfile(written, tmp)
        os.replace(tmp, kept)


def dbt_env(config: Config, build_db: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(PARAM_ENV_PREFIX)}
    env.update(
        TRAINOPS_HOME=str(config.home),
        TRAINOPS_REFERENCE_DIR=str(config.reference_dir),
        TRAINOPS_BUILD_DB=str(build_db),
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
        DO_NOT_TRACK="1",
    )
    # trainops.yaml `build.memory_limit`; the environment variable, when set, overrides it
    env.setdefault("TRAINOPS_DUCKDB_MEMORY_LIMIT", config.build.memory_limit)
    return env


def release_memory() -> None:
    """Give the memory that extraction and validation freed back to the OS (Arrow's pool, then the C
    heap's per-thread arenas, which glibc keeps otherwise), so it is not held beside the dbt build."""
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def configured_window(config: Config, as_of: date) -> HistoryWindow:
    """The compliance history window ``compliance_history:`` in trainops.yaml asks for."""
    window = config.compliance_history
    return history_window(as_of, months=window.months, start=window.start, grain=window.grain)


def dbt_vars(config: Config, as_of: date) -> dict[str, Any]:
    """The vars of every dbt build, the one place trainops.yaml's settings reach dbt: the as-of date,
    the business timezone, the due-soon days, the compliance history window
    (pipeline/compliance_window.py), the cross-system check thresholds (pipeline/settings.py) and
    the learner matching per source. dbt only reads them."""
    return {
        "as_of": as_of.isoformat(),
        "business_timezone": config.timezone,
        "due_soon_days": config.due_soon_days,
        **configured_window(config, as_of).dbt_vars(),
        **dbt_settings_vars(config.checks),
        "learner_matching": {
            source.name: list(source.learners.match_names_to)
            for source in config.sources
            if isinstance(source, FileSource) and source.learners.match_names_to
        },
    }


def plan_build(
    config: Config, as_of: date, extra_vars: dict[str, Any] | None = None, full_refresh: str | None = None
) -> tuple[incremental.Plan, dict[str, Any]]:
    """The night's kind (full, incremental, noop) and its dbt vars."""
    build_vars = {**dbt_vars(config, as_of), **(extra_vars or {})}
    if extra_vars and not full_refresh:
        full_refresh = "a backfill (the compliance history widened to its range)"
    plan = incremental.plan_night(config, DBT_PROJECT_DIR, build_vars, full_refresh)
    if plan.kind == "incremental":  # the loads its incremental staging models process
        build_vars["new_loads"] = plan.new_loads
    elif plan.kind == "noop":  # only the as-of date changed: as-of models compute their new dates only
        build_vars["new_dates_only"] = True
    return plan, build_vars


def dbt_command(
    config: Config, subcommand: str, target_path: Path, build_vars: dict[str, Any]
) -> tuple[list[str], dict[str, str]]:
    """The dbt command line and environment of a build (or ``parse``) into ``BUILDING_FILE``."""
    vars_arguments, params = dbt_arguments(build_vars)
    env = {**dbt_env(config, config.warehouse / BUILDING_FILE), **params}
    if config.target != "duckdb":  # build the published schemas beside the live ones (warehouse/postgres_target.py)
        from warehouse.postgres_target import BUILD_SUFFIX

        env["TRAINOPS_BUILD_SUFFIX"] = BUILD_SUFFIX
    command = [
        str(Path(sys.executable).parent / "dbt"),
        subcommand,
        "--target", config.target,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_path),
        "--log-path", str(target_path),
        *vars_arguments,
    ]  # fmt: skip
    if partial_parse_file(config).exists():  # dbt refuses a path that does not exist
        command += ["--partial-parse-file-path", str(partial_parse_file(config))]
    return command, env


def dbt_has_written(building: Path, copied: bool) -> bool:
    """dbt has written to the night's build file: it exists (a full night), or — ``copied``, the copy
    of the base that exists before dbt starts on an incremental or noop night — it has a WAL."""
    return building.with_name(f"{building.name}.wal").exists() if copied else building.exists()


def clear_building(config: Config) -> Path:
    """``BUILDING_FILE``, with what a killed build left of it (file, WAL, spill folder) removed."""
    building = config.warehouse / BUILDING_FILE
    for name in (building.name, f"{building.name}.wal", f".copy-{building.name}"):
        building.with_name(name).unlink(missing_ok=True)
    shutil.rmtree(building.with_name(f"{building.name}.tmp"), ignore_errors=True)
    return building


def settle_building(building: Path, build_db: Path) -> None:
    """dbt is done: ``BUILDING_FILE`` (and a WAL it left) becomes the run's build file."""
    if building.exists():
        os.replace(building, build_db)
    wal = building.with_name(f"{building.name}.wal")
    if wal.exists():
        os.replace(wal, build_db.with_name(f"{build_db.name}.wal"))
    shutil.rmtree(building.with_name(f"{building.name}.tmp"), ignore_errors=True)


def build_marts(
    config: Config,
    as_of: date,
    run_id: str,
    extra_vars: dict[str, Any] | None = None,
    full_refresh: str | None = None,
) -> BuildResult:
    """``dbt build`` (models and tests) into a new DuckDB file; published marts are untouched.

    A full night builds every model into an empty file; an incremental or noop night copies the last
    audited build and builds what changed (``warehouse/incremental.py``). ``extra_vars`` overrides
    dbt vars (a backfill widens the compliance history to its range, a full night); ``full_refresh``
    (a reason) forces a full night."""
    release_memory()
    config.warehouse.mkdir(parents=True, exist_ok=True)
    build_db = config.warehouse / f"build-{run_id}.duckdb"
    building = clear_building(config)
    target_path = config.warehouse / "dbt" / run_id
    plan, build_vars = plan_build(config, as_of, extra_vars, full_refresh)
    if plan.kind != "full":
        try:
            incremental.prepare_copy(plan, building)
        except (OSError, duckdb.Error) as exc:  # fall back: said in the record
            building.unlink(missing_ok=True)
            plan.reasons.append(f"copying the base build failed ({type(exc).__name__}: {exc}); rebuilt in full")
            plan.kind = "full"
    command, env = dbt_command(config, "build", target_path, build_vars)
    if os.environ.get(UNIT_TESTS_ENV) != "1":
        command += ["--exclude-resource-type", "unit_test"]
    else:  # unit tests of an incremental model's own branch (`input: this`) need that model built first
        command += ["--exclude", "tag:needs_built_model"]
    if plan.select():
        command += ["--select", *plan.select()]
    copied = building.exists()  # the copy of the base (settled, no WAL), not yet touched by dbt
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with cancel.child(process):  # SIGTERM / SIGINT of the run stops dbt too
        try:
            pause_point("dbt-build", child=process, ready=lambda: dbt_has_written(building, copied))  # crash tests
            stdout, stderr = process.communicate()
        except BaseException:  # cancelled (or failed) half way: no half-made build is left behind
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=8)  # the cancel stops dbt: SIGTERM, then SIGKILL after 5 s
            clear_building(config)
            raise
    seconds = time.perf_counter() - started
    settle_building(building, build_db)
    keep_parsed_project(config, target_path)
    results_path = target_path / "run_results.json"
    if not results_path.exists():
        tail = (stdout + stderr).strip().splitlines()[-15:]
        raise BuildError("dbt build did not run:\n  " + "\n  ".join(tail))
    results = json.loads(results_path.read_text())["results"]
    counts: dict[str, int] = {}
    failures, warnings = [], []
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        message = (result.get("message") or "").strip().splitlines()
        line = f"{result['unique_id']}: {message[0] if message else result['status']}"
        if result["status"] in ("error", "fail", "runtime error"):
            failures.append(line)
        elif result["status"] == "warn":
            warnings.append(line)
    failures, warnings = explain_checks(read_findings(config, build_db), failures, warnings)
    success = process.returncode == 0 and not failures
    return BuildResult(
        build_db, success, seconds, counts, failures, warnings, plan.kind, plan.reasons, plan.select(), plan
    )
