"""Landing a backfill chunk: the drop files of its window (new or changed only), or a re-read
window of an API source (only what is not landed yet with the same content). The source's state is
never moved; the chunk's landed loads are revalidated with today's rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors import landing
from connectors.base import ParseResult, WindowedConnector
from connectors.files import FileDropConnector
from connectors.parsing import assume_timezone
from connectors.sqltext import identifier, literal_list
from pipeline import steps
from pipeline.backfill_plan import Chunk
from pipeline.config import Config, Source


@dataclass
class _FilesInRange(FileDropConnector):
    """The source's own file connector, seeing only the files of one chunk."""

    only: frozenset[str] = frozenset()

    def files(self) -> list[Path]:
        return [file for file in super().files() if str(file.relative_to(self.path)) in self.only]


def _landed_content(con: Any, home: Path, source: str, entity: str, incoming: Any) -> list[int]:
    """Rows (``_row``) of ``incoming`` whose content is not already landed by ``source``."""
    columns = [name for name in incoming.schema.names if not name.startswith("_")]
    fields = ", ".join(f"{identifier(c)} := {identifier(c)}" for c in columns)
    digest = f"md5(cast(struct_pack({fields}) as varchar))"
    files = list((landing.landing_dir(home) / source).glob(f"*/{entity}.parquet"))
    con.register("incoming", incoming)
    try:
        if not files:
            return [row[0] for row in con.execute("select _row from incoming").fetchall()]
        sql = (
            f"select _row from incoming where {digest} not in "
            f"(select {digest} from read_parquet({literal_list(files)}, union_by_name = true))"
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
            sql = f"select entity, rule, record from read_parquet({literal_list(rejects_files)})"
            landed_rejects = set(con.execute(sql).fetchall())
    fresh.rejects = [r for r in result.rejects if (r.entity, r.rule, r.record) not in landed_rejects]
    return fresh


def land_window(config: Config, source: Source, chunk: Chunk, backfill_id: str) -> list[str]:
    """Re-extract one window of a ``WindowedConnector`` source; land what is new. State untouched."""
    connector = steps.connector_for(config, source)
    if not isinstance(connector, WindowedConnector):
        raise TypeError(f"source {source.name!r}: kind {source.kind} cannot re-read a window")
    zone = ZoneInfo(config.timezone)
    since = datetime.combine(chunk.start, datetime.min.time(), zone)
    until = datetime.combine(chunk.end + timedelta(days=1), datetime.min.time(), zone)
    landing.ensure_schema_files(config.home)
    loads = []
    with assume_timezone(source.assume_timezone):  # naive timestamps: as in the nightly extract
        for unit, result in connector.extract_window(since, until):
            fresh = only_new(config.home, source.name, result)
            if not fresh.records and not fresh.rejects:
                continue
            marked = unit.marked(backfill_id).to_json()
            loads.append(landing.write_load(config.home, source.name, source.kind, fresh, unit=marked).load_id)
    return loads


def revalidate(config: Config, load_ids: tuple[str, ...]) -> None:
    """Drop the loads' validation results, so the next validation recomputes them with today's rules.
    Crash-safe: a load without a result is simply validated by the next run."""
    for load_id in load_ids:
        steps.quarantine_path(config.home, load_id).unlink(missing_ok=True)


def land_chunk(config: Config, chunk: Chunk, backfill_id: str) -> dict[str, Any]:
    """Revalidate the chunk's landed loads and land what its window holds that is new."""
    source = config.source(chunk.source)
    revalidate(config, chunk.loads)
    loads: list[str] = []
    if chunk.mode == "files":
        base = steps.connector_for(config, source)
        assert isinstance(base, FileDropConnector)
        connector = _FilesInRange(
            base.name, base.parser, base.options, base.context, base.streams, frozenset(chunk.files)
        )
        loads = steps.extract_source(config, source, connector).loads
    elif chunk.mode == "window":
        loads = land_window(config, source, chunk, backfill_id)
    return {"loads": loads, "revalidated": list(chunk.loads)}
