"""The file-drop connector: one configured directory of one file kind (docs/data-model.md).

New or changed files are landed together, one load per batch of whole files holding up to about
``BATCH_BYTES`` of parsed records (a night's drop is usually one load), so memory is bounded by a
batch and the largest file, not by the history a first run lands. The state remembers each file's
fingerprint (size, mtime, sha256) and the load that holds it, so the next night picks up only new
files, and a corrected file dropped under the same name is loaded again (staging keeps the latest
load).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import ParseContext, ParseResult, SourceError
from connectors.registry import PARSERS

BATCH_BYTES = 256 << 20  # parsed records held before a load is written: Arrow bytes, dicts estimated
DICT_RECORD_BYTES = 3 << 10  # a record as a Python dict (≈2.5 KiB measured for a roster row)
BATCH_ROWS = 500_000  # and never more raw rows than this in one load


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


@dataclass
class FileDropConnector:
    name: str
    kind: str
    path: Path
    glob: str | None
    context: ParseContext

    def files(self) -> list[Path]:
        if not self.path.is_dir():
            raise SourceError(f"source {self.name!r}: directory not found: {self.path}")
        patterns = (self.glob,) if self.glob else PARSERS[self.kind].patterns
        found = {file for pattern in patterns for file in self.path.glob(pattern) if file.is_file()}
        return sorted(found)

    def pending(self, state: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
        """Files that are new or changed since their last load, with their fingerprints."""
        known = state.get("files", {})
        pending = []
        for file in self.files():
            relative = str(file.relative_to(self.path))
            stat = file.stat()
            seen = known.get(relative)
            if seen and seen["size"] == stat.st_size and seen["mtime_ns"] == stat.st_mtime_ns:
                continue
            fingerprint = {
                "name": relative,
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "sha256": sha256_of(file),
            }
            if seen and seen["sha256"] == fingerprint["sha256"]:
                continue  # touched but unchanged
            pending.append((file, fingerprint))
        return pending

    def extract(self, state: dict[str, Any]) -> Iterator[tuple[dict[str, Any], ParseResult]]:
        """Yield ``({"files": [fingerprint, …]}, result)`` per batch of new files."""
        parser = PARSERS[self.kind]
        batch: list[dict[str, Any]] = []
        merged = ParseResult()
        for file, fingerprint in self.pending(state):
            try:
                result = parser.parse(file, self.context)
            except SourceError:
                raise
            except (OSError, UnicodeDecodeError) as exc:
                raise SourceError(f"source {self.name!r}: cannot read {file}: {exc}") from None
            merged.extend(result)
            batch.append({**fingerprint, "raw_rows": result.raw_rows})
            if merged.raw_rows >= BATCH_ROWS or batch_bytes(merged) >= BATCH_BYTES:
                yield {"files": batch}, merged
                batch, merged = [], ParseResult()
        if batch:
            yield {"files": batch}, merged

    def advance(self, state: dict[str, Any], unit: dict[str, Any], load_id: str) -> dict[str, Any]:
        """The state after ``unit``'s load committed: its files are remembered with the load."""
        files = dict(state.get("files", {}))
        for fingerprint in unit["files"]:
            files[fingerprint["name"]] = {**fingerprint, "load_id": load_id}
        return {**state, "files": files}
