"""One bad file never stops the night; every reject names its path relative to the source's
directory; naive timestamps follow the source's ``assume_timezone`` — on a real landing zone."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors import landing
from connectors.base import SourceError
from pipeline.config import ConfigError, parse_config
from pipeline.quarantine import list_quarantine, release_for_reprocessing
from pipeline.steps import extract_source, validate_pending

HEADER = "session_id,course_ref,vendor_id,modality,starts_at,ends_at,capacity,location,status\n"


def row(sid: str, starts: str = "2026-10-01T09:00:00Z", capacity: str = "12") -> str:
    return f"{sid},COC-101,V01,ilt,{starts},,{capacity},London,delivered\n"


def config_for(tmp_path: Path, **options: str):
    source = {"name": "sessions", "kind": "sessions_csv", "path": "./drops", **options}
    data = {"home": "./home", "reference_dir": ".", "sources": [source]}
    return parse_config(data, tmp_path / "trainops.yaml")


@pytest.fixture
def drops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    folder = tmp_path / "drops"
    folder.mkdir()
    return folder


def sessions(config) -> list[dict]:
    return [r for load in landing.list_loads(config.home) for r in landing.read_entity(load, "lms.session").to_pylist()]


def test_an_unreadable_file_is_quarantined_whole_and_the_others_land(tmp_path: Path, drops: Path) -> None:
    (drops / "sessions_2026-10.csv").write_text(HEADER + row("S1") + row("S2"))
    (drops / "sessions_2026-11.csv").write_bytes(HEADER.encode("utf-16"))  # e.g. saved as "Unicode text"
    (drops / "sessions_2026-12.csv").write_text("id,when\n1,2026-12-01\n")  # not this kind's columns
    config = config_for(tmp_path)
    summary = extract_source(config, config.sources[0])
    assert summary.files == 3
    assert sorted(r["session_id"] for r in sessions(config)) == ["S1", "S2"]
    assert [bad.split(":")[0] for bad in summary.bad_files] == ["sessions_2026-11.csv", "sessions_2026-12.csv"]
    assert "header lacks required column(s)" in summary.bad_files[1]
    validate_pending(config)
    found = {(r["_source_file"], r["_source_line"], r["rule"]) for r in list_quarantine(config.home)}
    assert found == {
        ("sessions_2026-11.csv", None, "parse.unreadable_file"),
        ("sessions_2026-12.csv", None, "parse.unreadable_file"),
    }
    assert extract_source(config, config.sources[0]).loads == []  # remembered: not re-read every night


def test_on_bad_file_hold_fails_the_source_naming_the_file(tmp_path: Path, drops: Path) -> None:
    (drops / "sessions_2026-10.csv").write_text(HEADER + row("S1"))
    (drops / "sessions_2026-11.csv").write_bytes(b"")
    config = config_for(tmp_path, on_bad_file="hold")
    with pytest.raises(SourceError, match=r"'sessions': sessions_2026-11.csv: empty file .*\(on_bad_file: hold\)"):
        extract_source(config, config.sources[0])
    assert landing.list_loads(config.home) == []


def test_rejects_and_records_name_the_path_relative_to_the_source_directory(tmp_path: Path, drops: Path) -> None:
    for site in ("paris", "lyon"):
        (drops / site).mkdir()
        (drops / site / "sessions.csv").write_text(HEADER + row(f"{site}-1") + row(f"{site}-2", capacity="ten"))
    config = config_for(tmp_path, glob="*/sessions.csv")
    extract_source(config, config.sources[0])
    validate_pending(config)
    rejects = {(r["_source_file"], r["_source_line"], r["rule"]) for r in list_quarantine(config.home)}
    assert rejects == {
        ("lyon/sessions.csv", 3, "parse.invalid_number"),
        ("paris/sessions.csv", 3, "parse.invalid_number"),
    }
    assert [released.files for released in release_for_reprocessing(config)] == [
        ["lyon/sessions.csv", "paris/sessions.csv"]
    ]
    assert {(r["session_id"], r["_source_file"]) for r in sessions(config)} == {
        ("lyon-1", "lyon/sessions.csv"),
        ("paris-1", "paris/sessions.csv"),
    }


def test_naive_timestamps_are_rejected_unless_the_source_names_its_zone(tmp_path: Path, drops: Path) -> None:
    (drops / "sessions_2026-03.csv").write_text(HEADER + row("S1", starts="2026-03-29T23:30:00") + row("S2"))
    config = config_for(tmp_path)
    assert extract_source(config, config.sources[0]).rejects == 1
    validate_pending(config)
    (reject,) = list_quarantine(config.home)
    assert (reject["_source_file"], reject["_source_line"], reject["rule"], reject["column_name"]) == (
        "sessions_2026-03.csv", 2, "parse.naive_timestamp", "starts_at",
    )  # fmt: skip

    berlin = config_for(tmp_path / "berlin", assume_timezone="Europe/Berlin")
    (tmp_path / "berlin").mkdir()
    (tmp_path / "berlin" / "drops").symlink_to(drops)
    assert extract_source(berlin, berlin.sources[0]).rejects == 0
    starts = {r["session_id"]: r["starts_at"] for r in sessions(berlin)}
    assert starts["S1"] == datetime(2026, 3, 29, 21, 30, tzinfo=UTC)  # CEST, +02:00 that night
    assert starts["S2"] == datetime(2026, 10, 1, 9, 0, tzinfo=UTC)  # an offset in the data wins


def test_assume_timezone_must_be_an_iana_zone(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sources\[0\]\.assume_timezone.*unknown IANA timezone 'CEST'"):
        config_for(tmp_path, assume_timezone="CEST")
