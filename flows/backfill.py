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

import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import yaml
from prefect import flow, task

from connectors import landing, state
from connectors.base import ParseResult
from connectors.files import FileDropConnector
from flows import pipeline
from flows.config import Config, ConfigError, Source, load_config
from flows.nightly import (
    RunFailed,
    _logger,
    _not_a_source_error,
    business_today,
    tracked_run,
    validate_build_publish,
)
from flows.status import BACKFILLS_DIR

DEFAULT_CHUNK_DAYS = 7
_DATED_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?:-(\d{2}))?(?!\d)")

# The CLI sets this to sys.stderr for a progress bar; Prefect gets a progress artifact either way.
progress_output: TextIO | None = None


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


def name_span(name: str) -> tuple[date, date] | None:
    """The dates a file's name says it covers: ``employees_2026-10-28.csv`` → that day,
    ``sessions_2026-10.csv`` → October (the last date in the name wins)."""
    for match in reversed(list(_DATED_NAME.finditer(Path(name).name))):
        year, month, day = (int(g) if g else None for g in match.groups())
        try:
            if day is not None:
                first = date(year, month, day)  # type: ignore[arg-type]
                return first, first
            first = date(year, month, 1)  # type: ignore[arg-type]
        except ValueError:
            continue
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, following - timedelta(days=1)
    return None


def file_span(name: str, mtime_ns: int, timezone: str) -> tuple[date, date]:
    span = name_span(name)
    if span is not None:
        return span
    day = datetime.fromtimestamp(mtime_ns / 1e9, ZoneInfo(timezone)).date()
    return day, day


def load_span(load: landing.Load, timezone: str) -> tuple[date, date]:
    """The dates a landed load's data covers, from what its manifest says it holds."""
    unit = load.manifest.get("unit") or {}
    spans = [file_span(f["name"], f.get("mtime_ns", 0), timezone) for f in unit.get("files", [])]
    window = unit.get("window") or (unit.get("backfill") or {}).get("window")
    if window:
        spans.append((_day(window["since"], timezone), _day(window["until"], timezone)))
    if unit.get("snapshot_date"):
        day = date.fromisoformat(unit["snapshot_date"])
        spans.append((day, day))
    if unit.get("since") or unit.get("max_stored"):
        edges = [_day(value, timezone) for value in (unit.get("since"), unit.get("max_stored")) if value]
        spans.append((min(edges), max(edges)))
    if not spans:
        day = _day(load.manifest["started_at"], timezone)
        spans.append((day, day))
    return min(first for first, _ in spans), max(last for _, last in spans)


def _day(timestamp: str, timezone: str) -> date:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).astimezone(ZoneInfo(timezone)).date()


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
        mode, by_window = _mode(config, source), {i: [] for i in range(len(spans))}
        files_by_window: dict[int, list[str]] = {i: [] for i in range(len(spans))}
        if mode == "files":
            connector = pipeline.connector_for(config, source)
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
    if source.path is not None:
        return "files"
    from connectors.api import API_CONNECTORS

    return "window" if hasattr(API_CONNECTORS[source.kind], "extract_window") else "landed"


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
            _logger().debug("no progress artifact: %s", exc)


# -- chunks ----------------------------------------------------------------------------------------


@dataclass
class _FilesInRange(FileDropConnector):
    """The source's own file connector, seeing only the files of one chunk."""

    only: frozenset[str] = frozenset()

    def files(self) -> list[Path]:
        return [file for file in super().files() if str(file.relative_to(self.path)) in self.only]


def _landed_content(con: Any, home: Path, source: str, entity: str, incoming: Any) -> list[int]:
    """Rows (``_row``) of ``incoming`` whose content is not already landed by ``source``."""
    columns = [name for name in incoming.schema.names if not name.startswith("_")]
    digest = "md5(cast(struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in columns) + ") as varchar))"
    files = list((landing.landing_dir(home) / source).glob(f"*/{entity}.parquet"))
    con.register("incoming", incoming)
    try:
        if not files:
            return [row[0] for row in con.execute("select _row from incoming").fetchall()]
        paths = ", ".join(f"'{path}'" for path in files)
        sql = (
            f"select _row from incoming where {digest} not in "
            f"(select {digest} from read_parquet([{paths}], union_by_name = true))"
        )
        return [row[0] for row in con.execute(sql).fetchall()]
    finally:
        con.unregister("incoming")


def only_new(home: Path, source: str, result: ParseResult) -> ParseResult:
    """What of a re-read window is not landed yet with the same content (records and rejects)."""
    import duckdb

    fresh = ParseResult()
    with duckdb.connect() as con:
        for entity, records in result.records.items():
            incoming = landing.records_table(entity, records, "incoming", source)
            for row in sorted(_landed_content(con, home, source, entity, incoming)):
                fresh.add(entity, records[row])
        landed_rejects: set[tuple[Any, ...]] = set()
        rejects_files = list((landing.landing_dir(home) / source).glob(f"*/{landing.REJECTS_FILE}"))
        if rejects_files and result.rejects:
            paths = ", ".join(f"'{path}'" for path in rejects_files)
            landed_rejects = set(con.execute(f"select entity, rule, record from read_parquet([{paths}])").fetchall())
    fresh.rejects = [r for r in result.rejects if (r.entity, r.rule, r.record) not in landed_rejects]
    return fresh


def land_window(config: Config, source: Source, chunk: Chunk, backfill_id: str) -> list[str]:
    """Re-extract one window of a ``WindowedConnector`` source; land what is new. State untouched."""
    connector = pipeline.connector_for(config, source)
    zone = ZoneInfo(config.timezone)
    since = datetime.combine(chunk.start, datetime.min.time(), zone)
    until = datetime.combine(chunk.end + timedelta(days=1), datetime.min.time(), zone)
    landing.ensure_schema_files(config.home)
    loads = []
    for unit, result in connector.extract_window(since, until):  # type: ignore[attr-defined]
        fresh = only_new(config.home, source.name, result)
        if not fresh.records and not fresh.rejects:
            continue
        marked = {**unit, "backfill": {"id": backfill_id, "window": unit.get("window")}}
        loads.append(landing.write_load(config.home, source.name, source.kind, fresh, unit=marked).load_id)
    return loads


def revalidate(config: Config, load_ids: tuple[str, ...]) -> None:
    """Drop the loads' validation results, so the next validation recomputes them with today's rules.
    Crash-safe: a load without a result is simply validated by the next run."""
    for load_id in load_ids:
        pipeline.quarantine_path(config.home, load_id).unlink(missing_ok=True)


@task(retries=2, retry_delay_seconds=[10, 60], retry_condition_fn=_not_a_source_error)
def run_chunk(config: Config, chunk: Chunk, backfill_id: str) -> dict[str, Any]:
    source = config.source(chunk.source)
    revalidate(config, chunk.loads)
    loads: list[str] = []
    if chunk.mode == "files":
        base = pipeline.connector_for(config, source)
        assert isinstance(base, FileDropConnector)
        connector = _FilesInRange(base.name, base.kind, base.path, base.glob, base.context, frozenset(chunk.files))
        loads = pipeline.extract_source(config, source, connector).loads
    elif chunk.mode == "window":
        loads = land_window(config, source, chunk, backfill_id)
    return {"loads": loads, "revalidated": list(chunk.loads)}


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


# -- dbt vars for the range ------------------------------------------------------------------------


def history_vars(start: date, as_of: date) -> dict[str, Any]:
    """Widen the compliance history (``fct_compliance_history``) to the backfill's start when it
    begins before the project's default window (``compliance_history_months`` before as_of's month)."""
    try:
        project = yaml.safe_load((pipeline.DBT_PROJECT_DIR / "dbt_project.yml").read_text())
        months = int((project.get("vars") or {}).get("compliance_history_months", 24))
    except (OSError, ValueError, TypeError, yaml.YAMLError):
        months = 24
    index = as_of.year * 12 + as_of.month - 1 - months
    default_start = date(index // 12, index % 12 + 1, 1)
    return {"compliance_history_start": start.isoformat()} if start < default_start else {}


# -- the flow --------------------------------------------------------------------------------------


def _last_build_seconds(home: Path) -> float | None:
    from flows.summary import read_run_records

    for record in read_run_records(home, limit=20):
        if record.get("status") in ("success", "stale") and record.get("build"):
            return float(record["build"]["seconds"]) + 5.0  # plus validation and publish, roughly
    return None


@flow(name="backfill", log_prints=True)
def backfill(
    start: date,
    end: date,
    sources: list[str] | None = None,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    as_of: date | None = None,
    config_path: str | None = None,
    lock_wait: float | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Re-extract and reprocess ``start``..``end`` (inclusive) per source in chunks of ``chunk_days``,
    then rebuild and publish the marts once (module docstring). Rerun to resume an interrupted one."""
    config = load_config(config_path)
    as_of = as_of or business_today(config.timezone)
    plan = plan_backfill(config, start, end, sources, chunk_days)
    if dry_run:
        return describe_plan(config, plan)
    fields = {"backfill": {"id": plan.backfill_id, "start": start.isoformat(), "end": end.isoformat(),
                           "sources": plan.sources, "chunk_days": chunk_days}}  # fmt: skip
    with tracked_run(config, "backfill", as_of, lock_wait, **fields) as record:
        _backfill(config, plan, as_of, record)
    if record["status"] == "failed":
        raise RunFailed(record["error"], record)
    return record


def _backfill(config: Config, plan: Plan, as_of: date, record: dict[str, Any]) -> None:
    plan = plan_backfill(config, plan.start, plan.end, plan.sources, plan.chunk_days)  # under the lock now
    data = read_progress(config.home, plan)
    write_progress(config.home, data)
    info = record["backfill"]
    info.update(chunks_total=len(plan.chunks), chunks_run=0, chunks_resumed=0, loads=[], revalidated=[])
    progress = Progress(len(plan.chunks), _last_build_seconds(config.home), progress_output)
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
    extra_vars = history_vars(plan.start, as_of)
    record["sources"] = []
    validate_build_publish(config, as_of, record["run_id"], record, extra_vars, on_step=progress.update)
    data["finished_at"] = datetime.now(UTC).isoformat()
    write_progress(config.home, data)
    progress.update("done")


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
