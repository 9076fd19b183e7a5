"""The per-source freshness record the runs keep (``state/_freshness.json``: last successful
extraction, last new data, last failure and its error), which ``trainops status`` and the freshness
policy read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors import state

FRESHNESS_FILE = "_freshness.json"  # under state/; source names cannot start with "_"


def utc_now() -> datetime:
    return datetime.now(UTC)


# -- freshness records -----------------------------------------------------------------------------


def freshness_path(home: Path) -> Path:
    return home / "state" / FRESHNESS_FILE


def read_freshness(home: Path) -> dict[str, dict[str, Any]]:
    path = freshness_path(home)
    return json.loads(path.read_text()) if path.exists() else {}


def record_extractions(
    home: Path, outcomes: dict[str, str | None], new_data: set[str], now: datetime | None = None
) -> None:
    """Remember each source's extraction outcome: ``None`` = success, else the one-line error."""
    now_text = (now or utc_now()).isoformat()
    records = read_freshness(home)
    for source, error in outcomes.items():
        entry = dict(records.get(source, {}))
        if error is None:
            entry.update(last_success_at=now_text, last_error=None)
            if source in new_data:
                entry["last_new_data_at"] = now_text
        else:
            entry.update(last_failure_at=now_text, last_error=error)
        records[source] = entry
    state.commit_state(home, FRESHNESS_FILE.removesuffix(".json"), records)
