"""trainops benchmarks: the nightly job end to end, side by side with the bare-DuckDB limit and dlt.

    make bench SCALE=S            # S, M or L (BENCH_ARGS="--snapshot ..." passes options)
    uv run --group bench python benchmarks/run.py --scale M [--snapshot] [--skip PHASE] [--engine steps]
    uv run --group bench python benchmarks/run.py --scale L --snapshot --peer-months 3 --dlt-dict-max 50000
    uv run --group bench python benchmarks/run.py --scale M --snapshot --extract-only   # the extract comparison only
    uv run python benchmarks/run.py --summarize       # markdown table of results/*.json

``--snapshot`` measures ``git archive HEAD`` (plus this benchmark's own files) instead of a working
tree that others may be editing; ``--engine steps`` runs the step functions without Prefect (the
smoke test's reduced mode, with ``--scale XS``).

One command per scale. The demo generator's data is cached under ``benchmarks/out/<scale>/generated``
(generation is timed but not part of any measured figure); every run starts from a fresh working
copy (hard links) under ``benchmarks/out/<scale>/work``. Each measured phase runs in its own
process, and this process samples the resident memory of that process *tree* (the Prefect server
and the dbt subprocess included). Phases, in order:

- ``limit``           benchmarks/limit.sql over the raw drops (run before and after the full run;
                      the faster counts: it is the floor);
- ``full``            the Prefect flow ``nightly_sync(as_of)`` on the whole history (the ephemeral
                      Prefect server is started by a warm-up flow first, and the heavy libraries
                      imported, outside the measured time); per-stage times and peak memory come
                      from timers around the step functions the flow calls;
- ``noop``            one more night (as_of + 1) with no new files: the as-of models only;
- ``incremental``     the night of as_of + 1 again, after one day of new files was dropped (the
                      same size at every scale: 2,000 statements and 200 booking updates);
- ``startup``         a fresh process's cost before any work: the first progress line, importing
                      Prefect and the flows, starting the ephemeral Prefect server;
- ``xapi_extract``    our extract+land of the xAPI JSON Lines alone (``extract_source``), plus a
                      cProfile of one file;
- ``duckdb_read_json`` DuckDB ``read_json`` with an explicit schema → Parquet, same files;
- ``dlt_arrow`` / ``dlt_dict`` dlt into DuckDB, same files: a resource yielding Arrow tables
                      (``pyarrow.json``) and one yielding dicts (capped, see ``--dlt-dict-max``);
- ``backfill``        ``trainops backfill`` over one month when the command exists; otherwise one
                      month of drops re-delivered after a "source fix" and a nightly run that
                      re-lands, re-validates and rebuilds with them (reported as such). Last, so
                      a long L run that is stopped early has everything else.

The results file is rewritten after every phase (``"complete": false`` until the end). Each
phase also records its CPU time and how busy the whole machine was meanwhile: on a shared machine
the ratios (ours ÷ limit, ours ÷ dlt, measured minutes apart) are the figures to trust.

Writes ``benchmarks/results/<scale>.json`` and prints a table. A sampling profiler (a thread that
reads every other thread's stack every 20 ms) attributes each stage's time to functions and
packages; the dbt build is profiled by its per-node timings from ``run_results.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

OUT = BENCH / "out"
RESULTS = BENCH / "results"
AS_OF = date(2026, 11, 28)
SEED = 7
TIMEZONE = "Europe/London"
BACKFILL_MONTH = date(2026, 10, 1)  # the last complete month before AS_OF


@dataclass(frozen=True)
class Scale:
    name: str
    employees: int
    months: int
    vendors: int = 8


SCALES = {
    "XS": Scale("XS", employees=120, months=3),  # the smoke test's reduced mode
    "S": Scale("S", employees=2_000, months=12),
    "M": Scale("M", employees=20_000, months=24),
    "L": Scale("L", employees=100_000, months=12),
}

TARGETS = {  # figure → (comparison, bound, what the issue asks)
    "full_over_limit": ("<=", 6.0, "full run ≤ 6× the bare-DuckDB limit at L for this step (the goal stays 3×)"),
    "validation_share": ("<=", 0.25, "validation ≤ 25% of the full run"),
    "incremental_over_full": ("<=", 0.10, "incremental night ≤ 10% of the full run (at L)"),
    "noop_over_full": ("<=", 0.05, "a night with no new files ≤ 5% of the full run (at M and L)"),
    "peak_rss_mib": ("<=", 2048, "peak RSS ≤ 2 GiB (at L)"),
    "ours_over_dlt": (">=", 2.0, "extract+land ≥ 2× dlt's Arrow path"),
    "ours_over_duckdb": (">=", 1 / 3, "extract+land within 3× of DuckDB read_json"),
    "growth_exponent_m_to_l": ("<=", 1.0, "M → L wall time grows no faster than data volume"),
    "incremental_growth_exponent_m_to_l": ("<=", 0.3, "M → L incremental night cost follows the day, not history"),
}


# ---------------------------------------------------------------------------------------------
# data: generation (cached), working copies, the incremental night's and the backfill's files


def generator_digest() -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((REPO / "demo").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_generated(scale: Scale, log: Callable[[str], None], reuse: bool = False) -> tuple[Path, float | None]:
    """The scale's generated demo, reused while the generator and parameters are unchanged (or,
    with ``reuse``, while the parameters are)."""
    from demo import generate

    target = OUT / scale.name / "generated"
    key = {
        "employees": scale.employees,
        "months": scale.months,
        "vendors": scale.vendors,
        "seed": SEED,
        "as_of": AS_OF.isoformat(),
        "generator": generator_digest(),
    }
    marker = target / "bench_key.json"
    if marker.exists():
        cached = json.loads(marker.read_text())
        if cached == key or (reuse and {**cached, "generator": key["generator"]} == key):
            return target, None
    log(f"generating {scale.name}: {scale.employees} employees × {scale.months} months (not measured)")
    marker.unlink(missing_ok=True)
    started = time.perf_counter()
    generate(target, as_of=AS_OF, seed=SEED, employees=scale.employees, months=scale.months, vendors=scale.vendors)
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps(key, indent=2))
    return target, seconds


def fresh_work(scale: Scale, generated: Path) -> Path:
    """A working copy of the generated demo (hard links: instant, and the cache stays untouched
    because files are only ever added or replaced, never written in place)."""
    from pipeline.demo_config import write_demo_config

    work = OUT / scale.name / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copytree(generated, work / "demo", copy_function=os.link)
    (work / "demo" / "bench_key.json").unlink(missing_ok=True)
    write_demo_config(work / "demo", home=work / "home")
    return work


def data_volume(demo: Path) -> dict[str, Any]:
    truth = json.loads((demo / "ground_truth.json").read_text())
    counts = truth["counts"]
    drops = demo / "drops"
    raw_rows = sum(
        counts.get(key, 0)
        for key in (
            "hris_rows", "sessions", "bookings", "xapi_statements", "lms_records",
            "invoices_csv_rows", "invoices_xml_lines",
        )
    )  # fmt: skip
    size = sum(path.stat().st_size for path in drops.rglob("*") if path.is_file())
    return {"raw_rows": raw_rows, "drop_bytes": size, "counts": counts}


# The incremental night's new day has the same size at every scale (taken from the last days of
# history, latest first): its cost should follow the day, and `incremental_growth_exponent_m_to_l`
# compares it with the growth of history only when the day does not grow with the scale.
DAY_STATEMENTS = 2_000
DAY_BOOKING_UPDATES = 200


def _latest_first(candidates: dict[str, list[str]], limit: int) -> list[tuple[str, str]]:
    """Up to ``limit`` (day, line) pairs from ``candidates`` (day → lines), latest day first."""
    picked: list[tuple[str, str]] = []
    for day in sorted(candidates, reverse=True):
        picked += [(day, line) for line in candidates[day][: limit - len(picked)]]
        if len(picked) >= limit:
            break
    return picked


def drop_new_day(demo: Path, as_of: date) -> dict[str, int]:
    """One day of new data for the night of ``as_of + 1``: ``DAY_STATEMENTS`` xAPI statements and
    ``DAY_BOOKING_UPDATES`` booking updates of the month's last days (latest first) delivered again
    as new files for ``as_of``, with new statement ids and their day moved to ``as_of`` (new data,
    not a replay)."""
    new_day = as_of.isoformat()
    days = [(as_of - timedelta(days=back)).isoformat() for back in range(1, as_of.day)]
    month_file = demo / "drops" / "xapi" / f"statements_{as_of:%Y-%m}.jsonl"
    by_day: dict[str, list[str]] = {day: [] for day in days}
    with open(month_file, encoding="utf-8") as handle:
        for line in handle:
            day = next((day for day in days if f'"timestamp":"{day}' in line), None)
            if day is not None:
                by_day[day].append(line)
    statements = []
    for old_day, line in _latest_first(by_day, DAY_STATEMENTS):
        try:
            stmt = json.loads(line)
        except json.JSONDecodeError:
            continue
        stmt["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"trainops-bench/{stmt['id']}"))
        for key in ("timestamp", "stored"):
            if isinstance(stmt.get(key), str):
                stmt[key] = stmt[key].replace(old_day, new_day, 1)
        statements.append(json.dumps(stmt, ensure_ascii=False, separators=(",", ":")))
    (demo / "drops" / "xapi" / f"statements_{new_day}.jsonl").write_text(
        "".join(text + "\n" for text in statements), encoding="utf-8"
    )
    bookings_file = demo / "drops" / "bookings" / f"bookings_{as_of:%Y-%m}.csv"
    lines = bookings_file.read_text(encoding="utf-8").splitlines()
    rows = {day: [line for line in lines[1:] if f",{day}T" in line] for day in days}
    updates = [line.replace(old_day, new_day) for old_day, line in _latest_first(rows, DAY_BOOKING_UPDATES)]
    (demo / "drops" / "bookings" / f"bookings_{new_day}.csv").write_text(
        "\n".join([lines[0], *updates]) + "\n", encoding="utf-8"
    )
    return {"xapi_statements": len(statements), "booking_updates": len(updates)}


def redeliver_month(demo: Path, month: date) -> dict[str, int]:
    """A "source fix" for one month: its xAPI, sessions, bookings and CSV-invoice files delivered
    again (same content plus a trailing newline, so every fingerprint changes and the whole month
    is landed again). Files are replaced, never written in place (they are hard links)."""
    tag = f"{month:%Y-%m}"
    files = [
        *(demo / "drops" / "xapi").glob(f"statements_{tag}.jsonl"),
        *(demo / "drops" / "sessions").glob(f"sessions_{tag}.csv"),
        *(demo / "drops" / "bookings").glob(f"bookings_{tag}.csv"),
        *(demo / "drops" / "invoices_csv").glob(f"*_{tag}.csv"),
    ]
    rows = 0
    for path in files:
        data = path.read_bytes()
        rows += data.count(b"\n")
        path.unlink()
        path.write_bytes(data + b"\n")
    return {"files": len(files), "lines": rows}


def peer_files(work: Path, months: int | None = None) -> Path:
    """The monthly xAPI JSON Lines files (the last ``months`` of them, default all) as a directory
    of their own (hard links): what every extract comparison reads (ours, DuckDB's, dlt's)."""
    folder = work / "xapi_jsonl"
    folder.mkdir(exist_ok=True)
    files = sorted((work / "demo" / "drops" / "xapi").glob("statements_????-??.jsonl"))
    for path in files[-months:] if months else files:
        os.link(path, folder / path.name)
    return folder


# ---------------------------------------------------------------------------------------------
# measuring: the process-tree memory sampler (parent) and the stack sampler (child)


class TreeMemory:
    """Peak resident memory of a process and all its descendants, sampled every ``interval``
    (psutil from the bench group; without it, Linux's /proc)."""

    def __init__(self, pid: int, interval: float = 0.1, label: Callable[[], str] | None = None) -> None:
        self._pid = pid
        self._interval = interval
        self._label = label
        self.peak_bytes = 0
        self.peaks: dict[str, int] = {}  # label (e.g. the running stage) → peak bytes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        sample = self._psutil_sampler() or self._proc_sampler()
        while not self._stop.is_set():
            value = sample()
            self.peak_bytes = max(self.peak_bytes, value)
            if self._label is not None:
                label = self._label()
                self.peaks[label] = max(self.peaks.get(label, 0), value)
            self._stop.wait(self._interval)

    def _psutil_sampler(self) -> Callable[[], int] | None:
        try:
            import psutil
        except ImportError:
            return None
        root = psutil.Process(self._pid)

        def sample() -> int:
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                return 0
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            return total

        return sample

    def _proc_sampler(self) -> Callable[[], int]:
        page = os.sysconf("SC_PAGE_SIZE")

        def sample() -> int:
            parents: dict[int, int] = {}
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    with contextlib.suppress(OSError, IndexError, ValueError):
                        stat = (entry / "stat").read_text()
                        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            tree, frontier = {self._pid}, [self._pid]
            while frontier:
                parent = frontier.pop()
                children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
                tree.update(children)
                frontier.extend(children)
            total = 0
            for pid in tree:
                with contextlib.suppress(OSError, IndexError, ValueError):
                    total += int((Path("/proc") / str(pid) / "statm").read_text().split()[1]) * page
            return total

        return sample


def _label(label: Callable[..., str] | None, stage: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """A call's label for the timings; a wrapper must never break the call it measures."""
    try:
        return label(*args, **kwargs) if label else stage
    except Exception:
        return stage


class StageTimer:
    """Wraps the step functions the nightly flow calls, timing each call and naming the thread's
    current stage for the stack sampler."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.active: dict[int, str] = {}
        self._lock = threading.Lock()

    def wrap(self, module: Any, name: str, stage: str, label: Callable[..., str] | None = None) -> None:
        original = getattr(module, name)
        timer = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            ident = threading.get_ident()
            timer.active[ident] = stage
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                finished = time.perf_counter()
                timer.active.pop(ident, None)
                with timer._lock:
                    timer.calls.append(
                        {
                            "stage": stage,
                            "label": _label(label, stage, args, kwargs),
                            "start": started,
                            "end": finished,
                        }
                    )

        timed.__wrapped__ = original  # type: ignore[attr-defined]
        setattr(module, name, timed)

    def install(self) -> None:
        from pipeline import steps
        from warehouse import dbt, duckdb_target

        self.wrap(steps, "extract_source", "extract", label=lambda config, source, *rest, **kw: source.name)
        self.wrap(steps, "validate_pending", "validate")
        self.wrap(dbt, "build_marts", "build")
        self.wrap(duckdb_target, "publish", "publish")

    def stages(self) -> dict[str, float]:
        """Wall time per stage: first start to last end (extract runs sources concurrently)."""
        spans: dict[str, list[float]] = {}
        for call in self.calls:
            span = spans.setdefault(call["stage"], [call["start"], call["end"]])
            span[0], span[1] = min(span[0], call["start"]), max(span[1], call["end"])
        return {stage: round(end - start, 3) for stage, (start, end) in spans.items()}


class StackSampler:
    """A poor man's py-spy: every ``interval`` seconds, read every other thread's Python stack and
    count, per stage, the leaf function (self time) and every repo function and package on the
    stack (inclusive time)."""

    def __init__(self, timer: StageTimer | None = None, interval: float = 0.02) -> None:
        self._timer = timer
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="stack-sampler")
        self.samples: Counter[str] = Counter()
        self.leaf: dict[str, Counter[str]] = {}
        self.inclusive: dict[str, Counter[str]] = {}
        self.packages: dict[str, Counter[str]] = {}

    def start(self) -> StackSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _where(filename: str) -> tuple[str, bool]:
        """(package or repo module, is repo code) of a frame's file."""
        if "site-packages/" in filename:
            return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py"), False
        if filename.startswith(str(REPO)) and "/.venv/" not in filename:
            relative = Path(filename).relative_to(REPO)
            return str(relative.with_suffix("")).replace("/", "."), True
        if filename.startswith("<"):
            return "builtin", False
        return "stdlib:" + Path(filename).stem, False

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(self._interval):
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                stage = (self._timer.active.get(ident) if self._timer else None) or "other"
                if stage == "other" and self._timer is not None:
                    continue  # Prefect's own threads, idle workers
                leaf = frame
                seen_functions: set[str] = set()
                seen_packages: set[str] = set()
                depth = 0
                while frame is not None and depth < 200:
                    code = frame.f_code
                    where, is_repo = self._where(code.co_filename)
                    if is_repo:
                        seen_functions.add(f"{where}.{code.co_name}")
                    seen_packages.add(where)
                    frame = frame.f_back
                    depth += 1
                where, _ = self._where(leaf.f_code.co_filename)
                if leaf.f_code.co_name in ("wait", "_wait_for_tstate_lock", "select", "poll") and stage == "other":
                    continue
                self.samples[stage] += 1
                self.leaf.setdefault(stage, Counter())[f"{where}.{leaf.f_code.co_name}"] += 1
                self.inclusive.setdefault(stage, Counter()).update(seen_functions)
                self.packages.setdefault(stage, Counter()).update(seen_packages)

    def report(self, top: int = 8) -> dict[str, Any]:
        def shares(counter: Counter[str], total: int, inclusive: bool = False) -> list[list[Any]]:
            # inclusive: frames on (nearly) every sample are the call path into the stage, left out
            common = [(name, n) for name, n in counter.most_common() if not inclusive or n < 0.98 * total]
            return [[name, round(count / total, 3)] for name, count in common[:top]]

        return {
            stage: {
                "samples": total,
                "self": shares(self.leaf.get(stage, Counter()), total),
                "inclusive_repo": shares(self.inclusive.get(stage, Counter()), total, inclusive=True),
                "inclusive_packages": shares(self.packages.get(stage, Counter()), total, inclusive=True),
            }
            for stage, total in self.samples.items()
            if total
        }


def dbt_node_profile(config: Any, run_id: str, top: int = 8) -> dict[str, Any]:
    """Where the dbt build's time went: node time by resource type, dbt's own elapsed time (the rest
    of the stage is process start-up and project parsing), and the slowest nodes."""
    path = config.warehouse / "dbt" / run_id / "run_results.json"
    if not path.exists():
        return {}
    document = json.loads(path.read_text())
    results = document["results"]
    by_type: dict[str, list[float]] = {}
    for result in results:
        kind = result["unique_id"].split(".", 1)[0]
        entry = by_type.setdefault(kind, [0, 0.0])
        entry[0] += 1
        entry[1] += result.get("execution_time") or 0
    slowest = sorted(results, key=lambda result: result.get("execution_time") or 0, reverse=True)[:top]
    return {
        "elapsed_s": round(document.get("elapsed_time") or 0, 2),
        "node_seconds_by_type": {kind: {"nodes": n, "seconds": round(t, 2)} for kind, (n, t) in by_type.items()},
        "slowest": [[result["unique_id"], round(result.get("execution_time") or 0, 2)] for result in slowest],
    }


# ---------------------------------------------------------------------------------------------
# phases (each in its own process; ``--phase NAME`` runs one and writes its result as JSON)


def _nightly(work: Path, as_of: date, engine: str, cli_argv: list[str] | None = None) -> dict[str, Any]:
    """One night (``nightly_sync``), or with ``cli_argv`` one ``trainops`` command (the backfill),
    timed with the Prefect server warm and the heavy libraries imported."""
    import flows  # noqa: F401  (telemetry off before Prefect is imported)
    from pipeline.config import load_config

    config_path = work / "demo" / "trainops.yaml"
    config = load_config(config_path)
    warm_imports()
    timer = StageTimer()
    timer.install()
    memory = TreeMemory(os.getpid(), label=lambda: "+".join(sorted(set(timer.active.values()))) or "between")
    memory.__enter__()
    if engine == "prefect" or cli_argv is not None:
        from prefect import flow

        from flows import nightly
        from pipeline.lifecycle import RunFailed

        @flow(name="bench-warm-up")
        def warm_up() -> int:
            return 1

        warm_up()  # starts the ephemeral Prefect server: not part of a night's work
        sampler = StackSampler(timer).start()
        started = time.perf_counter()
        if cli_argv is not None:
            from flows import cli
            from pipeline import lifecycle

            code = cli.main(cli_argv)
            seconds = time.perf_counter() - started
            records = lifecycle.read_run_records(config.home, limit=1)
            record = dict(records[0]) if records else {}
            record["status"] = "success" if code == 0 else f"exit {code}: {record.get('status')}"
        else:
            try:
                record = nightly.nightly_sync(as_of=as_of, config_path=str(config_path))
            except RunFailed as exc:
                record = exc.record
            seconds = time.perf_counter() - started
    else:
        sampler = StackSampler(timer).start()
        started = time.perf_counter()
        record = run_steps(config, as_of)
        seconds = time.perf_counter() - started
    sampler.stop()
    memory.__exit__()
    sources = {
        source["source"]: {
            "kind": source["kind"],
            "rows": sum(source["rows"].values()),
            "seconds": round(source["seconds"], 3),
            "rows_per_s": round(sum(source["rows"].values()) / source["seconds"]) if source["seconds"] else None,
            "files": source["files"],
        }
        for source in record.get("sources", [])
    }
    build = record.get("build") or {}
    run_id = str(build.get("build_db", "")).rsplit("build-", 1)[-1].removesuffix(".duckdb")
    return {
        "engine": engine,
        "status": record.get("status"),
        "error": record.get("error"),
        "seconds": round(seconds, 3),
        "stages": timer.stages(),
        "peak_rss_mib_by_stage": {label: round(peak / 2**20) for label, peak in sorted(memory.peaks.items())},
        "sources": sources,
        "validation": {k: v for k, v in (record.get("validation") or {}).items() if k != "critical"},
        "build_counts": build.get("counts"),
        "build_s": build.get("seconds"),
        "night": record.get("night"),
        "figures": record.get("figures"),
        "profile": sampler.report(),
        "dbt": dbt_node_profile(config, run_id) if run_id else {},
    }


def phase_startup(work: Path) -> dict[str, Any]:
    """What ``trainops run`` costs before any work, in a fresh process: until its first progress
    line (config loaded, paths and credentials checked: ``flows/commands.py`` ``cmd_run``), then importing
    the flows (Prefect and the libraries), then starting Prefect's ephemeral server (skipped when
    ``PREFECT_API_URL`` names a running one, which the night then reuses)."""
    started = time.perf_counter()
    from flows import load_run_config
    from pipeline import preflight

    config = load_run_config(work / "demo" / "trainops.yaml")
    preflight.raise_problems(preflight.check(config))
    first_line_s = time.perf_counter() - started
    import flows.nightly  # noqa: F401

    imported_s = time.perf_counter() - started
    server_s = None
    if not os.environ.get("PREFECT_API_URL"):
        from prefect.server.api.server import SubprocessASGIServer

        mark = time.perf_counter()
        SubprocessASGIServer().start()
        server_s = round(time.perf_counter() - mark, 3)
    return {
        "status": "success",
        "seconds": round(time.perf_counter() - started, 3),
        "first_progress_line_s": round(first_line_s, 3),
        "prefect_import_s": round(imported_s - first_line_s, 3),
        "ephemeral_server_s": server_s,
    }


def warm_imports() -> None:
    """Import the heavy libraries before the clock starts. This machine's venv has no compiled
    bytecode (PYTHONDONTWRITEBYTECODE), so a cold import of Great Expectations + pandas costs
    10-20 s: a start-up cost of the process, not work that grows with the data. The dbt
    subprocess cannot be warmed and pays its own start-up inside the build stage."""
    import duckdb  # noqa: F401
    import great_expectations  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401


def run_steps(config: Any, as_of: date) -> dict[str, Any]:
    """The nightly flow's steps as plain functions (``--engine steps``): sources extracted
    concurrently as the flow does, then validate, build, publish. No Prefect server."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import asdict

    from pipeline import lifecycle, steps
    from reports import summary
    from warehouse import dbt, duckdb_target

    run_id = lifecycle.new_run_id()
    record: dict[str, Any] = {"run_id": run_id, "as_of": as_of.isoformat(), "status": "running"}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(steps.extract_source, config, source) for source in config.sources]
        record["sources"] = [asdict(future.result()) for future in futures]
    validation = steps.validate_pending(config)
    record["validation"] = asdict(validation) | {"results": len(validation.results)}
    if validation.critical:
        return record | {"status": "failed", "error": validation.critical[0]}
    build = dbt.build_marts(config, as_of, run_id)
    record["build"] = asdict(build)
    if not build.success:
        return record | {"status": "failed", "error": "; ".join(build.failures[:3])}
    published = duckdb_target.publish(config, build.build_db, run_id)
    record["published"] = asdict(published)
    record["figures"] = summary.headline_figures(published.marts_db)
    return record | {"status": "success"}


def phase_backfill(work: Path, as_of: date, engine: str) -> dict[str, Any]:
    """``trainops backfill`` of the re-delivered month when the CLI has the command, else the
    fallback: a nightly run that lands the re-delivered files with everything else."""
    from flows import cli

    start = BACKFILL_MONTH
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    choices = next((action.choices for action in cli.build_parser()._actions if getattr(action, "choices", None)), {})
    if "backfill" in (choices or {}):
        argv = [
            "backfill", "--start", start.isoformat(), "--end", end.isoformat(), "--as-of", as_of.isoformat(),
            "--config", str(work / "demo" / "trainops.yaml"),
        ]  # fmt: skip
        result = _nightly(work, as_of, engine, cli_argv=argv)
        result["method"] = f"trainops {' '.join(argv[:7])} after {start:%Y-%m} was re-delivered (a source fix)"
        return result
    result = _nightly(work, as_of, engine)
    result["method"] = (
        f"fallback (no `trainops backfill` yet): {start:%Y-%m} re-delivered after a source fix "
        "(xAPI, sessions, bookings, CSV invoices), then a nightly run that re-lands, re-validates and rebuilds"
    )
    return result


def phase_xapi_extract(work: Path) -> dict[str, Any]:
    """Our extract+land of the xAPI JSON Lines, alone: parse, map, write the landing load."""
    import flows  # noqa: F401
    from pipeline import steps
    from pipeline.config import load_config

    home = work / "xapi_home"
    shutil.rmtree(home, ignore_errors=True)
    config_path = work / "xapi_only.yaml"
    config_path.write_text(
        f"home: {home}\nreference_dir: {work / 'demo' / 'reference'}\ntimezone: {TIMEZONE}\n"
        f"sources:\n  - {{name: lrs_export, kind: xapi_files, path: {work / 'xapi_jsonl'}}}\n"
    )
    config = load_config(config_path)
    warm_imports()
    from connectors import landing, registry  # noqa: F401

    # No stack sampler here (the full run has one): it takes the GIL 50 times a second, which
    # costs a thread that calls into Arrow thousands of times a second 7-20 % of its wall time, and
    # the peers it is compared with run without it. The cProfile of one file below is the profile.
    started = time.perf_counter()
    summary = steps.extract_source(config, config.sources[0])
    seconds = time.perf_counter() - started
    rows = sum(summary.rows.values()) + summary.rejects
    largest = max((work / "xapi_jsonl").glob("*.jsonl"), key=lambda path: path.stat().st_size)
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds),
        "loads": len(summary.loads),
        "cprofile_one_file": profile_one_file(largest),
    }


def profile_one_file(path: Path, top: int = 12) -> dict[str, Any]:
    """cProfile of parse + landing table + Parquet write for one xAPI file (deterministic, unlike
    the sampler, whose samples lean towards the points where a thread releases the GIL)."""
    import cProfile
    import io
    import pstats

    import pyarrow as pa
    import pyarrow.parquet as pq

    from connectors import landing
    from connectors.base import ParseContext
    from connectors.registry import PARSERS

    entity = "lms.learning_record"
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    result = PARSERS["xapi_files"].parse(path, ParseContext(source_name="bench"))
    sink = io.BytesIO()
    if hasattr(landing, "landed_tables"):  # records as Arrow tables (the columnar path), as write_load lands them
        tables = list(landing.landed_tables(result, entity, "L", "bench"))
        table = pa.concat_tables(tables) if tables else landing.records_table(entity, [], "L", "bench")
    else:  # a snapshot from before the columnar path: records are dicts
        table = landing.records_table(entity, result.records.get(entity, []), "L", "bench")
    pq.write_table(table, sink, compression="zstd")
    profiler.disable()
    seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values())  # type: ignore[attr-defined]
    rows = []
    for (filename, _line, function), (_calls, _primitive, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where, _ = StackSampler._where(filename)
        rows.append([f"{where}.{function}", round(tottime / total, 3), round(cumtime / total, 3)])
    return {
        "file": path.name,
        "rows": result.raw_rows,
        "seconds_under_profiler": round(seconds, 3),
        "by_self_time": sorted(rows, key=lambda row: row[1], reverse=True)[:top],
        "by_cumulative_time": sorted(rows, key=lambda row: row[2], reverse=True)[:top],
    }


XAPI_COLUMNS = {
    "id": "VARCHAR",
    "actor": "STRUCT(objectType VARCHAR, name VARCHAR, mbox VARCHAR, mbox_sha1sum VARCHAR, "
    "account STRUCT(homePage VARCHAR, name VARCHAR))",
    "verb": "STRUCT(id VARCHAR)",
    "object": "STRUCT(objectType VARCHAR, id VARCHAR)",
    "result": "STRUCT(score STRUCT(scaled DOUBLE), success BOOLEAN, completion BOOLEAN, duration VARCHAR)",
    "context": "STRUCT(registration VARCHAR, platform VARCHAR)",
    "timestamp": "VARCHAR",
    "stored": "VARCHAR",
}


def arrow_xapi_schema() -> Any:
    """XAPI_COLUMNS as an Arrow schema (verb.display, a map, stays out: pyarrow.json has no maps)."""
    import pyarrow as pa

    text = pa.string()
    return pa.schema(
        [
            ("id", text),
            (
                "actor",
                pa.struct(
                    [
                        ("objectType", text),
                        ("name", text),
                        ("mbox", text),
                        ("mbox_sha1sum", text),
                        ("account", pa.struct([("homePage", text), ("name", text)])),
                    ]
                ),
            ),
            ("verb", pa.struct([("id", text)])),
            ("object", pa.struct([("objectType", text), ("id", text)])),
            (
                "result",
                pa.struct(
                    [
                        ("score", pa.struct([("scaled", pa.float64())])),
                        ("success", pa.bool_()),
                        ("completion", pa.bool_()),
                        ("duration", text),
                    ]
                ),
            ),
            ("context", pa.struct([("registration", text), ("platform", text)])),
            ("timestamp", text),
            ("stored", text),
        ]
    )


def phase_duckdb_read_json(work: Path) -> dict[str, Any]:
    """DuckDB's own ``read_json`` with an explicit schema, written to Parquet: the extract floor."""
    import duckdb

    files = sorted(str(path) for path in (work / "xapi_jsonl").glob("*.jsonl"))
    target = work / "duckdb_read_json.parquet"
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in XAPI_COLUMNS.items()) + "}"
    started = time.perf_counter()
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from read_json({files!r}, format = 'newline_delimited', ignore_errors = true, "
            f"columns = {columns})) to '{target}' (format parquet, compression zstd)"
        )
        rows = con.execute(f"select count(*) from read_parquet('{target}')").fetchone()[0]  # type: ignore[index]
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}


def phase_dlt(work: Path, mode: str, max_rows: int | None) -> dict[str, Any]:
    """dlt loading the same files into DuckDB: ``arrow`` yields one pyarrow table per file (its
    fastest documented path), ``dict`` yields one dict per statement (its default path)."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ["DLT_DATA_DIR"] = str(work / f"dlt_{mode}" / "data")
    import io

    import dlt
    import pyarrow.json as pa_json

    files = sorted((work / "xapi_jsonl").glob("*.jsonl"))
    counted = {"rows": 0}

    @dlt.resource(name="statements", write_disposition="append")
    def as_dicts() -> Any:
        for path in files:
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    if max_rows is not None and counted["rows"] >= max_rows:
                        return
                    try:
                        statement = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # the planted broken line
                    counted["rows"] += 1
                    yield statement

    # The same explicit schema DuckDB gets (inferred per file, the schemas of two months differ
    # and dlt refuses the second table).
    options = pa_json.ParseOptions(explicit_schema=arrow_xapi_schema(), unexpected_field_behavior="ignore")

    @dlt.resource(name="statements", write_disposition="append")
    def as_arrow() -> Any:
        for path in files:
            try:
                table = pa_json.read_json(path, parse_options=options)
            except Exception:  # the file with the planted broken line: keep the lines that parse
                good = []
                for line in path.read_bytes().splitlines():
                    try:
                        json.loads(line)
                    except ValueError:
                        continue
                    good.append(line)
                table = pa_json.read_json(io.BytesIO(b"\n".join(good)), parse_options=options)
            counted["rows"] += table.num_rows
            yield table

    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{mode}",
        destination=dlt.destinations.duckdb(str(work / f"dlt_{mode}.duckdb")),
        dataset_name="xapi",
        pipelines_dir=str(work / f"dlt_{mode}" / "pipelines"),
    )
    started = time.perf_counter()
    info = pipeline.run(as_arrow() if mode == "arrow" else as_dicts())
    seconds = time.perf_counter() - started
    return {
        "mode": mode,
        "rows": counted["rows"],
        "seconds": round(seconds, 3),
        "rows_per_s": round(counted["rows"] / seconds),
        "capped_at": max_rows if mode == "dict" else None,
        "loads_failed": bool(info.has_failed_jobs),
    }


def phase_limit(work: Path) -> dict[str, Any]:
    from limit import run_limit, warm_up

    warm_up()
    return run_limit(work / "demo", AS_OF, timezone=TIMEZONE, scratch=work / "limit")


def run_child_phase(args: argparse.Namespace) -> int:
    work = Path(args.work)
    as_of = date.fromisoformat(args.as_of)
    try:
        if args.phase == "limit":
            result = phase_limit(work)
        elif args.phase in ("full", "noop", "incremental"):
            result = _nightly(work, as_of, args.engine)
        elif args.phase == "startup":
            result = phase_startup(work)
        elif args.phase == "backfill":
            result = phase_backfill(work, as_of, args.engine)
        elif args.phase == "xapi_extract":
            result = phase_xapi_extract(work)
        elif args.phase == "duckdb_read_json":
            result = phase_duckdb_read_json(work)
        elif args.phase in ("dlt_arrow", "dlt_dict"):
            try:
                import dlt  # noqa: F401
            except ImportError:
                result = {"status": "skipped", "note": "dlt is not installed (uv sync --group bench)"}
            else:
                result = phase_dlt(work, args.phase.removeprefix("dlt_"), args.dlt_dict_max)
        else:
            raise SystemExit(f"unknown phase {args.phase}")
    except Exception as exc:
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    Path(args.result).write_text(json.dumps(result, indent=2, default=str))
    return 0


# ---------------------------------------------------------------------------------------------
# the parent: run the phases, compute the figures, write the results


def run_phase(
    name: str, work: Path, as_of: date, args: argparse.Namespace, log: Callable[[str], None]
) -> dict[str, Any]:
    result_path = work / f"phase-{name}.json"
    result_path.unlink(missing_ok=True)
    command = [
        sys.executable, str(Path(__file__).resolve()), "--phase", name.split("#")[0], "--work", str(work),
        "--as-of", as_of.isoformat(), "--result", str(result_path), "--engine", args.engine,
        "--dlt-dict-max", str(args.dlt_dict_max), "--out-dir", str(OUT),
    ]  # fmt: skip
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(work / "prefect"),
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="90",
        PYTHONUNBUFFERED="1",
    )
    log(f"  {name} …")
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before = cpu_ticks()
    started = time.perf_counter()
    with open(work / f"phase-{name}.log", "w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=REPO)
        with TreeMemory(process.pid) as memory:
            process.wait()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_after = cpu_ticks()
    result = json.loads(result_path.read_text()) if result_path.exists() else {"status": "no result"}
    result["process_wall_s"] = round(wall, 3)
    result["peak_rss_mib"] = round(memory.peak_bytes / 2**20, 1)
    # Contention: the share of the machine's CPU time this phase's processes used, and how busy
    # the whole machine was meanwhile (other users of a shared machine show as the difference).
    cores = os.cpu_count() or 1
    ours = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["cpu"] = {
        "ours_cpu_s": round(ours, 1),
        "ours_share_of_machine": round(ours / (wall * cores), 3),
        "machine_busy_share": round(busy_share(busy_before, busy_after), 3),
    }
    shown = result.get("seconds")
    log(
        f"  {name}: {shown if shown is not None else '—'} s measured, {wall:.1f} s process, "
        f"peak RSS {result['peak_rss_mib']:.0f} MiB, CPU ours {result['cpu']['ours_share_of_machine']:.0%} "
        f"/ machine {result['cpu']['machine_busy_share']:.0%}"
        + (f"  [{result.get('status')}: {str(result.get('error'))[:200]}]" if result.get("error") else "")
    )
    return result


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far, from /proc/stat (0, 0 elsewhere)."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def marts_check(work: Path) -> dict[str, Any]:
    """The published marts' figures in the limit's terms, to show both compute the same thing."""
    import duckdb

    marts = work / "home" / "warehouse" / "marts.duckdb"
    if not marts.exists():
        return {}
    with duckdb.connect(str(marts), read_only=True) as con:
        status = dict(con.execute("select status, count(*) from fct_compliance_status group by all").fetchall())
        util = con.execute(
            "select count(*), sum(capacity) filter (where status = 'delivered'), "
            "sum(booked) filter (where status = 'delivered'), sum(attended) filter (where status = 'delivered'), "
            "sum(no_show) filter (where status = 'delivered') from fct_session_utilization"
        ).fetchone()
        billing = con.execute(
            "select count(*), cast(sum(billed_amount) as decimal(20, 2)) from fct_invoice_line_reconciliation"
        ).fetchone()
    assert util is not None and billing is not None
    return {
        "compliance_rows": sum(status.values()),
        **{name: status.get(name, 0) for name in ("compliant", "overdue", "due_soon", "not_yet_due", "exempt")},
        "sessions": util[0],
        "delivered_capacity": util[1],
        "delivered_booked": util[2],
        "delivered_attended": util[3],
        "delivered_no_show": util[4],
        "invoice_lines": billing[0],
        "billed": str(billing[1]),
    }


COMMIT_LABEL: str | None = None  # set by --commit-label (a snapshot run has no .git)
OWNED = ("benchmarks/run.py", "benchmarks/limit.py", "benchmarks/limit.sql")


def git_commit() -> str:
    if COMMIT_LABEL:
        return COMMIT_LABEL
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, Any]:
    try:
        import psutil

        memory = psutil.virtual_memory().total
    except ImportError:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    model = ""
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor()
    return {
        "cpu": model,
        "memory_gib": round(memory / 2**30, 1),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def ratio(numerator: float | None, denominator: float | None, digits: int = 3) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, digits)


def target_status(figures: dict[str, Any]) -> dict[str, Any]:
    status = {}
    for name, (comparison, bound, text) in TARGETS.items():
        value = figures.get(name)
        met = None if value is None else (value <= bound if comparison == "<=" else value >= bound)
        status[name] = {"target": f"{comparison} {round(bound, 3)}", "met": met, "what": text}
    return status


def growth_exponent(
    scale: Scale, full_s: float | None, incremental_s: float | None, volume: dict[str, Any], results_dir: Path
) -> dict[str, Any] | None:
    """M → L: log(wall_L / wall_M) / log(volume_L / volume_M) from results/M.json (1.0 = linear)."""
    if scale.name != "L" or not full_s:
        return None
    previous = results_dir / "M.json"
    if not previous.exists():
        return None
    m = json.loads(previous.read_text())
    m_full, m_volume = m["figures"].get("full_run_s"), m.get("data", {})
    if not m_full or not m_volume.get("raw_rows"):
        return None
    rows = math.log(volume["raw_rows"] / m_volume["raw_rows"])
    size = math.log(volume["drop_bytes"] / m_volume["drop_bytes"])
    time_growth = math.log(full_s / m_full)
    m_incremental = m["figures"].get("incremental_s")
    incremental_growth = math.log(incremental_s / m_incremental) if incremental_s and m_incremental else None
    return {
        "by_rows": round(time_growth / rows, 3) if rows else None,
        "by_bytes": round(time_growth / size, 3) if size else None,
        # the incremental night's cost growth over the growth of history (0 = it follows the day only)
        "incremental_by_rows": round(incremental_growth / rows, 3) if rows and incremental_growth is not None else None,
        "m_full_run_s": m_full,
        "m_incremental_s": m_incremental,
        "m_commit": m.get("commit"),
    }


def run_scale(args: argparse.Namespace, save: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Run every phase of one scale; ``save`` gets the results so far after each phase (a long run
    that is stopped still leaves its figures) and the complete results at the end."""
    scale = SCALES[args.scale]
    skip = set(args.skip or [])

    def log(message: str) -> None:
        print(message, flush=True)

    started = time.perf_counter()
    generated, generation_s = ensure_generated(scale, log, reuse=args.reuse_data)
    work = fresh_work(scale, generated)
    demo = work / "demo"
    volume = data_volume(demo)
    log(
        f"scale {scale.name}: {volume['raw_rows']:,} raw rows, {volume['drop_bytes'] / 2**20:,.0f} MiB of drops "
        f"(generation {'cached' if generation_s is None else f'{generation_s:.0f} s'}); work in {work}"
    )
    phases: dict[str, Any] = {}
    check: dict[str, Any] = {}
    carried: dict[str, Any] | None = None

    def phase(name: str, as_of: date = AS_OF) -> dict[str, Any]:
        phases[name] = run_phase(name, work, as_of, args, log)
        save(assemble(scale, args, phases, check, volume, generation_s, started, complete=False, carried=carried))
        return phases[name]

    if getattr(args, "extract_only", False):
        previous_path = args.results_dir / f"{scale.name}.json"
        previous = json.loads(previous_path.read_text()) if previous_path.exists() else {}
        peers = [name for name in ("xapi_extract", "duckdb_read_json", "dlt_arrow", "dlt_dict") if name not in skip]
        kept = {name: value for name, value in previous.get("phases", {}).items() if name not in peers}
        if kept:
            phases.update(kept)
            check.update(previous.get("limit_check", {}).get("marts", {}))
            earlier = previous.get("carried_over") or {}
            carried = {
                "phases": sorted(kept),
                "commit": earlier.get("commit", previous.get("commit")),
                "measured_at": earlier.get("measured_at", previous.get("measured_at")),
            }
        peer_files(work, args.peer_months)
        for name in peers:
            phase(name)
        result = assemble(scale, args, phases, check, volume, generation_s, started, complete=True, carried=carried)
        save(result)
        return result

    if "limit" not in skip:
        phase("limit")
    phase("full")
    check.update(marts_check(work))
    if "limit" not in skip:
        phase("limit#2")
    if "noop" not in skip:  # no new files, as-of + 1 day: the as-of models only
        phase("noop", AS_OF + timedelta(days=1))
    if "incremental" not in skip:
        new_day = drop_new_day(demo, AS_OF)
        phase("incremental", AS_OF + timedelta(days=1))["new_data"] = new_day
    if "startup" not in skip:
        phase("startup")
    peer_files(work, args.peer_months)
    for name in ("xapi_extract", "duckdb_read_json", "dlt_arrow", "dlt_dict"):
        if name not in skip:
            phase(name)
    if "backfill" not in skip:  # last: the longest phase with the least to say at large scales
        redelivered = redeliver_month(demo, BACKFILL_MONTH)
        phase("backfill", AS_OF + timedelta(days=1))["redelivered"] = redelivered
    result = assemble(scale, args, phases, check, volume, generation_s, started, complete=True)
    save(result)
    return result


def headline_figures(phases: dict[str, Any]) -> dict[str, Any]:
    """The results' headline figures (seconds, ratios, rows per second, peak memory) from the phases."""
    full = phases.get("full", {})
    limits = [phases[key]["seconds"] for key in ("limit", "limit#2") if phases.get(key, {}).get("seconds")]
    limit_s = min(limits) if limits else None
    full_s = full.get("seconds") if full.get("status") == "success" else None
    stages = full.get("stages", {})
    incremental = phases.get("incremental", {})
    noop = phases.get("noop", {})
    startup = phases.get("startup", {})
    backfill = phases.get("backfill", {})
    ours = phases.get("xapi_extract", {}).get("rows_per_s")
    dlt_arrow = phases.get("dlt_arrow", {}).get("rows_per_s")
    duckdb_floor = phases.get("duckdb_read_json", {}).get("rows_per_s")
    limit_cpu = [phases[key]["cpu"]["ours_cpu_s"] for key in ("limit", "limit#2") if (phases.get(key) or {}).get("cpu")]
    full_cpu = (full.get("cpu") or {}).get("ours_cpu_s")
    nightly_rss = [phases[key]["peak_rss_mib"] for key in ("full", "noop", "incremental", "backfill") if key in phases]
    return {
        "full_run_s": full_s,
        "limit_s": round(limit_s, 3) if limit_s else None,
        "full_over_limit": ratio(full_s, limit_s, 2),
        # the same ratio in CPU seconds of each phase's process tree (start-up included), which a
        # busy shared machine distorts less than wall time
        "full_over_limit_cpu": ratio(full_cpu if full_s else None, min(limit_cpu) if limit_cpu else None, 2),
        "validation_share": ratio(stages.get("validate"), full_s),
        "incremental_s": incremental.get("seconds") if incremental.get("status") == "success" else None,
        "incremental_over_full": ratio(incremental.get("seconds"), full_s)
        if incremental.get("status") == "success"
        else None,
        "noop_s": noop.get("seconds") if noop.get("status") == "success" else None,
        "noop_over_full": ratio(noop.get("seconds"), full_s) if noop.get("status") == "success" else None,
        # the dbt build alone (the part incremental nights shrink), night ÷ full
        "incremental_build_over_full_build": ratio(incremental.get("build_s"), full.get("build_s")),
        "noop_build_over_full_build": ratio(noop.get("build_s"), full.get("build_s")),
        "startup_first_line_s": startup.get("first_progress_line_s"),
        "startup_prefect_import_s": startup.get("prefect_import_s"),
        "startup_ephemeral_server_s": startup.get("ephemeral_server_s"),
        "backfill_month_s": backfill.get("seconds") if backfill.get("status") == "success" else None,
        "peak_rss_mib": max(nightly_rss) if nightly_rss else None,
        "ours_rows_per_s": ours,
        "dlt_rows_per_s": dlt_arrow,
        "ours_over_dlt": ratio(ours, dlt_arrow),
        "dlt_dict_rows_per_s": phases.get("dlt_dict", {}).get("rows_per_s"),
        "duckdb_read_json_rows_per_s": duckdb_floor,
        "ours_over_duckdb": ratio(ours, duckdb_floor),
    }


def assemble(
    scale: Scale,
    args: argparse.Namespace,
    phases: dict[str, Any],
    check: dict[str, Any],
    volume: dict[str, Any],
    generation_s: float | None,
    started: float,
    complete: bool,
    carried: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The results document from the phases run so far (``carried``: phases kept from an earlier
    run, with the commit and time that measured them)."""
    full = phases.get("full", {})
    stages = full.get("stages", {})
    figures = headline_figures(phases)
    full_s = figures["full_run_s"]
    growth = growth_exponent(scale, full_s, figures.get("incremental_s"), volume, args.results_dir)
    if scale.name == "L":
        figures["growth_exponent_m_to_l"] = growth["by_rows"] if growth else None
        figures["incremental_growth_exponent_m_to_l"] = growth["incremental_by_rows"] if growth else None
    limit_figures = (phases.get("limit") or phases.get("limit#2") or {}).get("figures", {})
    return {
        "scale": scale.name,
        "complete": complete,
        "cores": os.cpu_count(),
        "commit": git_commit(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "engine": f"{args.engine}: "
        + (
            "Prefect flow flows.nightly.nightly_sync (server warm), stage times from timers around its step functions"
            if args.engine == "prefect"
            else "plain step functions of pipeline/steps.py, warehouse/dbt.py and warehouse/duckdb_target.py, "
            "sources extracted concurrently"
        ),
        "machine": machine(),
        "parameters": {
            "employees": scale.employees,
            "months": scale.months,
            "vendors": scale.vendors,
            "seed": SEED,
            "as_of": AS_OF.isoformat(),
        },
        "data": volume | {"generation_s": generation_s},
        "peer_comparison_files": f"last {args.peer_months or 'all'} monthly xAPI files",
        "figures": figures,
        "targets": target_status(figures),
        "growth": growth,
        "stages_s": stages,
        "peak_rss_mib_by_stage": full.get("peak_rss_mib_by_stage"),
        "sources": full.get("sources"),
        "limit_check": {
            "limit": limit_figures,
            "marts": check,
            "differences": {
                name: [value, check.get(name)]
                for name, value in limit_figures.items()
                if name in check and str(value) != str(check.get(name))
            },
        },
        "phases": phases,
        "carried_over": carried,
        "total_bench_s": round(time.perf_counter() - started, 1),
    }


def render_table(result: dict[str, Any]) -> str:
    figures, targets = result["figures"], result["targets"]

    show = number

    lines = [
        f"trainops benchmark — scale {result['scale']} ({result['parameters']['employees']:,} employees × "
        f"{result['parameters']['months']} months, {result['data']['raw_rows']:,} raw rows), "
        f"{result['cores']} cores, commit {result['commit']}",
        "",
        f"| {'figure':<28} | {'value':>12} | {'target':>8} | met |",
        f"|{'-' * 30}|{'-' * 14}|{'-' * 10}|-----|",
    ]
    for name, value in figures.items():
        target = targets.get(name)
        met = "" if target is None or target["met"] is None else ("yes" if target["met"] else "NO")
        lines.append(f"| {name:<28} | {show(value):>12} | {target['target'] if target else '':>8} | {met:<3} |")
    lines += ["", "stages of the full run (s): " + ", ".join(f"{k} {v:.1f}" for k, v in result["stages_s"].items())]
    if result.get("peak_rss_mib_by_stage"):
        lines.append(
            "peak RSS by stage of the full run (MiB, process tree): "
            + ", ".join(f"{k} {v:,}" for k, v in result["peak_rss_mib_by_stage"].items())
        )
    if result.get("sources"):
        lines.append(
            "rows/s per source (full run, concurrent): "
            + ", ".join(
                f"{name} {info['rows_per_s']:,}" for name, info in result["sources"].items() if info["rows_per_s"]
            )
        )
    differences = result["limit_check"]["differences"]
    lines.append(
        "limit vs marts: " + ("same figures" if not differences else f"differences {differences}")
        if result["limit_check"]["marts"]
        else "limit vs marts: no published marts to compare"
    )
    return "\n".join(lines)


def reassemble(args: argparse.Namespace) -> int:
    """Recompute figures, targets and growth of a stored result from its phases (after a change
    of the targets, or once results/M.json exists for the L growth exponent); nothing is re-run."""
    path = args.results_dir / f"{args.scale}.json"
    stored = json.loads(path.read_text())
    data = dict(stored["data"])
    generation_s = data.pop("generation_s", None)
    args.engine = stored["engine"].split(":", 1)[0]
    args.peer_months = args.peer_months or _peer_months(stored.get("peer_comparison_files", ""))
    result = assemble(
        SCALES[args.scale], args, stored["phases"], stored["limit_check"]["marts"], data, generation_s,
        time.perf_counter() - stored["total_bench_s"], complete=stored.get("complete", True),
    )  # fmt: skip
    result.update(
        commit=stored["commit"],
        measured_at=stored["measured_at"],
        machine=stored["machine"],
        carried_over=stored.get("carried_over"),
    )
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(render_table(result))
    return 0


def _peer_months(text: str) -> int | None:
    words = text.split()
    return int(words[1]) if len(words) > 1 and words[1].isdigit() else None


def number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"
    return str(value)


def summarize(results_dir: Path) -> str:
    """A markdown table of the figures of every scale in ``results_dir`` (for benchmarks/README.md)."""
    paths = [results_dir / f"{name}.json" for name in ("S", "M", "L")]
    found = [json.loads(path.read_text()) for path in paths if path.exists()]
    if not found:
        return "no results yet"
    names = list(dict.fromkeys(name for result in found for name in result["figures"]))
    header = "| figure | target | " + " | ".join(
        f"{r['scale']} ({r['data']['raw_rows'] / 1e6:.2g}M rows{'' if r.get('complete', True) else ', partial'})"
        for r in found
    )
    lines = [header + " |", "|---|---|" + "---|" * len(found)]
    for name in names:
        target = TARGETS.get(name)
        cells = []
        for result in found:
            value = result["figures"].get(name)
            met = result["targets"].get(name, {}).get("met")
            text = number(value)
            cells.append(text + ("" if met is None else (" ✓" if met else " ✗")))
        lines.append(f"| {name} | {f'{target[0]} {number(target[1])}' if target else ''} | " + " | ".join(cells) + " |")
    lines.append("")

    def measured(result: dict[str, Any]) -> str:
        carried = result.get("carried_over")
        if not carried:
            return f"{result['scale']} {result['commit']} ({result['measured_at'][:16]})"
        if carried["commit"] == result["commit"]:
            return (
                f"{result['scale']} {result['commit']} ({str(carried['measured_at'])[:16]}; extract comparison "
                f"re-measured {result['measured_at'][11:16]})"
            )
        return (
            f"{result['scale']} {result['commit']} for the extract comparison ({result['measured_at'][:16]}), "
            f"{', '.join(carried['phases'])} from {carried['commit']} ({str(carried['measured_at'])[:16]})"
        )

    lines.append("commits: " + "; ".join(measured(result) for result in found))
    return "\n".join(lines)


def run_in_snapshot(args: argparse.Namespace, argv: list[str]) -> int:
    """Run this benchmark on ``git archive HEAD`` (plus the benchmark's own files and any
    ``--overlay`` from the working tree), so work in progress elsewhere in the tree is not measured."""
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    source = OUT / "src" / head[:12]
    if not (source / ".complete").exists():
        shutil.rmtree(source, ignore_errors=True)
        source.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
        (source / ".complete").touch()
    for relative in (*OWNED, *(args.overlay or [])):
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relative, source / relative)
    label = head[:7] + (f"+{','.join(Path(item).name for item in args.overlay)}" if args.overlay else "")
    forwarded, skip_next = [], False
    for item in argv:
        if skip_next:
            skip_next = False
        elif item == "--snapshot":
            continue
        elif item == "--overlay":
            skip_next = True
        elif not item.startswith("--overlay="):
            forwarded.append(item)
    command = [
        sys.executable, str(source / "benchmarks" / "run.py"), *forwarded,
        "--out-dir", str(OUT), "--results-dir", str(args.results_dir.resolve()), "--commit-label", label,
    ]  # fmt: skip
    print(f"benchmarking {label} from {source}", flush=True)
    return subprocess.call(command, cwd=source)


def main(argv: list[str] | None = None) -> int:
    global OUT, COMMIT_LABEL
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--engine", choices=("prefect", "steps"), default="prefect")
    parser.add_argument(
        "--skip",
        action="append",
        choices=(
            "limit",
            "noop",
            "incremental",
            "startup",
            "backfill",
            "xapi_extract",
            "duckdb_read_json",
            "dlt_arrow",
            "dlt_dict",
        ),
        help="leave a phase out (repeatable)",
    )
    parser.add_argument(
        "--dlt-dict-max", type=int, default=200_000, help="statements the slow dlt dict path loads (default 200k)"
    )
    parser.add_argument(
        "--peer-months", type=int, help="compare extract+land on the last N monthly xAPI files only (default all)"
    )
    parser.add_argument(
        "--extract-only",
        action="store_true",
        help="re-measure only the extract comparison (ours, DuckDB read_json, dlt); the other phases of "
        "results/<scale>.json are kept and labelled with the commit that measured them",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where <scale>.json goes")
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="measure the committed HEAD (git archive) instead of the working tree, with the benchmark's own "
        "files and every --overlay copied in from the working tree",
    )
    parser.add_argument("--overlay", action="append", help="with --snapshot: a working-tree file to use (repeatable)")
    parser.add_argument(
        "--reuse-data", action="store_true", help="use cached generated data even if the demo generator changed since"
    )
    parser.add_argument("--summarize", action="store_true", help="print a markdown table of all results and exit")
    parser.add_argument(
        "--reassemble", action="store_true", help="recompute the figures of results/<scale>.json from its phases"
    )
    parser.add_argument("--out-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--commit-label", help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--as-of", default=AS_OF.isoformat(), help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.out_dir:
        OUT = args.out_dir.resolve()
    COMMIT_LABEL = args.commit_label
    if args.phase:
        return run_child_phase(args)
    if args.summarize:
        print(summarize(args.results_dir))
        return 0
    if args.reassemble:
        return reassemble(args)
    if args.snapshot:
        return run_in_snapshot(args, argv)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"{args.scale}.json"

    def save(result: dict[str, Any]) -> None:
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(result, indent=2, default=str) + "\n")
        tmp.replace(path)

    result = run_scale(args, save)
    print()
    print(render_table(result))
    print(f"\nwrote {path}")
    return 0 if result["figures"]["full_run_s"] else 1


if __name__ == "__main__":
    sys.exit(main())
