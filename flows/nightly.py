"""The nightly job as a Prefect flow: extract (sources concurrently) → validate → dbt build → publish.

Tasks are thin wrappers around ``flows/pipeline.py`` and ``flows/publish.py``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from connectors.base import SourceError
from flows import pipeline, publish, summary
from flows.config import Config, Source, load_config

KEEP_BUILDS = 2


class RunFailed(Exception):
    """The run stopped; the published marts are untouched. ``record`` says why."""

    def __init__(self, message: str, record: dict[str, Any]):
        super().__init__(message)
        self.record = record


def _not_a_source_error(task: Any, task_run: Any, state: Any) -> bool:
    """Retry flaky I/O, not a file that is broken (retrying it cannot help)."""
    try:
        state.result()
    except SourceError:
        return False
    except Exception:
        return True
    return False


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=_not_a_source_error)
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
def build(config: Config, as_of: date, run_id: str) -> pipeline.BuildResult:
    return pipeline.build_marts(config, as_of, run_id)


@task(name="publish-marts")
def publish_marts(config: Config, build_db: Path, run_id: str) -> publish.PublishResult:
    return publish.publish(config, build_db, run_id)


@contextmanager
def run_lock(home: Path) -> Iterator[None]:
    """One writer at a time per home: a second run exits with a clear message."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".trainops.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(
                f"another trainops run holds {home / '.trainops.lock'}; try again later"
            ) from None
        handle.write(str(os.getpid()))
        handle.flush()
        yield


def business_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


@flow(name="nightly-sync", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True)
def nightly_sync(as_of: date | None = None, config_path: str | None = None) -> dict[str, Any]:
    """Extract every configured source, validate, build the marts and publish them.

    Raises ``RunFailed`` (published marts untouched) when a source cannot be read, a critical
    validation fails or a dbt model/test fails.
    """
    config = load_config(config_path)
    as_of = as_of or business_today(config.timezone)
    run_id = pipeline.new_run_id()
    record: dict[str, Any] = {
        "run_id": run_id,
        "flow": "nightly-sync",
        "as_of": as_of.isoformat(),
        "config": str(config.path),
        "status": "running",
        "started_at": datetime.now().astimezone().isoformat(),
    }
    with run_lock(config.home):
        try:
            _run(config, as_of, run_id, record)
            record["status"] = "success"
        except RunFailed as exc:
            record.update(status="failed", error=str(exc))
        except Exception as exc:  # recorded for `trainops status`, then re-raised
            record.update(status="failed", error=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            record["finished_at"] = datetime.now().astimezone().isoformat()
            summary.write_run_record(config.home, run_id, record)
            create_markdown_artifact(
                summary.render_markdown(record),
                key="nightly-sync-summary",
                description="trainops run summary",
            )
            _prune_builds(config)
    if record["status"] != "success":
        raise RunFailed(record["error"], record)
    return record


def _run(config: Config, as_of: date, run_id: str, record: dict[str, Any]) -> None:
    futures = [
        extract.with_options(name=f"extract-{source.name}-{source.kind.replace('_', '-')}").submit(
            config, source
        )
        for source in config.sources
    ]
    errors = []
    record["sources"] = []
    for future in futures:
        try:
            record["sources"].append(asdict(future.result()))
        except SourceError as exc:
            errors.append(str(exc))
    if errors:
        raise RunFailed("; ".join(errors), record)

    validation = validate(config)
    record["validation"] = asdict(validation) | {"results": len(validation.results)}
    if validation.critical:
        raise RunFailed(
            f"critical validation failure in {len(validation.critical)} check(s): {validation.critical[0]}",
            record,
        )

    result = build(config, as_of, run_id)
    record["build"] = asdict(result)
    if not result.success:
        shown = "; ".join(result.failures[:3]) or "see dbt logs"
        raise RunFailed(f"dbt build failed ({len(result.failures)} failures): {shown}", record)

    published = publish_marts(config, result.build_db, run_id)
    record["published"] = asdict(published)
    record["figures"] = summary.headline_figures(published.marts_db)


def _prune_builds(config: Config) -> None:
    builds = sorted(config.warehouse.glob("build-*.duckdb"))
    for old in builds[:-KEEP_BUILDS]:
        old.unlink(missing_ok=True)
        old.with_suffix(".duckdb.wal").unlink(missing_ok=True)
        shutil.rmtree(config.warehouse / "dbt" / old.stem.removeprefix("build-"), ignore_errors=True)
