"""The nightly job as a Prefect flow: extract (sources concurrently) → validate → dbt build → publish.

Also the ``rebuild-marts`` flow (validate → build → publish from landing, no extraction) and what
every run shares: ``tracked_run`` around the body (the lock and recovery of ``pipeline/lifecycle.py``,
the run record ``trainops status`` reads) and ``finish_run``, the flows' Prefect state hook (on
completion, failure, crash and cancellation: the completed record and HTML report, the
``<flow>-summary`` artifact, the failure webhook). Tasks are thin wrappers around
``pipeline/steps.py``, ``warehouse/dbt.py`` and the warehouse targets.
"""

from __future__ import annotations

import os
import socket
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TypedDict
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import MarkdownArtifact
from prefect.client.schemas.objects import FlowRun, State
from prefect.context import FlowRunContext
from prefect.flows import FlowStateHook
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from connectors.base import SourceError
from flows import load_run_config
from pipeline import lifecycle, steps
from pipeline.cancel import RunCancelled, cancellable
from pipeline.config import Config, Source
from pipeline.freshness import record_extractions
from pipeline.lifecycle import LockBusy, RunFailed, business_today, recover, run_lock
from reports import dashboard, notify, summary
from warehouse import dbt, duckdb_target, incremental, postgres_target


def not_a_source_error(task: Any, task_run: Any, state: Any) -> bool:
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
@task(retries=2, retry_delay_seconds=[10, 60], retry_condition_fn=not_a_source_error)
def extract(config: Config, source: Source) -> steps.ExtractSummary:
    result = steps.extract_source(config, source)
    get_run_logger().info(
        "%s: %d new files, rows %s, %d parse rejects", source.name, result.files, result.rows, result.rejects
    )
    for note in result.skipped:
        get_run_logger().info("%s: %s", source.name, note)
    return result


@task(name="validate-landed-loads")
def validate(config: Config) -> steps.ValidationSummary:
    return steps.validate_pending(config)


@task(name="dbt-build")
def build(
    config: Config, as_of: date, run_id: str, extra_vars: dict[str, Any] | None = None, full_refresh: str | None = None
) -> dbt.BuildResult:
    return dbt.build_marts(config, as_of, run_id, extra_vars, full_refresh)


@task(name="load-warehouse")
def load_warehouse(config: Config) -> dict[str, int]:
    """Postgres target: copy new landed loads, validation results and reference data into raw tables."""
    return postgres_target.load_raw(config)


@task(name="publish-marts")
def publish_marts(
    config: Config, build_db: Path, run_id: str
) -> duckdb_target.PublishResult | postgres_target.PublishResult:
    if config.target == "postgres":
        return postgres_target.publish(config, run_id)
    return duckdb_target.publish(config, build_db, run_id)


# -- what every run shares -------------------------------------------------------------------------


def _logger() -> Any:
    try:
        return get_run_logger()
    except Exception:  # outside a flow run (plain function calls in tests)
        import logging

        return logging.getLogger("trainops")


@dataclass
class _OpenRun:
    """A run between its lock and its state hook: the hook completes ``record`` and releases ``lock``."""

    config: Config
    record: dict[str, Any]
    lock: ExitStack


# Prefect calls a state hook with (flow, flow_run, state) only: the run it completes is found here by
# its flow run's id (in this process: hooks run where the flow ran).
_open_runs: dict[UUID, _OpenRun] = {}


@contextmanager
def tracked_run(
    config: Config, flow_name: str, as_of: date, lock_wait: float | None = None, **fields: Any
) -> Iterator[dict[str, Any]]:
    """Lock, recover, record: yields the run record for the body to fill and records how the body
    ended (``success`` or ``stale``; ``failed`` with the error, which propagates; a crash leaves
    ``running`` for the next run's recovery to record). The lock is held until the flow's state hook
    (``finish_run``) has completed the record, written it and the report, and sent the webhook."""
    record: dict[str, Any] = {
        "run_id": lifecycle.new_run_id(),
        "flow": flow_name,
        "as_of": as_of.isoformat(),
        "config": str(config.path),
        **fields,
        "status": "running",
        "pid": os.getpid(),
        "host": socket.gethostname(),
    }
    run = _OpenRun(config, record, ExitStack())
    wait = config.lock_wait if lock_wait is None else lock_wait
    logger = _logger()

    def waiting(holder: str) -> None:
        logger.warning("waiting up to %g s for the lock held by %s", wait, holder)

    try:
        holder = {"run_id": record["run_id"], "flow": flow_name}
        run.lock.enter_context(run_lock(config.home, wait, holder=holder, on_wait=waiting))
    except LockBusy as exc:  # worth a page too: e.g. a stuck run blocks tonight's
        notify.notify(config, record | {"status": "failed", "error": str(exc)})
        raise
    context = FlowRunContext.get()
    if context is not None and context.flow_run is not None:
        _open_runs[context.flow_run.id] = run
    try:
        with cancellable():
            _start(config, record, logger)
            yield record
        if record["status"] == "running":
            record["status"] = "stale" if record.get("stale_sources") else "success"
    except RunCancelled as exc:  # SIGTERM / SIGINT: children already stopped (pipeline/cancel.py)
        published = lifecycle.exports_published_by(config, record["run_id"])
        note = "after its marts were published" if published else "published marts untouched"
        record.update(status="cancelled", error=f"{exc}, {note}")
        if not published:
            lifecycle.remove_build(config, record["run_id"])
        lifecycle.write_run_record(config.home, record["run_id"], record)  # the state hook completes it
        raise
    except RunFailed as exc:  # the flow raises it: the caller's message and record
        record.update(status="failed", error=str(exc))
        raise
    except Exception as exc:  # recorded for `trainops status`, then re-raised
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        record["finished_at"] = datetime.now().astimezone().isoformat()
        if context is None:  # not a flow run (a plain call): no state hook follows
            _complete(run)


def _start(config: Config, record: dict[str, Any], logger: Any) -> None:
    """Under the lock: clean up after a killed run, then record this one as running."""
    record["started_at"] = datetime.now().astimezone().isoformat()
    recovered = recover(config, on_crashed=lambda crashed: summary.write_report(config.home, crashed))
    if recovered:
        record["recovered"] = recovered
        logger.warning("recovered from an interrupted run: %s", "; ".join(recovered))
    lifecycle.write_run_record(config.home, record["run_id"], record)
    summary.write_report(config.home, record)


def finish_run(flow: Any, flow_run: FlowRun, state: State) -> None:
    """The state hook of every trainops flow (completed, failed, crashed or cancelled): completes the
    run's record (quarantine findings, checks, changes), sends the webhook if it is worth a page,
    writes the record and its HTML report, creates the ``<flow>-summary`` artifact, prunes old builds
    and releases the lock."""
    run = _open_runs.pop(flow_run.id, None)
    if run is not None:  # None: the flow stopped before it took the lock (bad config, lock busy)
        _complete(run, flow_run.id)


class RunHooks(TypedDict):
    """The state hooks every trainops flow passes to ``@flow``."""

    on_completion: list[FlowStateHook[..., Any]]
    on_failure: list[FlowStateHook[..., Any]]
    on_crashed: list[FlowStateHook[..., Any]]
    on_cancellation: list[FlowStateHook[..., Any]]


RUN_HOOKS: RunHooks = {
    "on_completion": [finish_run],
    "on_failure": [finish_run],
    "on_crashed": [finish_run],
    "on_cancellation": [finish_run],
}


def _complete(run: _OpenRun, flow_run_id: UUID | None = None) -> None:
    config, record = run.config, run.record
    try:
        try:
            summary.complete_record(config.home, record)
        except Exception as exc:  # the report must not hide the run's own outcome
            record["report_error"] = f"{type(exc).__name__}: {exc}"
        record["notified"] = notify.notify(config, record)
        lifecycle.write_run_record(config.home, record["run_id"], record)
        summary.write_report(config.home, record)
        _artifact(record, flow_run_id)
        lifecycle.prune_builds(config)
    finally:
        run.lock.close()


def _artifact(record: dict[str, Any], flow_run_id: UUID | None) -> None:
    """The run summary as a Prefect markdown artifact; never fails the run (the record has it all)."""
    artifact = MarkdownArtifact(
        markdown=summary.render_markdown(record),
        key=f"{record['flow']}-summary",
        description=f"trainops {record['flow']} run summary",
        flow_run_id=flow_run_id,
    )
    try:
        with warnings.catch_warnings():  # a crash hook runs after the flow run's context has closed
            warnings.simplefilter("ignore", FutureWarning)
            artifact.create()
    except Exception as exc:  # outside a flow run, or the API is gone
        _logger().debug("no summary artifact: %s", exc)


# -- the flows -------------------------------------------------------------------------------------


# Prefect types task_runner as TaskRunner[PrefectFuture[Any]], which its own (invariant) thread pool is not
@flow(name="nightly-sync", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True, **RUN_HOOKS)  # type: ignore[arg-type]
def nightly_sync(
    as_of: date | None = None,
    config_path: str | None = None,
    lock_wait: float | None = None,
    target: Literal["duckdb", "postgres"] | None = None,
    full_refresh: str | None = None,
) -> dict[str, Any]:
    """Extract every configured source, validate, build the marts and publish them.

    Raises ``RunFailed`` (published marts untouched) when a critical validation fails, a dbt
    model/test fails, or a source cannot be extracted and ``freshness.on_stale`` is ``hold``.
    ``lock_wait`` overrides the config's seconds to wait for another run's lock, ``target`` the
    config's ``target``. ``full_refresh`` (a reason, e.g. ``trainops run --full-refresh``) makes it a
    full night (``warehouse/incremental.py``).
    """
    config = load_run_config(config_path, target)
    as_of = as_of or business_today(config.timezone)
    with tracked_run(config, "nightly-sync", as_of, lock_wait) as record:
        _run(config, as_of, record["run_id"], record, full_refresh)
    return record


@flow(name="rebuild-marts", log_prints=True, **RUN_HOOKS)
def rebuild_marts(
    as_of: date | None = None,
    config_path: str | None = None,
    lock_wait: float | None = None,
    target: Literal["duckdb", "postgres"] | None = None,
) -> dict[str, Any]:
    """Validate what is landed, build and publish the marts — no extraction (after a dbt or
    reference-data change, or to recompute the marts for another as-of date)."""
    config = load_run_config(config_path, target)
    as_of = as_of or business_today(config.timezone)
    with tracked_run(config, "rebuild-marts", as_of, lock_wait) as record:
        record["sources"] = []
        validate_build_publish(config, as_of, record["run_id"], record)
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


def _run(config: Config, as_of: date, run_id: str, record: dict[str, Any], full_refresh: str | None = None) -> None:
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
    record_extractions(config.home, outcomes, new_data)
    failed = {name: error for name, error in outcomes.items() if error is not None}
    if failed:
        if config.on_stale == "hold":
            raise RunFailed("; ".join(failed.values()) + " (freshness.on_stale is hold: nothing published)", record)
        record["stale_sources"] = failed
        _logger().warning(
            "publishing with stale source(s) %s (freshness.on_stale is publish): %s",
            ", ".join(failed), "; ".join(failed.values()),
        )  # fmt: skip
    validate_build_publish(config, as_of, run_id, record, full_refresh=full_refresh)


def validate_build_publish(
    config: Config,
    as_of: date,
    run_id: str,
    record: dict[str, Any],
    extra_vars: dict[str, Any] | None = None,
    on_step: Callable[[str], None] | None = None,
    full_refresh: str | None = None,
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
    result = build(config, as_of, run_id, extra_vars, full_refresh)
    record["build"] = {name: value for name, value in asdict(result).items() if name != "plan"}
    record["night"] = {"kind": result.kind, "reasons": result.reasons}
    if not result.success:
        shown = "; ".join(result.failures[:3]) or "see dbt logs"
        raise RunFailed(f"dbt build failed ({len(result.failures)} failures): {shown}", record)
    step("publishing")
    published = publish_marts(config, result.build_db, run_id)
    if result.plan is not None:  # this build is the next night's base
        incremental.remember_base(config, result.build_db, result.plan)
    record["published"] = asdict(published)
    record["figures"] = summary.headline_figures(published.marts_db)
    record["dashboard"] = dashboard.write_for_run(config, published.marts_db, run_id)
