"""Quarantine listing and re-processing after a fix, on a real landing zone (no Prefect, no dbt)."""

import os
from pathlib import Path

import pyarrow.parquet as pq

from connectors import landing, state
from pipeline.config import parse_config
from pipeline.quarantine import list_quarantine, release_for_reprocessing, summarize_quarantine
from pipeline.steps import extract_source, validate_pending

HEADER = "session_id,course_ref,vendor_id,modality,starts_at,ends_at,capacity,location,status\n"
GOOD = "S1,COC-101,V01,ilt,2026-10-01T09:00:00Z,2026-10-01T17:00:00Z,12,London,delivered\n"


def setup(tmp_path: Path, rows: str):
    drops = tmp_path / "drops"
    drops.mkdir()
    (drops / "sessions_2026-10.csv").write_text(HEADER + GOOD + rows)
    data = {
        "home": "./home",
        "reference_dir": ".",
        "sources": [{"name": "sessions", "kind": "sessions_csv", "path": "./drops"}],
    }
    return parse_config(data, tmp_path / "trainops.yaml"), drops


def test_quarantine_lists_parse_and_validation_findings_with_location(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    config, _ = setup(tmp_path, "S2,COC-101,V01,ilt,2026-10-02T09:00:00Z,,ten,London,delivered\n"
                                "S3,COC-101,V01,ilt,2026-10-03T09:00:00Z,,0,London,delivered\n")  # fmt: skip
    extract_source(config, config.sources[0])
    validate_pending(config)
    found = {
        (row["_source_file"], row["_source_line"], row["rule"], row["stage"]) for row in list_quarantine(config.home)
    }
    assert found == {
        ("sessions_2026-10.csv", 3, "parse.invalid_number", "parse"),
        ("sessions_2026-10.csv", 4, "session.capacity_range", "validation"),
    }
    assert list_quarantine(config.home, rule="parse.invalid_number")[0]["value"] == "ten"
    assert list_quarantine(config.home, source="other") == []
    assert {row["rule"]: row["findings"] for row in summarize_quarantine(config.home)} == {
        "parse.invalid_number": 1,
        "session.capacity_range": 1,
    }


def test_reprocess_relands_a_file_fixed_in_place_and_keeps_the_old_findings(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    config, drops = setup(tmp_path, "S2,COC-101,V01,ilt,2026-10-02T09:00:00Z,,ten,London,delivered\n")
    source = config.sources[0]
    extract_source(config, source)
    validate_pending(config)
    assert extract_source(config, source).loads == []  # nothing new: the file is remembered

    fixed = drops / "sessions_2026-10.csv"
    stat = fixed.stat()
    fixed.write_text(fixed.read_text().replace(",ten,", ",10,"))  # corrected in place …
    os.utime(fixed, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # … even with the same size and mtime
    released = release_for_reprocessing(config)
    assert [(item.source, item.files) for item in released] == [("sessions", ["sessions_2026-10.csv"])]
    assert "sessions_2026-10.csv" not in state.read_state(config.home, "sessions").get("files", {})

    summary = extract_source(config, source)
    assert len(summary.loads) == 1 and summary.rows == {"lms.session": 2} and summary.rejects == 0
    new_load = landing.list_loads(config.home)[-1]
    assert pq.read_table(new_load.path / "lms.session.parquet").column("capacity").to_pylist() == [12, 10]
    assert len(list_quarantine(config.home)) == 1  # the old finding stays, as the record of what happened
    assert release_for_reprocessing(config, ["sessions"])[0].files == ["sessions_2026-10.csv"]


def test_warnings_release_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    config, _ = setup(tmp_path, "")
    extract_source(config, config.sources[0])
    validate_pending(config)
    assert release_for_reprocessing(config) == []
