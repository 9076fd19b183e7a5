"""A file corrected in place (same name in the drop, new content) replaces its earlier version whole.

Each version of a file lands in its own load. Staging keeps the latest row per natural key, which is
not enough when the correction drops a row (an invoice line removed, an employee taken off a
roster): the earlier version's row would live on. So the landed rows of every version a later load
of the same source holds again are marked ``file.replaced`` (severity ``replaced``) in that earlier
load's validation result, and staging leaves them out like quarantined rows. A later version that
a critical check rejected, or that was quarantined whole as unreadable, replaces nothing.
``pipeline/steps.py`` ``validate_pending`` calls these.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors import landing, vocabulary

RULE = "file.replaced"
Rejected = Callable[[str], bool]  # was this load rejected whole by a critical check?


def unit_files(load: landing.Load) -> set[str]:
    """The names of the files a file-drop load holds (none for an API load). A file quarantined
    whole (``unreadable``) is left out: it landed no rows, so it replaces no earlier version."""
    files = (load.manifest.get("unit") or {}).get("files") or []
    return {file["name"] for file in files if isinstance(file, dict) and "name" in file and not file.get("unreadable")}


def replacements(load: landing.Load, loads: list[landing.Load], rejected: Rejected) -> dict[str, str]:
    """File name → the latest later load of the same source (not rejected) that holds it again."""
    names = unit_files(load)
    found: dict[str, str] = {}
    for later in loads:
        if later.source == load.source and later.load_id > load.load_id and not rejected(later.load_id):
            for name in names & unit_files(later):
                found[name] = max(found.get(name, ""), later.load_id)
    return found


def replaced_rows(load: landing.Load, loads: list[landing.Load], rejected: Rejected) -> list[dict[str, Any]]:
    """Quarantine rows (``RULE``) for the landed rows of ``load`` whose file a later load replaces.
    Rows name their file by its name in the drop, or that name's last part."""
    rows: list[dict[str, Any]] = []
    for name, later in sorted(replacements(load, loads, rejected).items()):
        spellings = {name, Path(name).name}
        message = f"replaced by the version of {name} landed in load {later}"
        for entity in load.manifest["entities"]:
            table = landing.read_entity(load, entity)
            if table is None:
                continue
            meta = table.select(["_load_id", "_row", "_source", "_source_file", "_source_line"]).to_pylist()
            rows += [
                {**row, "entity": entity, "rule": RULE, "severity": vocabulary.REPLACED, "column_name": None,
                 "value": None, "message": message, "record": None}
                for row in meta
                if row["_source_file"] in spellings
            ]  # fmt: skip
    return rows


def earlier_versions(load: landing.Load, loads: list[landing.Load]) -> list[landing.Load]:
    """The source's earlier loads holding a file ``load`` holds again."""
    names = unit_files(load)
    return [
        earlier
        for earlier in loads
        if earlier.source == load.source and earlier.load_id < load.load_id and names & unit_files(earlier)
    ]
