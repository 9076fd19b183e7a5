"""Connector protocol, parse results and errors.

A connector reads its source and maps it to canonical records (``connectors/schemas.py``). It never
writes the warehouse or the landing zone itself: ``connectors/landing.py`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol


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


@dataclass
class ParseResult:
    """What one file (or one page of an API) became.

    ``records`` maps a canonical entity name to its records: dicts whose keys are the entity's
    columns (``connectors/schemas.py``) plus ``_source_file`` and ``_source_line``; values are Python
    values (``str``, ``date``, ``datetime`` in UTC, ``Decimal``, ``bool``, ``list[str]``).
    """

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)

    def add(self, entity: str, record: dict[str, Any]) -> None:
        self.records.setdefault(entity, []).append(record)

    def extend(self, other: ParseResult) -> None:
        for entity, rows in other.records.items():
            self.records.setdefault(entity, []).extend(rows)
        self.rejects.extend(other.rejects)

    @property
    def raw_rows(self) -> int:
        return sum(len(rows) for rows in self.records.values()) + len(self.rejects)


@dataclass(frozen=True)
class ParseContext:
    """What a parser may need besides the file: reference data (e.g. vendors.csv for e-invoices)."""

    reference_dir: Path | None = None
    source_name: str = "adhoc"


class FileParser(Protocol):
    """A file-drop kind (DESIGN §3): turns one file into canonical records and rejects."""

    kind: str
    entities: tuple[str, ...]
    patterns: tuple[str, ...]  # globs of the files this kind reads, e.g. ("*.csv",)

    def parse(self, path: Path, context: ParseContext) -> ParseResult: ...


class Connector(Protocol):
    """A configured source.

    ``extract(state)`` yields ``(unit, result)`` pairs: each result becomes one landing load, and
    the unit says what that load covers (a file fingerprint, a page's ``more`` URL, a watermark).
    Only after the load is committed does the pipeline call ``advance(state, unit, load_id)`` and
    commit the state it returns — so a crash repeats work but never skips data. ``extract`` must
    read the state it is given (not the disk), and must not write anything itself.
    """

    name: str
    kind: str

    def extract(self, state: dict[str, Any]) -> Iterator[tuple[dict[str, Any], ParseResult]]: ...

    def advance(self, state: dict[str, Any], unit: dict[str, Any], load_id: str) -> dict[str, Any]: ...


class WindowedConnector(Connector, Protocol):
    """Optional capability, for backfills: re-read a past window ``[start, end)`` of the source
    (whatever time the source filters on, e.g. xAPI ``stored``) without reading or moving the
    connector's state. Each yielded pair becomes one landing load, as with ``extract``."""

    def extract_window(self, start: datetime, end: datetime) -> Iterator[tuple[dict[str, Any], ParseResult]]: ...
