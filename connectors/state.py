"""Per-source state (file fingerprints, cursors, watermarks), committed only after the load it
describes is committed, so a crash repeats work but never skips data (docs/ARCHITECTURE.md).

On disk a state is a JSON file under ``{home}/state/``; in code it is a typed model per connector
family (``SourceState``), and what each landing load covers is a ``LoadUnit``, written into the
load's manifest. Both read and write exactly the JSON earlier versions wrote: a key is written when
it was given (even as null), an unknown key is kept as it is, so state files and manifests already
on disk keep working.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Self, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.base import SourceError
from connectors.pagination import PageRequest

# The state also names the last load it covers, so a load committed by a run that died before
# saving the state is adopted by the next run instead of landed twice (``pipeline/steps.py``).
COMMITTED_LOAD = "_committed_load_id"

Span = tuple[date, date]


def state_path(home: Path, source: str) -> Path:
    return home / "state" / f"{source}.json"


def read_state(home: Path, source: str) -> dict[str, Any]:
    path = state_path(home, source)
    if not path.exists():
        return {}
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def commit_state(home: Path, source: str, state: dict[str, Any]) -> None:
    """Atomically replace the source's state (write, fsync, rename)."""
    path = state_path(home, source)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w") as handle:
        json.dump(state, handle, indent=2, sort_keys=True, default=str)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def local_day(timestamp: str, timezone: str) -> date:
    """The business-timezone date of an ISO timestamp (``Z`` or an offset)."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).astimezone(ZoneInfo(timezone)).date()


class Stored(BaseModel):
    """A model stored as JSON: frozen; ``from_json``/``to_json`` give back the keys as they were."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls.model_validate(dict(data))

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def replace(self, *, drop: tuple[str, ...] = (), **changes: Any) -> Self:
        """A copy with ``changes`` set and the keys in ``drop`` removed (not set to null)."""
        data = {key: value for key, value in self.model_dump(exclude_unset=True).items() if key not in drop}
        return self.model_validate({**data, **changes})

    @property
    def is_empty(self) -> bool:
        return not self.model_fields_set and not self.model_extra


class SourceState(Stored):
    """What a source has loaded so far; each connector family has its own."""

    committed_load_id: str | None = Field(default=None, alias=COMMITTED_LOAD)

    def position(self) -> list[str]:
        """The parts of ``describe``, most telling first."""
        return []

    def describe(self) -> str:
        """What the source has loaded so far, in a few words (``trainops status``)."""
        return "; ".join(self.position()) or "nothing loaded yet"


class LoadUnit(Stored):
    """What one landing load covers (a batch of files, a page), as written into its manifest."""

    @property
    def backfill_id(self) -> str | None:
        """The backfill that landed this load (such loads never move the source's state)."""
        return None

    @property
    def lands_data(self) -> bool:
        """False for a unit that only moves the state (e.g. files identical to landed ones)."""
        return True

    def notes(self) -> list[str]:
        """What the unit received but did not land, one line each (the run record's ``skipped``)."""
        return []

    def covered_span(self, timezone: str) -> Span | None:
        """The first and last business dates the load's data covers, when the unit says."""
        return None


class PagedRun(Stored):
    """An unfinished paged pull: the next page's request, and the pages and last load landed so far."""

    next: PageRequest
    pages: int = 0
    load_id: str | None = None

    def describe(self) -> str:
        return f"unfinished pull: resumes at page {self.pages + 1}"


class Window(Stored):
    since: str  # ISO timestamps: [since, until)
    until: str

    def span(self, timezone: str) -> Span:
        return local_day(self.since, timezone), local_day(self.until, timezone)


class BackfillMark(Stored):
    id: str
    window: Window | None = None


class WindowUnit(LoadUnit):
    """A load of a re-read window (``WindowedConnector.extract_window``); a backfill marks it."""

    window: Window
    backfill: BackfillMark | None = None

    @property
    def backfill_id(self) -> str | None:
        return self.backfill.id if self.backfill else None

    def marked(self, backfill_id: str) -> Self:
        return self.replace(backfill=BackfillMark(id=backfill_id, window=self.window))

    def covered_span(self, timezone: str) -> Span | None:
        return self.window.span(timezone)


S = TypeVar("S", bound=SourceState)


def first_problem(exc: ValidationError) -> str:
    """A stored document's first problem, in one line and without its values."""
    error = exc.errors(include_url=False)[0]
    return f"{'.'.join(map(str, error['loc'])) or '(top level)'}: {error['msg']}"


def read_source_state(home: Path, source: str, state_type: type[S]) -> S:
    """The source's committed state as its connector's model (empty when there is none)."""
    try:
        return state_type.from_json(read_state(home, source))
    except ValidationError as exc:
        problem = first_problem(exc)
    except ValueError as exc:  # not JSON
        problem = str(exc)
    raise SourceError(f"{state_path(home, source)}: not a valid state for source {source!r} ({problem})")


def commit_source_state(home: Path, source: str, state: SourceState) -> None:
    commit_state(home, source, state.to_json())
