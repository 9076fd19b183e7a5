"""Typed source states and load units read and write exactly the JSON earlier versions wrote.

``written_before_typed_state.json`` holds what the connectors wrote before their state and units
were typed (captured from that code, run against loopback servers): for each family (file drop,
xAPI LRS incremental and backfill window, Merge full and incremental, BambooHR), every committed
state file and load manifest in order, with what ``trainops status`` and backfill planning made of
them then (``position``, ``span``).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from connectors import landing, registry
from connectors.base import ParseContext, SourceError
from connectors.files import FileDropOptions
from connectors.state import commit_source_state, read_source_state
from pipeline.backfill_plan import load_span
from reports.status import position

STORED = json.loads((Path(__file__).parent / "written_before_typed_state.json").read_text())
FAMILIES = sorted(STORED)


def kind_of(snapshot: dict) -> str:
    return snapshot["manifest"]["kind"]


def as_load(snapshot: dict) -> landing.Load:
    manifest = snapshot["manifest"]
    return landing.Load(manifest["load_id"], manifest["source"], Path("/nonexistent"), manifest)


@pytest.mark.parametrize("family", FAMILIES)
def test_states_and_units_read_and_write_the_same_json(family):
    for snapshot in STORED[family]:
        kind, unit = kind_of(snapshot), snapshot["manifest"]["unit"]
        assert registry.read_unit(kind, unit).to_json() == unit
        if "state" in snapshot:
            assert registry.state_type(kind).from_json(snapshot["state"]).to_json() == snapshot["state"]


@pytest.mark.parametrize("family", FAMILIES)
def test_status_and_backfill_planning_see_what_they_saw(family):
    for snapshot in STORED[family]:
        if "state" in snapshot:
            assert position(kind_of(snapshot), snapshot["state"]) == snapshot["position"]
        span = load_span(as_load(snapshot), "Europe/London")
        assert span == tuple(date.fromisoformat(day) for day in snapshot["span"])


OPTIONS = {
    "xapi_lrs": {"url": "http://lrs.invalid/xAPI/", "username_env": "LRS_USER", "password_env": "LRS_PASSWORD"},
    "merge_hris": {"api_key_env": "MERGE_KEY", "account_token_env": "MERGE_ACCOUNT"},
    "bamboohr": {"company_domain": "acme", "api_key_env": "BHR_KEY"},
}


def connector(kind: str, tmp_path: Path):
    if kind in registry.FILE_KINDS:
        return registry.file_connector("src", kind, FileDropOptions(path=tmp_path), ParseContext())
    return registry.api_source_connector("src", kind, registry.options_model(kind).model_validate(OPTIONS[kind]))


@pytest.mark.parametrize("family", ["files", "lrs", "merge_full", "merge_incremental", "bamboohr"])
def test_advancing_an_old_state_over_an_old_unit_writes_the_old_next_state(family, tmp_path):
    """A run of the typed connectors continues from a state on disk exactly as the old code did."""
    snapshots = STORED[family]
    conn = connector(kind_of(snapshots[0]), tmp_path)
    previous = {"merge_incremental": STORED["merge_full"][-1]["state"]}.get(family, {})
    for snapshot in snapshots:
        load_id = snapshot["manifest"]["load_id"]
        current = conn.state_type.from_json(previous)
        advanced = conn.advance(current, conn.read_unit(snapshot["manifest"]["unit"]), load_id)
        assert advanced.replace(committed_load_id=load_id).to_json() == snapshot["state"]
        previous = snapshot["state"]


def test_a_state_file_round_trips_through_the_disk(tmp_path):
    stored = STORED["merge_incremental"][0]["state"]
    state_type = registry.state_type("merge_hris")
    commit_source_state(tmp_path, "merge", state_type.from_json(stored))
    again = read_source_state(tmp_path, "merge", state_type)
    assert again.to_json() == stored and again.run is not None and again.run.pages == 1
    assert again.run.next.params["cursor"] == "c2" and again.last_full_snapshot_date == date(2026, 11, 28)
    (tmp_path / "state" / "merge.json").write_text('{"run": {"pages": "many"}}')
    with pytest.raises(SourceError, match=r"merge.json: not a valid state for source 'merge'"):
        read_source_state(tmp_path, "merge", state_type)
