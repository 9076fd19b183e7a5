"""The nightly job as a Prefect flow: extract (sources concurrently) → validate → dbt build → publish.

Also the ``rebuild-marts`` flow (validate → build → publish from landing, no extraction) and what
every run shares (``tracked_run``): one writer at a time (``run_lock``), clean-up after a crashed run
(``recover``), the run record ``trainops status`` reads, the summary artifact and the failure webhook.
Tasks are thin wrappers around ``flows/pipeline.py`` and ``flows/publish.py``.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from connectors import landing
from connectors.base import SourceError
from flows import notify, pipeline, postgres, publish, status, summary
from flows.config import Config, Source, load_config

KEEP_BUILDS = 2
LOCK_FILE = ".trainops.lock"


class RunFailed(Exception):
    """The run stopped; the published marts are untouched. ``record`` says why."""

    def __init__(self, message: str, record: dict[str, Any]):
        super().__init__(message)
        self.record = record


class LockBusy(RuntimeError):
    """Another run holds the home's lock (and did not release it within ``lock_wait``)."""


def _not_a_source_error(task: Any, task_run: Any, state: Any) -> bool:
    """Retry flaky I/O, not a file that is broken (retrying it cannot help)."""
    try:
        state.result()
    except SourceError:
        return False
    except Exception:
        return True
    return False


# Retries (with backoff) only on the I/O tasks: extraction. Validation, the dbt build and the publish
# are deterministic on local files: a retry would fail the same way.
@task(retries=2, retry_delay_seconds=[10, 60], retry_condition_fn=_not_a_source_error)
def extract(config: Config, source: Source) -> pipeline.ExtractSummary:
    result = pipeline.extract_source(config, source)
    get_run_logger().info(
        "%s: %d new files, rows %s, %d parse rejects", source.name, result.files, result.rows, result.rejects
    )
    return result


@task(name="validate-landed-loads")
def validate(config: Config) -> pipeline.ValidationSummary:
    return pipeline.validate_pending(config)


@task(name="dbt-build")
def build(config: Config, as_of: date, run_id: str, extra_vars: dict[str, Any] | None = None) -> pipeline.BuildResult:
    return pipeline.build_marts(config, as_of, run_id, extra_vars)


@task(name="load-warehouse")
def load_warehouse(config: Config) -> dict[str, int]:
    """Postgres target: copy new landed loads, validation results and reference data into raw tables."""
    return postgres.load_raw(config)


@task(name="publish-marts")
def publish_marts(config: Config, build_db: Path, run_id: str) -> publish.PublishResult | postgres.PublishResult:
    if config.target == "postgres":
        return postgres.publish(config, run_id)
    return publish.publish(config, build_db, run_id)


# -- one writer at a time ----------------------------------------------------------------------------


def lock_holder(home: Path) -> str:
    """Who holds the lock, as the holder wrote it (pid, run, flow, since)."""
    try:
        info = json.loads((home / LOCK_FILE).read_text() or "{}")
    except (OSError, ValueError):
        return "holder unknown"
    if not info:
        return "holder unknown"
    return f"{info.get('flow', 'a run')} {info.get('run_id', '')} (pid {info.get('pid')}, since {info.get('since')})"


@contextmanager
def run_lock(
    home: Path,
    wait: float = 0.0,
    *,
    holder: dict[str, Any] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """One writer at a time per home. Waits up to ``wait`` seconds for another run's lock, then raises
    ``LockBusy`` naming the holder; ``on_wait(holder)`` is called once when waiting starts."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK_FILE
    with open(path, "a+") as handle:  # not "w": that would erase the holder's note before we own it
        deadline = time.monotonic() + wait
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    waited = f"waited {wait:g} s" if wait else "not waiting (lock_wait is 0)"
                    raise LockBusy(
                        f"another trainops run holds {path}: {lock_holder(home)}; {waited}. Try again later, "
                        "or let runs queue with --lock-wait SECONDS / lock_wait in trainops.yaml"
                    ) from None
                if not announced and on_wait is not None:
                    on_wait(lock_holder(home))
                    announced = True
                time.sleep(min(0.5, remaining))
        handle.seek(0)
        handle.truncate()
        since = datetime.now().astimezone().isoformat()
        handle.write(json.dumps({"pid": os.getpid(), **(holder or {}), "since": since}))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()


# -- after a crash ---------------------------------------------------------------------------------


def recover(config: Config) -> list[str]:
    """Clean up what a run killed half way (SIGKILL, power loss, OOM) left behind; call under the lock.

    Half-written loads (``.tmp-``), staged publishes and exports, temporary state/quarantine files,
    and the builds of runs that never finished are removed, and those runs are recorded as crashed.
    A load committed before its state is adopted by the next extraction (``pipeline.adopt_orphan_loads``).
    Published marts are never touched: the swap is atomic, so they are the last good version.
    """
    home, notes = config.home, []
    for tmp in landing.remove_incomplete(home):
        notes.append(f"removed the half-written load {tmp.parent.name}/{tmp.name}")
    leftovers = [
        *config.warehouse.glob(".publish-*.duckdb*"),
        *config.warehouse.glob(".rollback-*.duckdb*"),
        *config.exports.glob(".*.parquet"),
        *(home / "state").glob("**/*.json.tmp"),
        *(home / "quarantine").glob("*.parquet.tmp"),
        *(home / "runs").glob("*.json.tmp"),
        *(home / "runs").glob("*.html.tmp"),
    ]
    for path in leftovers:
        path.unlink(missing_ok=True)
        notes.append(f"removed {path.relative_to(home)}")
    for record_path in sorted((home / "runs").glob("*.json")):
        record = json.loads(record_path.read_text())
        if record.get("status") != "running":
            continue
        run_id = record["run_id"]
        for build_file in config.warehouse.glob(f"build-{run_id}.duckdb*"):
            build_file.unlink(missing_ok=True)
        shutil.rmtree(config.warehouse / "dbt" / run_id, ignore_errors=True)
        record.update(status="crashed", error="the process stopped before the run finished (killed or lost power)")
        summary.write_run_record(home, run_id, record)
        notes.append(f"recorded run {run_id} ({record.get('flow', 'nightly-sync')}) as crashed")
    return notes


# -- what every run shares -------------------------------------------------------------------------


def business_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def _logger() -> Any:
    try:
        return get_run_logger()
    except Exception:  # outside a flow run (plain function calls in tests)
        import logging

        return logging.getLogger("trainops")


@contextmanager
def tracked_run(
    config: Config, flow_name: str, as_of: date, lock_wait: float | None = None, **fields: Any
) -> Iterator[dict[str, Any]]:
    """Lock, recover, record: yields the run record for the body to fill. A ``RunFailed`` from the
    body is recorded (``status: failed``) and swallowed — the caller raises it from the record; any
    other exception is recorded and re-raised. Afterwards: run record, summary artifact, webhook."""
    run_id = pipeline.new_run_id()
    record: dict[str, Any] = {
        "run_id": run_id,
        "flow": flow_name,
        "as_of": as_of.isoformat(),
        "config": str(config.path),
        **fields,
        "status": "running",
        "pid": os.getpid(),
        "host": socket.gethostname(),
    }
    wait = config.lock_wait if lock_wait is None else lock_wait
    logger = _logger()

    def waiting(holder: str) -> None:
        logger.warning("waiting up to %g s for the lock held by %s", wait, holder)

    with ExitStack() as stack:
        try:
            stack.enter_context(
                run_lock(config.home, wait, holder={"run_id": run_id, "flow": flow_name}, on_wait=waiting)
            )
        except LockBusy as exc:  # worth a page too: e.g. a stuck run blocks tonight's
            notify.notify(config, record | {"status": "failed", "error": str(exc)})
            raise
        record["started_at"] = datetime.now().astimezone().isoformat()
        recovered = recover(config)
        if recovered:
            record["recovered"] = recovered
            logger.warning("recovered from an interrupted run: %s", "; ".join(recovered))
        summary.write_run_record(config.home, run_id, record)
        try:
            yield record
            if record["status"] == "running":
                record["status"] = "stale" if record.get("stale_sources") else "success"
        except RunFailed as exc:
            record.update(status="failed", error=str(exc))
        except Exception as exc:  # recorded for `trainops status`, then re-raised
            record.update(status="failed", error=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            record["finished_at"] = datetime.now().astimezone().isoformat()
            try:
                summary.complete_record(config.home, record)
            except Exception as exc:  # the report must not hide the run's own outcome
                record["report_error"] = f"{type(exc).__name__}: {exc}"
            record["notified"] = notify.notify(config, record)
            summary.write_run_record(config.home, run_id, record)
            _artifact(record)
            _prune_builds(config)


def _artifact(record: dict[str, Any]) -> None:
    """The run summary as a Prefect markdown artifact; never fails the run (the record has it all)."""
    try:
        markdown = summary.render_markdown(record)
        if record.get("stale_sources"):
            markdown += "\n## Stale sources\n\nPublished without a fresh extraction of:\n\n"
            markdown += "".join(f"- **{name}**: {error}\n" for name, error in sorted(record["stale_sources"].items()))
        backfill = record.get("backfill")
        if backfill:
            markdown += (
                f"\n## Backfill\n\n{backfill['start']}..{backfill['end']}, sources {', '.join(backfill['sources'])}, "
                f"chunks of {backfill['chunk_days']} days: {backfill.get('chunks_run', 0)} run, "
                f"{backfill.get('chunks_resumed', 0)} already done, {len(backfill.get('loads', []))} loads landed, "
                f"{len(backfill.get('revalidated', []))} loads revalidated.\n"
            )
        create_markdown_artifact(
            markdown, key=f"{record['flow']}-summary", description=f"trainops {record['flow']} run summary"
        )
    except Exception as exc:  # outside a flow run, or the API is gone
        _logger().debug("no summary artifact: %s", exc)


# -- the flows -------------------------------------------------------------------------------------


@flow(name="nightly-sync", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True)
def nightly_sync(
    as_of: date | None = None, config_path: str | None = None, lock_wait: float | None = None
) -> dict[str, Any]:
    """Extract every configured source, validate, build the marts and publish them.

    Raises ``RunFailed`` (published marts untouched) when a critical validation fails, a dbt
    model/test fails, or a source cannot be extracted and ``freshness.on_stale`` is ``hold``.
    ``lock_wait`` overrides the config's seconds to wait for another run's lock.
    """
    config = load_config(config_path)
    as_of = as_of or business_today(config.timezone)
    with tracked_run(config, "nightly-sync", as_of, lock_wait) as record:
        _run(config, as_of, record["run_id"], record)
    if record["status"] == "failed":
        raise RunFailed(record["error"], record)
    return record


@flow(name="rebuild-marts", log_prints=True)
def rebuild_marts(
    as_of: date | None = None, config_path: str | None = None, lock_wait: float | None = None
) -> dict[str, Any]:
    """Validate what is landed, build and publish the marts — no extraction (after a dbt or
    reference-data change, or to recompute the marts for another as-of date)."""
    config = load_config(config_path)
    as_of = as_of or business_today(config.timezone)
    with tracked_run(config, "rebuild-marts", as_of, lock_wait) as record:
        record["sources"] = []
        validate_build_publish(config, as_of, record["run_id"], record)
    if record["status"] == "failed":
        raise RunFailed(record["error"], record)
    return record


def extraction_runner(config: Config) -> TaskRunner:
    """What runs the extraction tasks (``extract:`` in trainops.yaml): a thread pool in this process
    (default), or a Dask cluster — a running one at ``dask_address``, else a local cluster of
    ``workers`` processes started for the run and closed after its extraction. Dask workers need
    this package and the same paths (home, drops, reference data) as the run."""
    settings = config.extract
    if settings.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        cluster = {  # worker processes; the scheduler's HTTP endpoint on loopback, on a free port
            "n_workers": settings.workers, "threads_per_worker": 1, "processes": True,
            "dashboard_address": "127.0.0.1:0",
        }  # fmt: skip
        return DaskTaskRunner(cluster_kwargs=cluster)
    return ThreadPoolTaskRunner(max_workers=settings.workers)


def _run(config: Config, as_of: date, run_id: str, record: dict[str, Any]) -> None:
    record["sources"] = []
    outcomes: dict[str, str | None] = {}
    new_data = set()
    with extraction_runner(config) as runner:
        try:
            futures = [
                runner.submit(
                    extract.with_options(name=f"extract-{source.name}-{source.kind.replace('_', '-')}"),
                    {"config": config, "source": source},
                )
                for source in config.sources
            ]
        except OSError as exc:  # a Dask cluster that cannot be reached or started: nothing was extracted
            where = config.extract.dask_address or "a local cluster"
            raise RunFailed(f"extraction: the Dask cluster ({where}) is not available: {exc}", record) from None
        for source, future in zip(config.sources, futures, strict=True):
            try:
                result = future.result()
            except Exception as exc:  # a source that stays down must not stop the others' extraction
                outcomes[source.name] = str(exc) if isinstance(exc, SourceError) else f"{type(exc).__name__}: {exc}"
                continue
            outcomes[source.name] = None
            if result.loads:
                new_data.add(source.name)
            record["sources"].append(asdict(result))
    status.record_extractions(config.home, outcomes, new_data)
    failed = {name: error for name, error in outcomes.items() if error is not None}
    if failed:
        if config.on_stale == "hold":
            raise RunFailed("; ".join(failed.values()) + " (freshness.on_stale is hold: nothing published)", record)
        record["stale_sources"] = failed
        _logger().warning(
            "publishing with stale source(s) %s (freshness.on_stale is publish): %s",
            ", ".join(failed), "; ".join(failed.values()),
        )  # fmt: skip
    validate_build_publish(config, as_of, run_id, record)


def validate_build_publish(
    config: Config,
    as_of: date,
    run_id: str,
    record: dict[str, Any],
    extra_vars: dict[str, Any] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> None:
    """Write–audit–publish: validate pending loads, dbt build into a fresh file, publish if it passed."""
    step = on_step or (lambda name: None)
    step("validating")
    validation = validate(config)
    record["validation"] = asdict(validation) | {"results": len(validation.results)}
    if validation.critical:
        raise RunFailed(
            f"critical validation failure in {len(validation.critical)} check(s): {validation.critical[0]}",
            record,
        )
    if config.target == "postgres":
        step("loading the warehouse")
        record["warehouse_load"] = load_warehouse(config)
    step("building marts")
    result = build(config, as_of, run_id, extra_vars)
    record["build"] = asdict(result)
    if not result.success:
        shown = "; ".join(result.failures[:3]) or "see dbt logs"
        raise RunFailed(f"dbt build failed ({len(result.failures)} failures): {shown}", record)
    step("publishing")
    published = publish_marts(config, result.build_db, run_id)
    record["published"] = asdict(published)
    record["figures"] = summary.headline_figures(published.marts_db)


def _prune_builds(config: Config) -> None:
    builds = sorted(config.warehouse.glob("build-*.duckdb"))
    for old in builds[:-KEEP_BUILDS]:
        old.unlink(missing_ok=True)
        old.with_suffix(".duckdb.wal").unlink(missing_ok=True)
        shutil.rmtree(config.warehouse / "dbt" / old.stem.removeprefix("build-"), ignore_errors=True)
