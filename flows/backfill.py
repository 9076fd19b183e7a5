"""Backfill a date range after a source was fixed: re-extract, reprocess, rebuild, publish once.

``trainops backfill --start D1 --end D2 [--source S] [--chunk-days N] [--dry-run]`` and the Prefect
flow ``backfill`` (deployment ``backfill``) plan one chunk per source and window of ``chunk_days``:

- **file sources** (a drop folder): the files dated in the window — by a ``YYYY-MM-DD`` or
  ``YYYY-MM`` in the file name, else by the file's modification day in the business timezone — are
  landed again if their content changed since they were landed (a corrected file re-sent under the
  same name), or for the first time if new; unchanged files are not landed twice;
- **API sources that can re-read a window** (``WindowedConnector``: ``xapi_lrs``, on ``stored``):
  the window is extracted again, and only records not already landed with the same content are
  landed (so an overlap with the nightly data lands nothing). The nightly state is never moved;
- **other API sources** (HR roster snapshots cannot be taken for a past day): nothing to extract;

and, for every source, the landed loads of the window are validated again with the current rules
(their quarantine is recomputed). Each finished chunk is recorded under
``state/_backfills/<id>.json``, so rerunning the same command after an interruption resumes at the
first unfinished chunk. Then the marts are built once — the compliance history widened to cover the
range — and published once. Staging keeps the latest load per natural key, so re-landed records
replace the earlier ones and the result equals a clean run on the fixed data.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime
from typing import Any, Literal, TextIO

from prefect import flow, task

from flows import load_run_config
from flows.nightly import RUN_HOOKS, not_a_source_error, tracked_run, validate_build_publish
from pipeline.backfill_chunks import land_chunk
from pipeline.backfill_plan import DEFAULT_CHUNK_DAYS, Chunk, Plan, describe_plan, history_vars, plan_backfill
from pipeline.backfill_progress import Progress, last_build_seconds, read_progress, write_progress
from pipeline.config import Config
from pipeline.lifecycle import RunFailed, business_today
from warehouse.dbt import configured_window


@task(retries=2, retry_delay_seconds=[10, 60], retry_condition_fn=not_a_source_error)
def run_chunk(config: Config, chunk: Chunk, backfill_id: str) -> dict[str, Any]:
    return land_chunk(config, chunk, backfill_id)


@flow(name="backfill", log_prints=True, **RUN_HOOKS)
def backfill(
    start: date,
    end: date,
    sources: list[str] | None = None,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    as_of: date | None = None,
    config_path: str | None = None,
    lock_wait: float | None = None,
    dry_run: bool = False,
    target: Literal["duckdb", "postgres"] | None = None,
    progress_bar: bool = False,
) -> dict[str, Any]:
    """Re-extract and reprocess ``start``..``end`` (inclusive) per source in chunks of ``chunk_days``,
    then rebuild and publish the marts once (module docstring). Rerun to resume an interrupted one.

    ``progress_bar`` draws the progress on this process's stderr too (the CLI); the Prefect progress
    artifact ``backfill-progress`` is kept either way."""
    config = load_run_config(config_path, target)
    as_of = as_of or business_today(config.timezone)
    plan = plan_backfill(config, start, end, sources, chunk_days)
    if dry_run:
        return describe_plan(config, plan)
    fields = {"backfill": {"id": plan.backfill_id, "start": start.isoformat(), "end": end.isoformat(),
                           "sources": plan.sources, "chunk_days": chunk_days}}  # fmt: skip
    with tracked_run(config, "backfill", as_of, lock_wait, **fields) as record:
        _backfill(config, plan, as_of, record, sys.stderr if progress_bar else None)
    return record


def _backfill(config: Config, plan: Plan, as_of: date, record: dict[str, Any], stream: TextIO | None) -> None:
    plan = plan_backfill(config, plan.start, plan.end, plan.sources, plan.chunk_days)  # under the lock now
    data = read_progress(config.home, plan)
    write_progress(config.home, data)
    info = record["backfill"]
    info.update(chunks_total=len(plan.chunks), chunks_run=0, chunks_resumed=0, loads=[], revalidated=[])
    progress = Progress(len(plan.chunks), last_build_seconds(config.home), stream)
    progress.update()
    failures: list[str] = []
    for chunk in plan.chunks:
        if chunk.key in data["done"]:
            info["chunks_resumed"] += 1
            progress.done += 1
            progress.update()
            continue
        started = time.monotonic()
        name = f"backfill-{chunk.source}-{chunk.start:%Y%m%d}-{chunk.end:%Y%m%d}"
        try:
            done = run_chunk.with_options(name=name)(config, chunk, plan.backfill_id)
        except Exception as exc:  # other sources' chunks go on; the publish waits for all of them
            failures.append(f"{chunk.source} {chunk.start}..{chunk.end}: {exc}")
            progress.done += 1
            progress.update()
            continue
        data["done"][chunk.key] = {**done, "finished_at": datetime.now(UTC).isoformat()}
        write_progress(config.home, data)
        info["chunks_run"] += 1
        info["loads"] += done["loads"]
        info["revalidated"] += done["revalidated"]
        progress.ran += 1
        progress.done += 1
        progress.chunk_seconds += time.monotonic() - started
        progress.update()
    if failures:
        progress.update("stopped: rerun the same command to resume")
        raise RunFailed(
            f"{len(failures)} chunk(s) failed, nothing published (rerun to resume): {'; '.join(failures[:3])}",
            record,
        )
    extra_vars = history_vars(plan.start, as_of, configured_window(config, as_of))
    record["sources"] = []
    validate_build_publish(
        config, as_of, record["run_id"], record, extra_vars, on_step=progress.update, full_refresh="a backfill"
    )
    data["finished_at"] = datetime.now(UTC).isoformat()
    write_progress(config.home, data)
    progress.update("done")
