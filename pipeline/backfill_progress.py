"""Backfill progress: the bar and ETA the CLI and the Prefect artifact show, and the per-chunk record
(``state/_backfills/<id>.json``) that lets a rerun of the same backfill resume where it stopped."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from connectors import state
from pipeline.lifecycle import read_run_records

if TYPE_CHECKING:
    from pipeline.backfill_plan import Plan

BACKFILLS_DIR = "_backfills"  # under state/; source names cannot start with "_"
log = logging.getLogger("trainops")


# -- progress (what the CLI bar and the Prefect artifact show) -------------------------------------


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@dataclass
class Progress:
    """Chunks done of the plan, and an ETA: the mean time of the chunks run so far × the chunks left,
    plus the last successful build's time for the validate–build–publish still to come."""

    total: int
    build_seconds: float | None
    stream: TextIO | None = None
    done: int = 0
    ran: int = 0
    chunk_seconds: float = 0.0
    step: str = "extracting"
    started: float = field(default_factory=time.monotonic)
    step_started: float = field(default_factory=time.monotonic)
    artifact_id: Any = None

    def percent(self) -> float:
        after = {"validating": 90.0, "building marts": 92.0, "publishing": 99.0, "done": 100.0}
        if self.step in after:
            return after[self.step]
        return round(90.0 * (self.done / self.total if self.total else 1.0), 1)  # the build is the rest

    def eta(self) -> float | None:
        if self.step == "done":
            return 0.0
        left = self.total - self.done
        if (left and not self.ran) or self.build_seconds is None:
            return None
        build = self.build_seconds
        if self.step != "extracting":
            build = max(0.0, build - (time.monotonic() - self.step_started))
        return self.chunk_seconds / max(self.ran, 1) * left + build

    def line(self) -> str:
        eta = self.eta()
        return (
            f"{self.done}/{self.total} chunks, {self.percent():.0f} %, "
            f"elapsed {_duration(time.monotonic() - self.started)}, "
            f"ETA {'unknown' if eta is None else _duration(eta)} — {self.step}"
        )

    def update(self, step: str | None = None) -> None:
        if step is not None and step != self.step:
            if self.step == "extracting":
                self.step_started = time.monotonic()
            self.step = step
        if self.stream is not None:
            filled = int(30 * self.percent() / 100)
            text = f"backfill [{'#' * filled}{'-' * (30 - filled)}] {self.line()}"
            if getattr(self.stream, "isatty", lambda: False)():
                final = self.step == "done" or self.step.startswith("stopped")
                self.stream.write(f"\r{text}\x1b[K" + ("\n" if final else ""))
            else:
                self.stream.write(text + "\n")
            self.stream.flush()
        self._artifact()

    def _artifact(self) -> None:
        try:
            from prefect.artifacts import create_progress_artifact, update_progress_artifact
            from prefect.context import FlowRunContext

            if FlowRunContext.get() is None:
                return
            if self.artifact_id is None:
                self.artifact_id = create_progress_artifact(
                    self.percent(), key="backfill-progress", description=self.line()
                )
            else:
                update_progress_artifact(self.artifact_id, self.percent(), description=self.line())
        except Exception as exc:  # outside a flow run, or the API is unreachable: never fail the backfill
            log.debug("no progress artifact: %s", exc)


# -- progress records ------------------------------------------------------------------------------


def progress_path(home: Path, backfill_id: str) -> Path:
    return home / "state" / BACKFILLS_DIR / f"{backfill_id}.json"


def read_progress(home: Path, plan: Plan) -> dict[str, Any]:
    path = progress_path(home, plan.backfill_id)
    data = json.loads(path.read_text()) if path.exists() else {}
    if not data or data.get("finished_at"):  # a finished backfill run again starts afresh
        data = {
            "backfill_id": plan.backfill_id,
            "start": plan.start.isoformat(),
            "end": plan.end.isoformat(),
            "sources": plan.sources,
            "chunk_days": plan.chunk_days,
            "created_at": datetime.now(UTC).isoformat(),
            "done": {},
        }
    data["chunks_total"] = len(plan.chunks)
    return data


def write_progress(home: Path, data: dict[str, Any]) -> None:
    data["updated_at"] = datetime.now(UTC).isoformat()
    state.commit_state(home, f"{BACKFILLS_DIR}/{data['backfill_id']}", data)


def last_build_seconds(home: Path) -> float | None:
    """The last successful run's build time, for the ETA of the build still to come."""
    for record in read_run_records(home, limit=20):
        if record.get("status") in ("success", "stale") and record.get("build"):
            return float(record["build"]["seconds"]) + 5.0  # plus validation and publish, roughly
    return None
