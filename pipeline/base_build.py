"""The record of the last audited (published) DuckDB build, kept beside the builds: which build file
it is, its kind and its fingerprint. ``warehouse/incremental.py`` writes it after a publish and plans
the next night from it; ``pipeline/lifecycle.py`` keeps that build when it prunes old ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BASE_FILE = "base.json"  # in the warehouse folder


def read_base(warehouse: Path) -> dict[str, Any] | None:
    """The base record, or None when there is none or it cannot be read (not JSON, not an object)."""
    try:
        base = json.loads((warehouse / BASE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return base if isinstance(base, dict) else None
