"""`vendors.csv` of the reference directory: which vendor an e-invoice's seller is (docs/data-model.md)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from connectors.base import SourceError
from connectors.parsing import CsvFile


def _norm(identifier: str) -> str:
    return re.sub(r"\s+", "", identifier).upper()


@lru_cache(maxsize=8)
def _load_vendors(path: Path, mtime_ns: int, size: int) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    with CsvFile(path) as csv_file:
        csv_file.require(("vendor_id", "identifiers"))
        for row in csv_file:
            if row.undecodable:
                raise SourceError(f"{path}: line {row.line} is not UTF-8 text")
            vendor_id = (row.values.get("vendor_id") or "").strip()
            if not vendor_id:
                continue
            for identifier in (row.values.get("identifiers") or "").split(";"):
                if identifier.strip():
                    vendors = index.setdefault(_norm(identifier), [])
                    if vendor_id not in vendors:
                        vendors.append(vendor_id)
    return {key: tuple(value) for key, value in index.items()}


def vendor_index(reference_dir: Path) -> dict[str, tuple[str, ...]]:
    """`vendors.csv` as normalised identifier → vendor_ids."""
    path = reference_dir / "vendors.csv"
    try:
        stat = path.stat()
    except OSError:
        raise SourceError(f"vendors.csv not found in reference directory {reference_dir}") from None
    return _load_vendors(path, stat.st_mtime_ns, stat.st_size)


def resolve_vendor(ids: list[str], index: dict[str, tuple[str, ...]]) -> list[str]:
    """The vendors whose identifiers match any seller id: exactly, or (for a scheme-qualified seller id
    such as `0088:7300010000001`) by its bare value."""
    matches: list[str] = []
    for identifier in ids:
        candidates = [_norm(identifier)]
        if ":" in identifier:
            candidates.append(_norm(identifier.split(":", 1)[1]))
        for candidate in candidates:
            for vendor_id in index.get(candidate, ()):
                if vendor_id not in matches:
                    matches.append(vendor_id)
    return matches
