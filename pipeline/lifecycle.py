"""What every run shares, whatever its flow: one writer at a time per data home (``run_lock``),
clean-up after a run that was killed (``recover``), run ids and the run records that
``trainops status`` reads (``runs/<run_id>.json``)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors import landing
from pipeline.base_build import read_base
from pipeline.config import Config

KEEP_BUILDS = 2
LOCK_FILE = ".trainops.lock"
CURRENT_EXPORTS = "current"  # exports/current → exports/<run_id>: the published run's Parquet files


class RunFailed(Exception):
    """The run stopped; the published marts are untouched. ``record`` says why."""

    def __init__(self, message: str, record: dict[str, Any]):
        super().__init__(message)
        self.record = record


class LockBusy(RuntimeError):
    """Another run holds the home's lock (and did not release it within ``lock_wait``)."""


# -- run ids and records ---------------------------------------------------------------------------


def new_run_id(now: datetime | None = None) -> str:
    return f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%S%f}Z"


def business_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def write_run_record(home: Path, run_id: str, record: dict[str, Any]) -> Path:
    runs = home / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / f"{run_id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str))
    tmp.replace(path)
    return path


def read_run_records(home: Path, limit: int = 10) -> list[dict[str, Any]]:
    paths = sorted((home / "runs").glob("*.json"))[-limit:]
    return [json.loads(path.read_text()) for path in reversed(paths)]


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


def recover(config: Config, on_crashed: Callable[[dict[str, Any]], object] | None = None) -> list[str]:
    """Clean up what a run killed half way (SIGKILL, power loss, OOM) left behind; call under the lock.

    Half-written loads (``.tmp-``), staged publishes and exports, temporary state/quarantine files,
    and the builds of runs that never finished are removed, and those runs are recorded as crashed.
    A load committed before its state is adopted by the next extraction (``pipeline.steps.adopt_orphan_loads``).
    Published marts are never touched: the swap is atomic, so they are the last good version.
    """
    home, notes = config.home, []
    for record_path in sorted((home / "runs").glob("*.json")):
        record = json.loads(record_path.read_text())
        if record.get("status") == "running":
            notes += _settle_publish(config, record["run_id"])
    for tmp in landing.remove_incomplete(home):
        notes.append(f"removed the half-written load {tmp.parent.name}/{tmp.name}")
    leftovers = [
        *config.warehouse.glob(".publish-*.duckdb*"),
        *config.warehouse.glob(".rollback-*.duckdb*"),
        *config.warehouse.glob(".copy-build-*.duckdb"),
        *config.exports.glob(".*.parquet"),
        *config.exports.glob(f".{CURRENT_EXPORTS}-*"),
        *(config.warehouse / "versions").glob(".*.tmp"),
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
        remove_build(config, run_id)
        record.update(status="crashed", error="the process stopped before the run finished (killed or lost power)")
        write_run_record(home, run_id, record)
        if on_crashed is not None:
            on_crashed(record)
        notes.append(f"recorded run {run_id} ({record.get('flow', 'nightly-sync')}) as crashed")
    return notes


def remove_build(config: Config, run_id: str) -> None:
    """A run's build file (with its WAL and spill files) and dbt target folder: a run that did not
    finish leaves nothing half built."""
    for build_file in config.warehouse.glob(f"build-{run_id}.duckdb*"):
        build_file.unlink(missing_ok=True)
    shutil.rmtree(config.warehouse / "dbt" / run_id, ignore_errors=True)


def exports_published_by(config: Config, run_id: str) -> bool:
    """Whether ``exports/current`` points at ``run_id``'s exports (its publish switched)."""
    current = config.exports / CURRENT_EXPORTS
    return current.is_symlink() and os.readlink(current) == run_id


def switch_exports(exports: Path, run_id: str) -> None:
    """Point ``exports/current`` at ``exports/<run_id>`` in one rename (a new symlink over the old)."""
    link = exports / f".{CURRENT_EXPORTS}-{run_id}"
    link.unlink(missing_ok=True)
    link.symlink_to(run_id, target_is_directory=True)
    os.replace(link, exports / CURRENT_EXPORTS)


def _settle_publish(config: Config, run_id: str) -> list[str]:
    """A publish that a killed run left half done: its marts file swapped in (the staged file is
    gone, its kept version exists) → point ``exports/current`` at its exports too, so Parquet and
    DuckDB agree; not swapped in → remove its kept version and export folder."""
    version = config.warehouse / "versions" / f"marts-{run_id}.duckdb"
    folder = config.exports / run_id
    staged = config.warehouse / f".publish-{run_id}.duckdb"
    if version.exists() and folder.is_dir() and not staged.exists():
        if (config.exports / CURRENT_EXPORTS).resolve() != folder.resolve():
            switch_exports(config.exports, run_id)
            return [f"finished the publish of run {run_id}: exports/current now matches marts.duckdb"]
        return []
    if not version.exists() and not folder.exists():
        return []
    version.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    return [f"removed the unpublished version and exports of run {run_id}"]


def prune_builds(config: Config) -> None:
    """Remove builds beyond the last ``KEEP_BUILDS``, never the base of the next incremental night
    (named in the base record, ``pipeline/base_build.py``)."""
    record = read_base(config.warehouse)
    base = record.get("build") if record is not None else None
    builds = sorted(config.warehouse.glob("build-*.duckdb"))
    for old in builds[:-KEEP_BUILDS]:
        if old.name == base:
            continue
        old.unlink(missing_ok=True)
        old.with_suffix(".duckdb.wal").unlink(missing_ok=True)
        shutil.rmtree(config.warehouse / "dbt" / old.stem.removeprefix("build-"), ignore_errors=True)
