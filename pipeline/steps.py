"""The nightly job's steps as plain functions, so they are testable without Prefect.

extract (per source) → validate (per landed load) → dbt build into a fresh file → publish.
``flows/nightly.py`` wraps each in a thin Prefect task.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from connectors import landing, registry, schemas, state
from connectors.base import Connector, ParseContext, SourceError
from connectors.files import FileBatchUnit
from connectors.parsing import assume_timezone
from connectors.state import SourceState
from connectors.testhooks import pause_point
from expectations import volume
from pipeline import file_versions
from pipeline.config import Config, FileSource, Source

log = logging.getLogger("trainops")


class PipelineError(Exception):
    """A step failed in a way the user must act on; the message says what and where."""


# ---------------------------------------------------------------------------------------------
# extract


@dataclass
class ExtractSummary:
    source: str
    kind: str
    loads: list[str] = field(default_factory=list)
    files: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    rejects: int = 0
    skipped: list[str] = field(default_factory=list)  # received, nothing landed (e.g. identical files)
    bad_files: list[str] = field(default_factory=list)  # "path: why", each quarantined whole
    seconds: float = 0.0


COMMITTED_LOAD = state.COMMITTED_LOAD  # the state's key naming the last load it covers


def parse_context(config: Config, source: FileSource, reference_dir: Path | None = None) -> ParseContext:
    """What a file source's parser is given (the night's and ``trainops parse --source``'s alike);
    ``reference_dir`` overrides the config's. Naive timestamps are a matter of ``assume_timezone``."""
    return ParseContext(
        reference_dir=reference_dir or config.reference_dir,
        source_name=source.name,
        xapi_occurred_at=source.xapi.occurred_at,
    )


def connector_for(config: Config, source: Source) -> Connector[Any, Any]:
    """The source's connector, built from its validated options (``connectors/registry.py``)."""
    if isinstance(source, FileSource):
        return registry.file_connector(source.name, source.kind, source, parse_context(config, source))
    return registry.api_source_connector(source.name, source.kind, source)  # type: ignore[arg-type]


def extract_source(config: Config, source: Source, connector: Connector[Any, Any] | None = None) -> ExtractSummary:
    """Land every new file of one source; commit its state after each load.

    ``connector`` defaults to the source's own; a backfill passes one restricted to a date range.
    """
    started = time.perf_counter()
    summary = ExtractSummary(source=source.name, kind=source.kind)
    landing.ensure_schema_files(config.home)
    connector = connector or connector_for(config, source)
    current = adopt_orphan_loads(config, source, connector)
    with assume_timezone(source.assume_timezone):  # naive timestamps: the source's zone, or rejects
        for unit, result in connector.extract(current):
            summary.skipped += unit.notes()
            if not unit.lands_data:  # only moves the state: no load, the last committed one still covers it
                current = connector.advance(current, unit, current.committed_load_id or "")
                state.commit_source_state(config.home, source.name, current)
                continue
            load = landing.write_load(config.home, source.name, source.kind, result, unit=unit.to_json())
            pause_point("landed")  # crash tests: the load is committed, the state is not
            current = _advanced(connector, current, unit, load.load_id)
            state.commit_source_state(config.home, source.name, current)
            summary.loads.append(load.load_id)
            if isinstance(unit, FileBatchUnit):
                summary.files += len(unit.files)
                summary.bad_files += [f"{file.name}: {file.unreadable}" for file in unit.files if file.unreadable]
            summary.rejects += len(result.rejects)
            for entity, count in load.manifest["entities"].items():
                summary.rows[entity] = summary.rows.get(entity, 0) + count
    summary.seconds = time.perf_counter() - started
    return summary


def _advanced(connector: Connector[Any, Any], current: SourceState, unit: Any, load_id: str) -> SourceState:
    """The state after a committed load, naming that load (``COMMITTED_LOAD``)."""
    advanced: SourceState = connector.advance(current, unit, load_id)
    return advanced.replace(committed_load_id=load_id)


def adopt_orphan_loads(config: Config, source: Source, connector: Connector[Any, Any]) -> SourceState:
    """The source's state, advanced over loads landed after the last one it covers.

    Such a load was committed by a run that died before committing the state (landing and state are
    two files): the load is complete, so the state moves on as that run would have, and its files
    or pages are not landed a second time. Backfill window loads (``unit.backfill``) never move the
    state. A state written before ``COMMITTED_LOAD`` existed is taken as covering every load.
    """
    current: SourceState = state.read_source_state(config.home, source.name, connector.state_type)
    committed = current.committed_load_id
    if committed is None and not current.is_empty:
        return current
    for load in landing.list_loads(config.home, source.name):
        if committed and load.load_id <= committed:
            continue
        try:
            unit = connector.read_unit(load.manifest.get("unit") or {})
        except ValidationError as exc:
            problem = state.first_problem(exc)
            raise SourceError(f"source {source.name!r}: load {load.load_id}: unreadable unit ({problem})") from None
        if unit.backfill_id is not None:
            continue
        current = _advanced(connector, current, unit, load.load_id)
        state.commit_source_state(config.home, source.name, current)
        log.warning("source %r: adopted load %s (its run stopped before saving the state)", source.name, load.load_id)
    return current


# ---------------------------------------------------------------------------------------------
# validate


@dataclass
class ValidationSummary:
    loads: int = 0
    rows: int = 0
    quarantined_rows: int = 0
    replaced_rows: int = 0  # rows of earlier versions of files corrected in place
    warnings: int = 0
    critical: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)


def quarantine_path(home: Path, load_id: str) -> Path:
    return home / "quarantine" / f"{load_id}.parquet"


def validate_pending(config: Config) -> ValidationSummary:
    """Validate every landed load that has no validation result yet (idempotent, crash-safe:
    the result file is written atomically, and its presence marks the load validated).

    A load with a critical failure is rejected whole: all its rows go to quarantine with the
    critical rule, so they never reach the marts, and the summary's ``critical`` stops this run.
    """
    from expectations.runner import validate_batch  # GX is slow to import: only when validating

    summary = ValidationSummary()
    loads = landing.list_loads(config.home)
    for load in loads:
        if quarantine_path(config.home, load.load_id).exists():
            continue
        summary.loads += 1
        rows: list[dict[str, Any]] = []
        load_critical: list[str] = []
        tables: dict[str, pa.Table] = {}
        for entity in load.manifest["entities"]:
            table = landing.read_entity(load, entity)
            if table is None or table.num_rows == 0:
                continue
            tables[entity] = table
            report = validate_batch(entity, table, max_error_fraction=config.max_error_fraction)
            summary.rows += report.rows
            summary.quarantined_rows += report.quarantined_rows
            summary.warnings += sum(1 for row in report.quarantine if row["severity"] == "warning")
            summary.results.extend({"load_id": load.load_id, "entity": entity, **r} for r in report.results)
            rows.extend(report.quarantine)
            load_critical.extend(f"{load.load_id} {entity}: {line}" for line in report.critical)
            if entity == volume.ROSTER:
                earlier = [other for other in loads if other.source == load.source and other.load_id < load.load_id]
                baseline = [other for other in earlier if not _rejected(config.home, other.load_id)]
                shrunk = volume.roster_shrink(table, baseline)
                load_critical.extend(f"{load.load_id} {entity}: {line}" for line in shrunk)
        if load_critical:
            summary.critical.extend(load_critical)
            rows = _reject_whole_load(tables, "; ".join(load_critical))

        def rejected(load_id: str, this: str = load.load_id, critical: bool = bool(load_critical)) -> bool:
            return critical if load_id == this else _rejected(config.home, load_id)

        if not load_critical:
            rows.extend(file_versions.replaced_rows(load, loads, rejected))
            # the earlier versions of its files are replaced by this one: before this load is marked
            # validated, so a crash in between repeats the work
            for older in file_versions.earlier_versions(load, loads):
                summary.replaced_rows += _mark_replaced(config.home, older, loads, rejected)
        _write_quarantine(config.home, load.load_id, rows)
    return summary


def _write_quarantine(home: Path, load_id: str, rows: list[dict[str, Any]]) -> None:
    """A load's validation result, written atomically (its presence marks the load validated)."""
    target = quarantine_path(home, load_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".parquet.tmp")
    pq.write_table(pa.Table.from_pylist(rows, schema=schemas.QUARANTINE), tmp)
    os.replace(tmp, target)


def _mark_replaced(home: Path, load: landing.Load, loads: list[landing.Load], rejected: file_versions.Rejected) -> int:
    """Recompute the ``file.replaced`` rows of a validated load; its other findings stay as they are.
    Returns how many of its rows are replaced."""
    path = quarantine_path(home, load.load_id)
    if not path.exists():  # not validated yet: its own validation marks them
        return 0
    kept = [row for row in pq.read_table(path).to_pylist() if row["rule"] != file_versions.RULE]
    replaced = file_versions.replaced_rows(load, loads, rejected)
    _write_quarantine(home, load.load_id, kept + replaced)
    return len(replaced)


def _rejected(home: Path, load_id: str) -> bool:
    """Was the load rejected whole by a critical failure (so it is no baseline for the next)?"""
    path = quarantine_path(home, load_id)
    if not path.exists():
        return False
    return "critical" in pq.read_table(path, columns=["severity"]).column("severity").to_pylist()


def _reject_whole_load(tables: dict[str, pa.Table], reason: str) -> list[dict[str, Any]]:
    rows = []
    for entity, table in tables.items():
        meta = table.select(["_load_id", "_row", "_source", "_source_file", "_source_line"]).to_pylist()
        for row in meta:
            rows.append(
                {
                    **row,
                    "entity": entity,
                    "rule": "load.critical",
                    "severity": "critical",
                    "column_name": None,
                    "value": None,
                    "message": reason[:2000],
                    "record": None,
                }
            )
    return rows
