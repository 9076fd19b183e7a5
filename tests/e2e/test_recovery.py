"""Crash recovery, resumable and idempotent backfills, and the freshness policy, on a generated
enterprise.

A real `trainops run` subprocess is stopped at a named point (``TRAINOPS_TEST_PAUSE_AT``, see
``connectors/testhooks.py``) and killed with SIGKILL there; the next run must complete, publish marts
equal to a clean run's, and have landed every raw record exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from homes import SMALL_AS_OF, comparable_marts, copy_home, landed_rows, write_config

from connectors import landing, state
from connectors.testhooks import PAUSE_AT, PAUSE_FILE, POINTS
from flows.backfill import backfill
from flows.nightly import nightly_sync, rebuild_marts
from pipeline import steps
from pipeline.config import load_config
from pipeline.demo_config import DEMO_SOURCES
from pipeline.lifecycle import RunFailed
from warehouse.dbt import BUILDING_FILE
from warehouse.duckdb_target import published_checksums

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
AS_OF = SMALL_AS_OF  # the session's small_night


@pytest.fixture(scope="module")
def demo(small_demo) -> Path:
    return small_demo


@pytest.fixture(scope="module")
def clean(demo, small_night, tmp_path_factory):
    """The reference: one uninterrupted run on the same drops (the session's ``small_night``), in a
    copy of its home that this module's later tests run more nights on."""
    path = copy_home(demo, small_night["path"], tmp_path_factory.mktemp("clean"))
    config = load_config(path)
    return {"config": config, "record": small_night["record"], "marts": comparable_marts(config.marts_db)}


def api_url() -> str:
    from prefect.settings import get_current_settings

    return str(get_current_settings().api.url)


def run_and_kill_at(point: str, config_path: Path, folder: Path) -> str:
    """Start `trainops run` in a subprocess, wait until it reports reaching ``point``, SIGKILL it
    (and its dbt child). Returns its output."""
    marker, log_path = folder / f"paused-{point}", folder / f"killed-{point}.log"
    env = {**os.environ, PAUSE_AT: point, PAUSE_FILE: str(marker), "PREFECT_API_URL": api_url(),
           "PREFECT_LOGGING_LEVEL": "WARNING"}  # fmt: skip
    command = [sys.executable, "-m", "flows.cli", "run", "--config", str(config_path), "--as-of", AS_OF.isoformat()]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 600
        while not marker.exists():
            if process.poll() is not None:
                pytest.fail(
                    f"`trainops run` ended ({process.returncode}) before {point}:\n{log_path.read_text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"`trainops run` did not reach {point} in 10 minutes:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)  # waiting for an event, not timing anything
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return log_path.read_text()


def evidence_of_the_crash(point: str, home: Path) -> None:
    """What the killed run left proves it died where the test says."""
    warehouse = home / "warehouse"
    assert not (warehouse / "marts.duckdb").exists()  # nothing published yet
    if point == "extract":
        assert list(home.glob("landing/*/.tmp-*")), "no half-written load"
    elif point == "landed":
        orphans = [
            load for load in landing.list_loads(home)
            if state.read_state(home, load.source).get(steps.COMMITTED_LOAD) != load.load_id
        ]  # fmt: skip
        assert orphans, "no load committed ahead of its state"
    elif point == "dbt-build":
        assert (warehouse / BUILDING_FILE).exists(), "dbt had not started writing"
        assert not list(warehouse.glob("dbt/*/run_results.json")), "dbt had finished"
    elif point == "publish":
        assert list(warehouse.glob(".publish-*.duckdb")), "nothing staged"


def test_runs_killed_at_each_point_are_recovered_and_the_last_publishes_a_clean_runs_marts(demo, clean, tmp_path):
    """A bad week on a fresh home: each night's run is SIGKILLed at the next point — during
    extraction, between landing and state commit, during the dbt build, during publish — so each
    run first recovers from the one before and gets further; the fifth completes. (One chain
    rather than four independent runs: the same recoveries for half the dbt builds.)"""
    config_path = write_config(demo, tmp_path)
    home = load_config(config_path).home

    for point in POINTS:
        run_and_kill_at(point, config_path, tmp_path)
        evidence_of_the_crash(point, home)
    record = nightly_sync(as_of=AS_OF, config_path=str(config_path))

    assert record["status"] == "success"
    runs = [json.loads(path.read_text()) for path in sorted((home / "runs").glob("*.json"))]
    assert [run["status"] for run in runs] == ["crashed"] * 4 + ["success"]
    notes = [" | ".join(run.get("recovered", [])) for run in runs]
    assert "half-written load" in notes[1] and runs[0]["run_id"] in notes[1]  # after the kill in extraction
    assert runs[2]["run_id"] in notes[3]  # the killed dbt build's file and target removed with it
    assert ".publish-" in notes[4] and runs[3]["run_id"] in notes[4]
    assert not list(home.glob("landing/*/.tmp-*")) and not list(home.glob("warehouse/.publish-*"))
    assert [path.name for path in (home / "warehouse").glob("build-*.duckdb")] == [f"build-{record['run_id']}.duckdb"]
    assert comparable_marts(load_config(config_path).marts_db) == clean["marts"]
    landed, expected = landed_rows(home), landed_rows(clean["config"].home)
    assert landed == expected  # nothing lost, nothing landed twice
    assert max(landed.values()) == 1
    sources = [load.source for load in landing.list_loads(home)]
    assert sorted(sources) == sorted(DEMO_SOURCES)  # one load per source, as in the clean run


def test_backfill_resumes_after_a_failed_chunk_and_publishes_identical_marts(clean, demo, capsys):
    """A backfill overlapping the nightly data changes nothing, and an interrupted one resumes."""
    config = clean["config"]
    before = published_checksums(config.marts_db)
    versions = len(list((config.warehouse / "versions").glob("*.duckdb")))
    broken = config.source("hr").path / "employees_2026-10-15.csv"
    broken.write_bytes(b"\xff\xfe\x00not a roster\n")
    # the HR source holds on an unreadable file (the default quarantines it and lands the rest)
    config.path.write_text(config.path.read_text().replace("{name: hr, ", "{name: hr, on_bad_file: hold, "))
    start, end = date(2026, 9, 1), AS_OF
    try:
        with pytest.raises(RunFailed, match=r"1 chunk\(s\) failed.*employees_2026-10-15.csv"):
            backfill(start=start, end=end, chunk_days=30, as_of=AS_OF, config_path=str(config.path))
    finally:
        broken.unlink()
    progress = json.loads(next((config.home / "state" / "_backfills").glob("*.json")).read_text())
    assert len(progress["done"]) == progress["chunks_total"] - 1 and not progress.get("finished_at")
    assert published_checksums(config.marts_db) == before  # nothing published by the failed attempt

    record = backfill(start=start, end=end, chunk_days=30, as_of=AS_OF, config_path=str(config.path))

    info = record["backfill"]
    assert (info["chunks_run"], info["chunks_resumed"]) == (1, progress["chunks_total"] - 1)
    assert info["loads"] == []  # the files are unchanged: nothing landed twice
    revalidated = progress_revalidated(progress) + info["revalidated"]
    assert revalidated and all(steps.quarantine_path(config.home, load).exists() for load in revalidated)
    assert len(list((config.warehouse / "versions").glob("*.duckdb"))) == versions + 1  # published once
    assert published_checksums(config.marts_db) == before
    assert json.loads(next((config.home / "state" / "_backfills").glob("*.json")).read_text())["finished_at"]


def test_rebuild_marts_from_landing_publishes_identical_marts(clean):
    config = clean["config"]
    before = published_checksums(config.marts_db)
    loads = landing.list_loads(config.home)

    record = rebuild_marts(as_of=AS_OF, config_path=str(config.path))

    assert (record["flow"], record["status"], record["sources"]) == ("rebuild-marts", "success", [])
    assert landing.list_loads(config.home) == loads  # nothing extracted
    assert record["published"]["version"] != clean["record"]["published"]["version"]
    assert published_checksums(config.marts_db) == before


def progress_revalidated(progress: dict) -> list[str]:
    return [load for chunk in progress["done"].values() for load in chunk["revalidated"]]


def test_a_source_that_stays_down_holds_or_publishes_stale_as_configured(
    clean, demo, tmp_path, httpserver, monkeypatch
):
    hook = "/services/T0/B0/sEcReT"
    httpserver.expect_request(hook, method="POST").respond_with_data("ok")
    monkeypatch.setenv("TRAINOPS_TEST_WEBHOOK", httpserver.url_for(hook))
    config = clean["config"]
    before = published_checksums(config.marts_db)
    folder = tmp_path / "ops"
    hold = write_config(demo, folder / "hold", "notify_webhook_env: TRAINOPS_TEST_WEBHOOK")
    stale = write_config(
        demo, folder / "stale", "freshness: {on_stale: publish}\nnotify_webhook_env: TRAINOPS_TEST_WEBHOOK"
    )
    for path in (hold, stale):  # same home as the clean run; the LRS export holds on an unreadable file
        text = path.read_text().replace(str(path.parent / "home"), str(config.home))
        path.write_text(text.replace("{name: lrs_export, ", "{name: lrs_export, on_bad_file: hold, "))
    broken = config.source("lrs_export").path / "statements_2026-12.json"
    broken.write_bytes(b"\xff\xfe\x00not json\n")  # a document that is not text: unreadable whole
    try:
        with pytest.raises(RunFailed, match="statements_2026-12.json.*on_stale is hold"):
            nightly_sync(as_of=AS_OF, config_path=str(hold))
        record = nightly_sync(as_of=AS_OF, config_path=str(stale))
        from reports.status import report

        status = report(load_config(stale))
    finally:
        broken.unlink()

    assert record["status"] == "stale" and set(record["stale_sources"]) == {"lrs_export"}
    extracted = {source["source"] for source in record["sources"]}
    assert extracted == set(DEMO_SOURCES) - {"lrs_export"}  # the others were still extracted
    assert published_checksums(config.marts_db) == before  # published, from the data landed so far
    texts = [json.loads(request.get_data())["text"] for request, _ in httpserver.log]
    assert len(texts) == 2
    assert "nightly-sync* failed" in texts[0] and "statements_2026-12.json" in texts[0]
    assert "stale source(s) lrs_export" in texts[1]
    lrs = next(source for source in status["sources"] if source["source"] == "lrs_export")
    assert lrs["stale"] and "statements_2026-12.json" in lrs["last_error"]
    assert status["healthy"] is False and status["runs"][0]["status"] == "stale"
    assert status["published"]["run_id"] == record["run_id"]
    assert status["quarantine"]["rows"] > 0


def add_late_statement(demo: Path) -> None:
    """A new xAPI file: one statement of a known learner, for a date the marts already cover."""
    xapi = demo / "drops" / "xapi"
    template = json.loads(sorted(xapi.glob("statements_*.jsonl"))[-1].read_text().splitlines()[0])
    late = {**template, "id": "00000000-0000-4000-8000-00000000b001", "timestamp": "2026-11-20T10:00:00.000Z"}
    (xapi / "statements_2026-11-late.jsonl").write_text(json.dumps(late) + "\n")


def test_an_incremental_night_killed_in_its_dbt_build_is_rerun_to_a_clean_nights_marts(demo, tmp_path, prefect_harness):
    """The base night is published; a new xAPI file arrives; the incremental night is SIGKILLed while
    dbt writes the copy of the base build. The rerun recovers, builds incrementally and publishes
    marts equal to those of two uninterrupted nights on the same drops."""
    drops = tmp_path / "demo"
    shutil.copytree(demo, drops)  # the module's drops stay as they are for the other tests
    reference_path, config_path = write_config(drops, tmp_path / "reference"), write_config(drops, tmp_path / "killed")
    for path in (reference_path, config_path):
        assert nightly_sync(as_of=AS_OF, config_path=str(path))["night"]["kind"] == "full"
    add_late_statement(drops)
    reference = nightly_sync(as_of=AS_OF, config_path=str(reference_path))
    assert reference["status"] == "success" and reference["night"]["kind"] == "incremental", reference["night"]
    home = load_config(config_path).home
    published = published_checksums(home / "warehouse" / "marts.duckdb")

    run_and_kill_at("dbt-build", config_path, tmp_path)

    warehouse = home / "warehouse"
    killed = json.loads(sorted((home / "runs").glob("*.json"))[-1].read_text())
    assert killed["status"] == "running"  # as the kill left it; the rerun marks it crashed
    building = warehouse / BUILDING_FILE
    assert building.exists() and not (warehouse / "dbt" / killed["run_id"] / "run_results.json").exists()
    # killed while dbt wrote to the copy of the base (its WAL holds what dbt committed), not before
    assert building.with_name(f"{building.name}.wal").exists()
    assert published_checksums(warehouse / "marts.duckdb") == published  # the last night's marts stay

    record = nightly_sync(as_of=AS_OF, config_path=str(config_path))

    assert record["status"] == "success"
    assert record["night"]["kind"] == "incremental", record["night"]
    assert killed["run_id"] in " | ".join(record.get("recovered", []))
    runs = [json.loads(path.read_text()) for path in sorted((home / "runs").glob("*.json"))]
    assert [run["status"] for run in runs] == ["success", "crashed", "success"]
    assert not (warehouse / BUILDING_FILE).exists()
    assert comparable_marts(warehouse / "marts.duckdb") == comparable_marts(load_config(reference_path).marts_db)
    assert landed_rows(home) == landed_rows(load_config(reference_path).home)  # the new file landed once
