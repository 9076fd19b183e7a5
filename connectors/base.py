"""Connector protocol, parse results and errors.

A connector reads its source and maps it to canonical records (``connectors/schemas.py``). It never
writes the warehouse or the landing zone itself: ``connectors/landing.py`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, runtime_checkable

import pyarrow as pa
import pyarrow.compute as pc

from connectors import schemas

if TYPE_CHECKING:  # connectors/state.py imports this module (SourceError)
    from connectors.state import LoadUnit, SourceState, WindowUnit


class SourceError(Exception):
    """A source could not be read at all (unreadable file, refused credentials, …).

    The message is one line a user can act on; it names the source and the file or URL path, never
    a credential.
    """


@dataclass
class Reject:
    """A raw row that could not be turned into a canonical record."""

    entity: str
    source_file: str
    source_line: int | None
    rule: str  # `parse.<what>`, e.g. parse.invalid_date, parse.missing_required, parse.malformed_json
    message: str
    column_name: str | None = None
    value: str | None = None
    record: str | None = None  # the raw row/element as text
    severity: str = "error"


class ParseResult:
    """What one file (or one page of an API) became: canonical records per entity, and rejects.

    Records come in two forms, kept in arrival order per entity:

    - dicts whose keys are the entity's columns (``connectors/schemas.py``) plus ``_source_file`` and
      ``_source_line``; values are Python values (``str``, ``date``, ``datetime`` in UTC,
      ``Decimal``, ``bool``, ``list[str]``) — what per-record parsers ``add``;
    - Arrow tables with exactly those columns, in that order, typed as the entity's schema
      (``_source_file`` string, ``_source_line`` int64) — what columnar parsers ``add_table``, so
      landing writes them without a round trip through Python objects.

    ``records`` shows everything as dicts (tables are converted once, on first access);
    ``parts(entity)`` gives both forms as they are.
    """

    def __init__(
        self,
        records: dict[str, list[dict[str, Any]]] | None = None,
        rejects: list[Reject] | None = None,
    ) -> None:
        self._parts: dict[str, list[list[dict[str, Any]] | pa.Table]] = {
            entity: [list(rows)] for entity, rows in (records or {}).items()
        }
        self.rejects: list[Reject] = list(rejects or [])

    def __repr__(self) -> str:
        rows = {entity: self.row_count(entity) for entity in self._parts}
        return f"ParseResult(rows={rows}, rejects={len(self.rejects)})"

    def add(self, entity: str, record: dict[str, Any]) -> None:
        parts = self._parts.setdefault(entity, [])
        if not parts or not isinstance(parts[-1], list):
            parts.append([])
        parts[-1].append(record)

    def add_table(self, entity: str, table: pa.Table) -> None:
        if table.num_rows:
            self._parts.setdefault(entity, []).append(table)

    def parts(self, entity: str) -> list[list[dict[str, Any]] | pa.Table]:
        return list(self._parts.get(entity, []))

    @property
    def entities(self) -> list[str]:
        return [entity for entity in self._parts if self.row_count(entity)]

    @property
    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Every record as a dict, per entity (Arrow parts are converted here, once)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for entity, parts in self._parts.items():
            if len(parts) != 1 or not isinstance(parts[0], list):
                rows: list[dict[str, Any]] = []
                for part in parts:
                    rows.extend(part if isinstance(part, list) else part.to_pylist())
                self._parts[entity] = parts = [rows]
            if parts[0]:
                out[entity] = parts[0]
        return out

    def extend(self, other: ParseResult) -> None:
        for entity, parts in other._parts.items():
            mine = self._parts.setdefault(entity, [])
            for part in parts:
                if not isinstance(part, list):
                    mine.append(part)
                elif mine and isinstance(mine[-1], list):
                    mine[-1].extend(part)
                else:
                    mine.append(list(part))
        self.rejects.extend(other.rejects)

    def row_count(self, entity: str) -> int:
        return sum(len(part) if isinstance(part, list) else part.num_rows for part in self._parts.get(entity, []))

    def relocate(self, old: str, new: str) -> None:
        """Records and rejects naming source file ``old`` name ``new`` instead (a file drop names each
        file by its path relative to the source's directory; parsers know only the file's name)."""
        if old == new:
            return
        for entity, parts in self._parts.items():
            for index, part in enumerate(parts):
                if isinstance(part, list):
                    for record in part:
                        if record.get("_source_file") == old:
                            record["_source_file"] = new
                    continue
                column = part.schema.get_field_index("_source_file")
                if column >= 0:
                    same = pc.fill_null(pc.equal(part.column(column), old), False)
                    renamed = pc.if_else(same, new, part.column(column))
                    parts[index] = part.set_column(column, part.field(column), renamed.cast(pa.string()))
            self._parts[entity] = parts
        for reject in self.rejects:
            if reject.source_file == old:
                reject.source_file = new

    @property
    def raw_rows(self) -> int:
        return sum(self.row_count(entity) for entity in self._parts) + len(self.rejects)

    @property
    def arrow_rows(self) -> int:
        """Records held as Arrow tables."""
        return sum(part.num_rows for parts in self._parts.values() for part in parts if not isinstance(part, list))

    @property
    def arrow_bytes(self) -> int:
        """Memory held by the Arrow parts (dict parts are not counted)."""
        return sum(part.nbytes for parts in self._parts.values() for part in parts if not isinstance(part, list))


@dataclass(frozen=True)
class ParseContext:
    """What a parser may need besides the file: reference data (e.g. vendors.csv for e-invoices)."""

    reference_dir: Path | None = None
    source_name: str = "adhoc"
    xapi_occurred_at: str = "timestamp"  # xapi_files: the source's `xapi.occurred_at` (connectors/lms/xapi_files.py)


class FileParser(Protocol):
    """A file-drop kind (docs/data-model.md): turns one file into canonical records and rejects."""

    @property
    def kind(self) -> str: ...

    @property
    def entities(self) -> tuple[str, ...]: ...

    @property
    def patterns(self) -> tuple[str, ...]: ...  # globs of the files this kind reads, e.g. ("*.csv",)

    def parse(self, path: Path, context: ParseContext) -> ParseResult: ...


StreamMode = Literal["snapshot", "append", "watermark"]


@dataclass(frozen=True)
class StreamSpec:
    """One entity a connector delivers and how its loads relate to each other:

    - ``snapshot``: each load is the whole population as of a date (HR rosters);
    - ``append``: each load adds records, a later one restating a key replaces it (files, pages);
    - ``watermark``: like append, read incrementally above a saved high-water mark (xAPI ``stored``).

    The key is the entity's, from ``connectors/schemas.py`` (its one owner).
    """

    entity: str
    mode: StreamMode

    @property
    def key(self) -> tuple[str, ...]:
        return schemas.KEYS[self.entity]


def streams(mode: StreamMode, *entities: str) -> tuple[StreamSpec, ...]:
    return tuple(StreamSpec(entity, mode) for entity in entities)


S = TypeVar("S", bound="SourceState")
U = TypeVar("U", bound="LoadUnit")


class Connector(Protocol[S, U]):
    """A configured source.

    ``extract(state)`` yields ``(unit, result)`` pairs: each result becomes one landing load, and
    the unit says what that load covers (a batch of files, a page's ``more`` URL, a watermark).
    Only after the load is committed does the pipeline call ``advance(state, unit, load_id)`` and
    commit the state it returns — so a crash repeats work but never skips data. ``extract`` must
    read the state it is given (not the disk), and must not write anything itself.

    ``state_type`` reads the source's state file and ``read_unit`` a load's manifest unit
    (``connectors/state.py``).
    """

    name: str
    streams: tuple[StreamSpec, ...]

    @property
    def kind(self) -> str: ...

    @property
    def state_type(self) -> type[S]: ...

    @property
    def read_unit(self) -> Callable[[Mapping[str, Any]], U]: ...  # a static method in practice

    def extract(self, state: S) -> Iterator[tuple[U, ParseResult]]: ...

    def advance(self, state: S, unit: U, load_id: str) -> S: ...


@runtime_checkable
class WindowedConnector(Protocol):
    """Optional capability, for backfills: re-read a past window ``[start, end)`` of the source
    (whatever time the source filters on, e.g. xAPI ``stored``) without reading or moving the
    connector's state. Each yielded pair becomes one landing load, as with ``extract``."""

    def extract_window(self, start: datetime, end: datetime) -> Iterator[tuple[WindowUnit, ParseResult]]: ...
