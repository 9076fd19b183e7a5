"""Backfill planning: which sources, windows and files a ``trainops backfill --start --end`` covers.

The range is cut into windows of ``chunk_days`` per source; each chunk names the drop files dated in
its window (a ``YYYY-MM-DD`` or ``YYYY-MM`` in the name, else the file's modification day in the
business timezone) and the landed loads whose data falls in it. ``flows/backfill.py`` runs the plan.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from connectors import landing, registry
from connectors.base import WindowedConnector
from connectors.files import FileDropConnector, file_span
from connectors.state import local_day
from pipeline import steps
from pipeline.backfill_progress import read_progress
from pipeline.compliance_window import HistoryWindow, history_window
from pipeline.config import Config, ConfigError, FileSource, Source

DEFAULT_CHUNK_DAYS = 7


# -- planning --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    source: str
    kind: str
    start: date
    end: date  # inclusive
    mode: str  # files | window | landed
    files: tuple[str, ...] = ()  # files mode: drop files dated in this window (relative names)
    loads: tuple[str, ...] = ()  # landed loads of this window, validated again

    @property
    def key(self) -> str:
        return f"{self.source}:{self.start.isoformat()}"

    def describe(self) -> str:
        action = {
            "files": f"land {len(self.files)} dated file(s) if new or changed",
            "window": "re-extract the window, land records not landed yet",
            "landed": "no window extraction for this kind",
        }[self.mode]
        return f"{action}; revalidate {len(self.loads)} landed load(s)"


@dataclass
class Plan:
    start: date
    end: date
    sources: list[str]
    chunk_days: int
    chunks: list[Chunk]

    @property
    def backfill_id(self) -> str:
        digest = hashlib.sha256(json.dumps([self.sources, self.chunk_days]).encode()).hexdigest()[:8]
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}-{digest}"


def windows(start: date, end: date, chunk_days: int) -> list[tuple[date, date]]:
    spans, first = [], start
    while first <= end:
        last = min(first + timedelta(days=chunk_days - 1), end)
        spans.append((first, last))
        first = last + timedelta(days=1)
    return spans


def load_span(load: landing.Load, timezone: str) -> tuple[date, date]:
    """The dates a landed load's data covers, as its manifest's unit says (else the day it landed)."""
    unit = registry.read_unit(load.manifest["kind"], load.manifest.get("unit") or {})
    span = unit.covered_span(timezone) if unit is not None else None
    if span is None:
        day = local_day(load.manifest["started_at"], timezone)
        span = day, day
    return span


def _first_window(span: tuple[date, date], spans: list[tuple[date, date]]) -> int | None:
    """Index of the first window the span overlaps (each file or load is processed once)."""
    return next((i for i, (first, last) in enumerate(spans) if span[0] <= last and span[1] >= first), None)


def plan_backfill(
    config: Config, start: date, end: date, sources: list[str] | None = None, chunk_days: int = DEFAULT_CHUNK_DAYS
) -> Plan:
    if end < start:
        raise ConfigError(f"backfill: --end {end} is before --start {start}")
    if chunk_days < 1:
        raise ConfigError(f"backfill: chunk size must be at least 1 day, got {chunk_days}")
    selected = [config.source(name) for name in sources] if sources else list(config.sources)
    spans = windows(start, end, chunk_days)
    chunks = []
    for source in selected:
        mode, by_window = _mode(config, source), {i: list[str]() for i in range(len(spans))}
        files_by_window: dict[int, list[str]] = {i: [] for i in range(len(spans))}
        if mode == "files":
            connector = steps.connector_for(config, source)
            assert isinstance(connector, FileDropConnector)
            for file in connector.files():
                name = str(file.relative_to(connector.path))
                index = _first_window(file_span(name, file.stat().st_mtime_ns, config.timezone), spans)
                if index is not None:
                    files_by_window[index].append(name)
        for load in landing.list_loads(config.home, source.name):
            index = _first_window(load_span(load, config.timezone), spans)
            if index is not None:
                by_window[index].append(load.load_id)
        for index, (first, last) in enumerate(spans):
            files, loads = tuple(files_by_window[index]), tuple(by_window[index])
            if mode == "window" or files or loads:
                chunks.append(Chunk(source.name, source.kind, first, last, mode, files, loads))
    return Plan(start, end, [source.name for source in selected], chunk_days, chunks)


def _mode(config: Config, source: Source) -> str:
    if isinstance(source, FileSource):
        return "files"
    return "window" if issubclass(registry.api_connector(source.kind), WindowedConnector) else "landed"


# -- dbt vars for the range ------------------------------------------------------------------------


def history_vars(start: date, as_of: date, window: HistoryWindow | None = None) -> dict[str, Any]:
    """Widen the compliance history (``fct_compliance_history``) to the backfill's start when it
    begins before the build's window (``window``, default ``history_window(as_of)``)."""
    window = window or history_window(as_of)
    widened = window.widened(start)
    return {"compliance_history_start": widened.start.isoformat()} if widened != window else {}


def describe_plan(config: Config, plan: Plan) -> dict[str, Any]:
    """The plan as data, with what a resume would skip (``--dry-run``)."""
    done = read_progress(config.home, plan)["done"]
    return {
        "backfill_id": plan.backfill_id,
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "sources": plan.sources,
        "chunk_days": plan.chunk_days,
        "chunks": [
            {
                **asdict(chunk),
                "start": chunk.start.isoformat(),
                "end": chunk.end.isoformat(),
                "action": chunk.describe(),
                "done": chunk.key in done,
            }  # fmt: skip
            for chunk in plan.chunks
        ],
        "dry_run": True,
    }


def render_plan(described: dict[str, Any]) -> str:
    chunks = described["chunks"]
    lines = [
        f"backfill {described['start']}..{described['end']} of {', '.join(described['sources'])} "
        f"in chunks of {described['chunk_days']} days: {len(chunks)} chunk(s), "
        f"{sum(c['done'] for c in chunks)} already done (dry run: nothing changed)",
        "",
        f"  {'source':<14} {'window':<23} action",
    ]
    for chunk in chunks:
        note = "  [done, skipped on resume]" if chunk["done"] else ""
        lines.append(f"  {chunk['source']:<14} {chunk['start']}..{chunk['end']}  {chunk['action']}{note}")
        if chunk["files"]:
            shown = ", ".join(chunk["files"][:4]) + (" …" if len(chunk["files"]) > 4 else "")
            lines.append(f"  {'':<14} {'':<23} files: {shown}")
    lines.append("")
    lines.append("then: validate, build the marts once (compliance history covering the range), publish once")
    return "\n".join(lines)
