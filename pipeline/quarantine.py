"""Reading the quarantine, and releasing quarantined files for re-processing after a fix.

Quarantined rows live beside the data they came from: parse rejects in each load's
``_rejects.parquet``, validation failures in ``quarantine/<load_id>.parquet`` (both the QUARANTINE
schema of ``connectors/schemas.py``). Nothing here deletes them: a re-processed file lands as a new
load, staging keeps its latest version, and the old findings stay as the record of what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from connectors import landing, state, vocabulary
from connectors.sqltext import literal_list
from pipeline.config import Config

COLUMNS = "_load_id, _source, _source_file, _source_line, entity, rule, severity, column_name, value, message"


def _relation(con: duckdb.DuckDBPyConnection, home: Path) -> str:
    landing.ensure_schema_files(home)
    files = [
        str(home / "landing" / "*" / "*" / landing.REJECTS_FILE),
        str(home / "quarantine" / "*.parquet"),
    ]
    con.execute(
        f"create or replace temp view quarantined as select {COLUMNS}, "
        "case when _row is null then 'parse' else 'validation' end as stage "
        f"from read_parquet({literal_list(files)}, union_by_name = true)"
    )
    return "quarantined"


def list_quarantine(
    home: Path, *, source: str | None = None, rule: str | None = None, load_id: str | None = None
) -> list[dict[str, Any]]:
    """Quarantined findings, newest load first, in file and line order."""
    with duckdb.connect() as con:
        view = _relation(con, home)
        where, params = _filters(source, rule, load_id)
        cursor = con.execute(
            f"select * from {view} {where} order by _load_id desc, _source_file, _source_line, rule", params
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def summarize_quarantine(home: Path, *, source: str | None = None) -> list[dict[str, Any]]:
    """Counts per source, entity, rule and severity."""
    with duckdb.connect() as con:
        view = _relation(con, home)
        where, params = _filters(source, None, None)
        cursor = con.execute(
            f"select _source as source, entity, rule, severity, count(*) as findings, "
            f"count(distinct _source_file) as files from {view} {where} "
            "group by all order by source, entity, findings desc, rule",
            params,
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _filters(source: str | None, rule: str | None, load_id: str | None) -> tuple[str, list[str]]:
    clauses, params = [], []
    for column, value in (("_source", source), ("rule", rule), ("_load_id", load_id)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    return ("where " + " and ".join(clauses)) if clauses else "", params


@dataclass
class Released:
    source: str
    files: list[str]


def release_for_reprocessing(config: Config, sources: list[str] | None = None) -> list[Released]:
    """Forget the state of every file with a quarantined row (error or critical), so the next run
    parses, lands and validates it again: after the file was corrected in place, or after the
    reference data or a rule was fixed. Warnings do not hold a row back, so they release nothing.
    API sources cannot re-fetch a past page this way: use `trainops backfill` for them."""
    released = []
    findings = list_quarantine(config.home)
    for source in config.sources:
        if source.path is None or (sources and source.name not in sources):
            continue
        bad_files = {
            row["_source_file"]
            for row in findings
            if row["_source"] == source.name
            and row["severity"] in vocabulary.HOLDING_SEVERITIES
            and row["_source_file"]
        }
        current = state.read_state(config.home, source.name)
        known = current.get("files", {})
        # state keys and findings name a file by its path relative to the source directory (findings
        # landed by earlier versions: by its basename)
        forget = sorted(name for name in known if name in bad_files or Path(name).name in bad_files)
        if not forget:
            continue
        remaining = {name: value for name, value in known.items() if name not in forget}
        state.commit_state(config.home, source.name, {**current, "files": remaining})
        released.append(Released(source.name, forget))
    return released
