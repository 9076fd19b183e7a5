"""Per-source state (file fingerprints, cursors, watermarks), committed only after the load it
describes is committed, so a crash repeats work but never skips data (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def state_path(home: Path, source: str) -> Path:
    return home / "state" / f"{source}.json"


def read_state(home: Path, source: str) -> dict[str, Any]:
    path = state_path(home, source)
    if not path.exists():
        return {}
    return json.loads(path.read_text())


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
