"""`trainops status`: last runs, per-source freshness, the published version, quarantine counts."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors import landing, registry, state, vocabulary
from connectors.base import SourceError
from connectors.sqltext import literal
from pipeline.backfill_progress import BACKFILLS_DIR
from pipeline.config import Config
from pipeline.freshness import read_freshness, utc_now
from pipeline.lifecycle import read_run_records

# -- the report ------------------------------------------------------------------------------------


def _hours_since(moment: str | None, now: datetime) -> float | None:
    if not moment:
        return None
    return round((now - datetime.fromisoformat(moment)).total_seconds() / 3600, 1)


def position(kind: str, source_state: dict[str, Any]) -> str:
    """What the source has loaded so far, in a few words (watermark, snapshot, files), as the
    state of its kind describes itself."""
    try:
        return registry.state_type(kind).from_json(source_state).describe()
    except (SourceError, ValueError) as exc:  # an unknown kind, a state this version cannot read
        return f"unreadable state ({str(exc).splitlines()[0]})"


def _pid_alive(pid: Any, host: Any) -> bool:
    if not isinstance(pid, int) or host != socket.gethostname():
        return True  # cannot tell from here: trust the record
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def runs_report(home: Path, limit: int = 10) -> list[dict[str, Any]]:
    runs = []
    for record in read_run_records(home, limit):
        status = record.get("status")
        if status == "running" and not _pid_alive(record.get("pid"), record.get("host")):
            status = "crashed"  # the next run will record it so
        seconds = None
        if record.get("started_at") and record.get("finished_at"):
            started = datetime.fromisoformat(record["started_at"])
            seconds = round((datetime.fromisoformat(record["finished_at"]) - started).total_seconds(), 1)
        runs.append(
            {
                "run_id": record.get("run_id"),
                "flow": record.get("flow", "nightly-sync"),
                "status": status,
                "as_of": record.get("as_of"),
                "started_at": record.get("started_at"),
                "finished_at": record.get("finished_at"),
                "seconds": seconds,
                "error": record.get("error"),
                "stale_sources": sorted(record.get("stale_sources") or {}),
                "night": (record.get("night") or {}).get("kind"),  # full | incremental | noop
                "night_reasons": (record.get("night") or {}).get("reasons", []),
            }
        )
    return runs


def sources_report(config: Config, now: datetime) -> list[dict[str, Any]]:
    freshness = read_freshness(config.home)
    rows = []
    for source in config.sources:
        entry = freshness.get(source.name, {})
        loads = landing.list_loads(config.home, source.name)
        source_state = state.read_state(config.home, source.name)
        last_success = entry.get("last_success_at")
        failing = bool(entry.get("last_error")) and (entry.get("last_failure_at") or "") > (last_success or "")
        age = _hours_since(last_success, now)
        rows.append(
            {
                "source": source.name,
                "kind": source.kind,
                "position": position(source.kind, source_state),
                "watermark": source_state.get("watermark") or source_state.get("last_snapshot_date"),
                "last_success_at": last_success,
                "age_hours": age,
                "last_new_data_at": entry.get("last_new_data_at"),
                "last_error": entry.get("last_error") if failing else None,
                "stale": last_success is None or failing or (age is not None and age > config.max_age_hours),
                "loads": len(loads),
                "last_load_id": loads[-1].load_id if loads else None,
            }
        )
    return rows


def published_report(config: Config) -> dict[str, Any] | None:
    if config.target == "postgres":
        from warehouse import postgres_target as postgres

        try:
            marts = postgres.fetch("select count(*) from information_schema.tables where table_schema = 'marts'")
        except postgres.WarehouseError as exc:
            return {"marts_db": postgres.describe(), "error": str(exc), "marts": 0}
        return {"marts_db": postgres.describe() + " (schema marts)", "marts": marts[0][0]}
    if not config.marts_db.exists():
        return None
    import duckdb

    from warehouse.duckdb_target import published_run

    run_id = published_run(config)
    with duckdb.connect(str(config.marts_db), read_only=True) as con:
        counted = con.execute("select count(*) from information_schema.tables where table_schema = 'main'").fetchone()
        try:
            as_of = con.execute("select max(as_of_date) from fct_compliance_status").fetchone()
        except duckdb.Error:  # marts of another shape (a test's): no as-of date to show
            as_of = None
    return {
        "marts_db": str(config.marts_db),
        "version": f"marts-{run_id}.duckdb" if run_id else None,
        "run_id": run_id,
        "as_of": as_of[0].isoformat() if as_of and as_of[0] else None,
        "published_at": datetime.fromtimestamp(config.marts_db.stat().st_mtime, UTC).isoformat(),
        "marts": counted[0] if counted else 0,
    }


# A finding holds its row back (quarantines it) at severity error or critical; a warning (an unknown
# xAPI verb, say) keeps the row, as in the run report and stg_quarantine__rows.is_excluding.
HOLDS_BACK = f"lower(severity) in ({', '.join(literal(name) for name in vocabulary.HOLDING_SEVERITIES)})"


def quarantine_report(home: Path) -> dict[str, Any]:
    """Quarantined rows per source: parse rejects (landing) and validation failures (quarantine);
    rows replaced by a later version of their file are no failure and not counted."""
    import duckdb

    patterns = {
        "parse": (landing.landing_dir(home), f"*/*/{landing.REJECTS_FILE}"),
        "validation": (home / "quarantine", "*.parquet"),
    }
    by_source: dict[str, dict[str, int]] = {}
    total = warnings = 0
    with duckdb.connect() as con:
        for kind, (folder, pattern) in patterns.items():
            if not any(folder.glob(pattern)):
                continue
            rows = con.execute(
                f"select _source, count(*) filter (where {HOLDS_BACK}), count(*) filter (where not {HOLDS_BACK}) "
                f"from read_parquet({literal(folder / pattern)}, union_by_name = true) "
                f"where _source is not null and severity is distinct from '{vocabulary.REPLACED}' group by 1"
            ).fetchall()
            for source, count, kept in rows:
                counts = by_source.setdefault(source, {"parse": 0, "validation": 0, "warnings": 0})
                counts[kind] = count
                counts["warnings"] += kept
                total += count
                warnings += kept
    return {"rows": total, "warnings": warnings, "by_source": by_source}


def backfills_report(home: Path) -> list[dict[str, Any]]:
    unfinished = []
    for path in sorted((home / "state" / BACKFILLS_DIR).glob("*.json")):
        data = json.loads(path.read_text())
        if data.get("finished_at"):
            continue
        unfinished.append(
            {
                "backfill_id": data["backfill_id"],
                "start": data["start"],
                "end": data["end"],
                "sources": data["sources"],
                "chunks_done": len(data.get("done", {})),
                "chunks_total": data.get("chunks_total"),
                "updated_at": data.get("updated_at"),
            }
        )
    return unfinished


def report(config: Config, now: datetime | None = None) -> dict[str, Any]:
    now = now or utc_now()
    runs = runs_report(config.home)
    sources = sources_report(config, now)
    problems = []
    finished = [run for run in runs if run["status"] != "running"]
    if finished and finished[0]["status"] in ("failed", "crashed"):
        problems.append(f"the last run ({finished[0]['flow']} {finished[0]['run_id']}) {finished[0]['status']}")
    for source in sources:
        if source["stale"]:
            why = source["last_error"] or (
                "never extracted" if source["last_success_at"] is None else f"{source['age_hours']} h old"
            )
            problems.append(f"source {source['source']} is stale ({why})")
    published = published_report(config)
    if published is None:
        problems.append("no marts published yet")
    return {
        "config": str(config.path),
        "home": str(config.home),
        "checked_at": now.isoformat(),
        "healthy": not problems,
        "problems": problems,
        "runs": runs,
        "sources": sources,
        "published": published,
        "quarantine": quarantine_report(config.home),
        "backfills": backfills_report(config.home),
        "max_age_hours": config.max_age_hours,
    }


def _when(moment: str | None) -> str:
    if not moment:
        return "—"
    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def render(data: dict[str, Any]) -> str:
    lines = [f"trainops status — {data['home']}", ""]
    lines.append("health: " + ("OK" if data["healthy"] else "ATTENTION: " + "; ".join(data["problems"])))
    published = data["published"]
    lines.append("")
    if published and "version" not in published:  # the Postgres target: schema marts
        lines.append(f"published marts: {published['marts']} marts in {published['marts_db']}")
        if published.get("error"):
            lines.append(f"  {published['error']}")
    elif published:
        lines.append(
            f"published marts: {published['version'] or 'unknown version'} ({published['marts']} marts), "
            f"as of {published['as_of'] or '—'}, published {_when(published['published_at'])}"
        )
    else:
        lines.append("published marts: none yet")
    lines += ["", f"sources (stale after {data['max_age_hours']:g} h without a successful extraction):"]
    lines.append(f"  {'source':<14} {'kind':<14} {'last success':<21} {'age h':>6}  {'loads':>5}  position")
    for source in data["sources"]:
        age = "—" if source["age_hours"] is None else f"{source['age_hours']:g}"
        flag = "  STALE" if source["stale"] else ""
        lines.append(
            f"  {source['source']:<14} {source['kind']:<14} {_when(source['last_success_at']):<21} {age:>6}  "
            f"{source['loads']:>5}  {source['position']}{flag}"
        )
        if source["last_error"]:
            lines.append(f"  {'':<14} last error: {source['last_error']}")
    quarantine = data["quarantine"]
    lines += [
        "",
        f"quarantined rows: {quarantine['rows']} (parse rejects + validation failures); "
        f"warnings: {quarantine['warnings']} (rows kept)",
    ]
    for name, counts in sorted(quarantine["by_source"].items()):
        lines.append(
            f"  {name:<14} parse {counts['parse']:>6}   validation {counts['validation']:>6}   "
            f"warnings {counts['warnings']:>6}"
        )
    if data["backfills"]:
        lines += ["", "unfinished backfills (rerun the same command to resume):"]
        for backfill in data["backfills"]:
            lines.append(
                f"  {backfill['start']}..{backfill['end']} {', '.join(backfill['sources'])}: "
                f"{backfill['chunks_done']}/{backfill['chunks_total']} chunks done"
            )
    lines += ["", "last runs:"]
    if not data["runs"]:
        lines.append("  none yet")
    for run in data["runs"]:
        took = "" if run["seconds"] is None else f"{run['seconds']:>7.0f} s"
        note = run["error"] or (f"stale: {', '.join(run['stale_sources'])}" if run["stale_sources"] else "")
        lines.append(
            f"  {run['run_id']:<28} {run['flow']:<14} {run['status']:<8} {run.get('night') or '':<11} "
            f"as of {run['as_of'] or '—':<10} {_when(run['started_at']):<21}{took}  {note}".rstrip()
        )
    return "\n".join(lines)
