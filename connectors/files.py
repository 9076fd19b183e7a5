"""The file-drop connector: one configured directory of one file kind (docs/data-model.md).

New or changed files are landed together, one load per batch of whole files holding up to about
``BATCH_BYTES`` of parsed records (a night's drop is usually one load), so memory is bounded by a
batch and the largest file, not by the history a first run lands. The state remembers each file's
fingerprint (size, mtime, sha256) and the load that holds it, so the next night picks up only new
files, and a corrected file dropped under the same name is loaded again (staging keeps the latest
load). A file whose content (sha256) is that of a file already landed — a transfer retry, a copy
under another name — is the same document: nothing is landed, and the state remembers it as
identical to the landed file (the run record says so).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from connectors.base import FileParser, ParseContext, ParseResult, Reject, SourceError, StreamSpec
from connectors.options import ConnectorOptions
from connectors.state import LoadUnit, SourceState, Span, Stored

BATCH_BYTES = 256 << 20  # parsed records held before a load is written: Arrow bytes, dicts estimated
DICT_RECORD_BYTES = 3 << 10  # a record as a Python dict (≈2.5 KiB measured for a roster row)
BATCH_ROWS = 500_000  # and never more raw rows than this in one load
_DATED_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?:-(\d{2}))?(?!\d)")


def batch_bytes(result: ParseResult) -> int:
    """The memory a batch's records hold, as far as it is known (rejects are few and not counted)."""
    dict_records = result.raw_rows - len(result.rejects) - result.arrow_rows
    return result.arrow_bytes + dict_records * DICT_RECORD_BYTES


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def name_span(name: str) -> Span | None:
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


def file_span(name: str, mtime_ns: int, timezone: str) -> Span:
    """A file's dates: from its name, else its modification day in the business timezone."""
    span = name_span(name)
    if span is not None:
        return span
    day = datetime.fromtimestamp(mtime_ns / 1e9, ZoneInfo(timezone)).date()
    return day, day


# -- options, state and load units ------------------------------------------------------------------


class FileDropOptions(ConnectorOptions):
    """A file-drop source's keys: the directory, and optionally a pattern inside it."""

    path: Path = Field(description="the directory its files are dropped in")
    glob: str | None = None  # default: the kind's own patterns (e.g. *.csv)
    # A file that cannot be read at all (not the kind's format, a header that is not UTF-8 or lacks
    # columns): quarantine it whole (one reject, rule parse.unreadable_file) and land the others, or
    # hold: the source is not extracted this night (freshness.on_stale then decides the run).
    on_bad_file: Literal["quarantine", "hold"] = "quarantine"


class FileFingerprint(Stored):
    """A file as landed: its name (relative to the source directory), size, mtime and content hash,
    the raw rows it held and, in the state, the load that holds it."""

    name: str
    size: int
    mtime_ns: int
    sha256: str
    raw_rows: int | None = None
    unreadable: str | None = None  # why the file was quarantined whole (on_bad_file: quarantine)
    load_id: str | None = None  # state only
    identical_to: str | None = None  # received with the content of this landed file: nothing landed

    def same_file(self, size: int, mtime_ns: int) -> bool:
        return self.size == size and self.mtime_ns == mtime_ns


class FileBatchUnit(LoadUnit):
    """One load of a file drop: the new or changed files it holds. The last unit of a night may
    hold only ``identical`` files (content already landed): it lands nothing."""

    files: list[FileFingerprint]
    identical: list[FileFingerprint] = Field(default_factory=list)

    @property
    def lands_data(self) -> bool:
        return bool(self.files)

    def notes(self) -> list[str]:
        return [f"{file.name}: skipped: identical to {file.identical_to}" for file in self.identical]

    def covered_span(self, timezone: str) -> Span | None:
        spans = [file_span(file.name, file.mtime_ns, timezone) for file in self.files]
        if not spans:
            return None
        return min(first for first, _ in spans), max(last for _, last in spans)


class FileDropState(SourceState):
    """The files landed so far, by name, with the load holding each."""

    files: dict[str, FileFingerprint] = Field(default_factory=dict)

    def position(self) -> list[str]:
        if not self.files:
            return []
        newest = max(self.files.values(), key=lambda file: file.mtime_ns)
        return [f"{len(self.files)} files, newest {newest.name}"]


# -- the connector -----------------------------------------------------------------------------------


@dataclass
class FileDropConnector:
    name: str
    parser: FileParser
    options: FileDropOptions
    context: ParseContext
    streams: tuple[StreamSpec, ...] = ()

    state_type: ClassVar[type[FileDropState]] = FileDropState

    @property
    def kind(self) -> str:
        return self.parser.kind

    @property
    def path(self) -> Path:
        return self.options.path

    @property
    def is_snapshot(self) -> bool:
        """Each file is a whole population (a roster): a file with no rows is a broken export."""
        return any(stream.mode == "snapshot" for stream in self.streams)

    @staticmethod
    def read_unit(data: Mapping[str, Any]) -> FileBatchUnit:
        return FileBatchUnit.from_json(data)

    def files(self) -> list[Path]:
        if not self.path.is_dir():
            raise SourceError(f"source {self.name!r}: directory not found: {self.path}")
        patterns = (self.options.glob,) if self.options.glob else self.parser.patterns
        found = {file for pattern in patterns for file in self.path.glob(pattern) if file.is_file()}
        return sorted(found)

    def pending(self, state: FileDropState) -> list[tuple[Path, FileFingerprint]]:
        """Files that are new or changed since their last load, with their fingerprints. A new file
        whose content is that of a landed file (or of an earlier file of this list) comes with
        ``identical_to`` naming it: it is not to be landed. Not for a snapshot source: a roster
        dated by its name or delivery time is a new snapshot even when it repeats an earlier one."""
        landed = {seen.sha256: seen.identical_to or name for name, seen in sorted(state.files.items())}
        pending = []
        for file in self.files():
            relative = str(file.relative_to(self.path))
            stat = file.stat()
            seen = state.files.get(relative)
            if seen and seen.same_file(stat.st_size, stat.st_mtime_ns):
                continue
            fingerprint = FileFingerprint(
                name=relative, size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=sha256_of(file)
            )
            if seen and seen.sha256 == fingerprint.sha256:
                continue  # touched but unchanged
            original = landed.get(fingerprint.sha256)
            # only a new name (a changed file replaces its own version), never a file forgotten for
            # reprocessing whose copy names it
            if seen is None and original not in (None, relative) and not self.is_snapshot:
                fingerprint = fingerprint.replace(identical_to=original)
            else:
                landed[fingerprint.sha256] = relative
            pending.append((file, fingerprint))
        return pending

    def extract(self, state: FileDropState) -> Iterator[tuple[FileBatchUnit, ParseResult]]:
        """Yield one unit (its files' fingerprints) and result per batch of new files, then one unit
        of the files identical to landed ones, if any, with an empty result (nothing to land)."""
        batch: list[FileFingerprint] = []
        identical: list[FileFingerprint] = []
        merged = ParseResult()
        for file, fingerprint in self.pending(state):
            if fingerprint.identical_to is not None:
                identical.append(fingerprint)
                continue
            result, problem = self._parse(file, fingerprint.name)
            if problem is None and result.raw_rows == 0 and self.is_snapshot:
                raise SourceError(
                    f"source {self.name!r}: {fingerprint.name}: the snapshot has no rows (a roster never becomes "
                    "empty: a broken export? replace or remove the file)"
                )
            merged.extend(result)
            batch.append(fingerprint.replace(raw_rows=result.raw_rows, unreadable=problem))
            if merged.raw_rows >= BATCH_ROWS or batch_bytes(merged) >= BATCH_BYTES:
                yield FileBatchUnit(files=batch), merged
                batch, merged = [], ParseResult()
        if batch:
            yield FileBatchUnit(files=batch), merged
        if identical:
            yield FileBatchUnit(files=[], identical=identical), ParseResult()

    def _parse(self, file: Path, shown: str) -> tuple[ParseResult, str | None]:
        """One file's records and rejects, each naming the file by ``shown`` (its path relative to
        the source's directory), and why it could not be read at all (None when it could). An
        unreadable file is one reject, unless ``on_bad_file`` is hold: then the source fails."""
        try:
            result = self.parser.parse(file, self.context)
        except (SourceError, OSError, UnicodeDecodeError, LookupError, OverflowError) as exc:
            text = str(exc) if isinstance(exc, SourceError) else f"cannot read: {exc}"
            problem = text.removeprefix(f"{file.name}: ")
            if self.options.on_bad_file == "hold":
                raise SourceError(f"source {self.name!r}: {shown}: {problem} (on_bad_file: hold)") from None
            reject = Reject(
                entity=self.parser.entities[0], source_file=shown, source_line=None,
                rule="parse.unreadable_file", message=f"file quarantined whole: {problem}",
            )  # fmt: skip
            return ParseResult(rejects=[reject]), problem
        result.relocate(file.name, shown)
        return result, None

    def advance(self, state: FileDropState, unit: FileBatchUnit, load_id: str) -> FileDropState:
        """The state after ``unit``'s load committed: its files are remembered with the load, its
        identical files with the load of the file they repeat."""
        files = dict(state.files)
        for fingerprint in unit.files:
            files[fingerprint.name] = fingerprint.replace(load_id=load_id)
        for fingerprint in unit.identical:
            original = files.get(fingerprint.identical_to or "")
            files[fingerprint.name] = fingerprint.replace(load_id=original.load_id if original else None)
        return state.replace(files=files)
