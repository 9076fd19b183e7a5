"""SIGTERM (a scheduler's cancel) and SIGINT (Ctrl-C) during the dbt build: `trainops run` and its
children are gone within 10 s, the run is recorded as cancelled, and the published marts and
Parquet exports are yesterday's, unchanged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from homes import SMALL_AS_OF, copy_home

from pipeline.config import load_config
from warehouse.duckdb_target import published_checksums, published_run

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
AS_OF = SMALL_AS_OF  # the session's small_night


@pytest.fixture(scope="module")
def published(small_demo, small_night, tmp_path_factory):
    """A home with one published night: a copy of the session's ``small_night`` (these runs add
    cancelled runs to it)."""
    return copy_home(small_demo, small_night["path"], tmp_path_factory.mktemp("signals") / "run")


def api_url() -> str:
    from prefect.settings import get_current_settings

    return str(get_current_settings().api.url)


def dbt_children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [child for child in process.children(recursive=True) if "dbt" in " ".join(child.cmdline())]
    except psutil.NoSuchProcess:
        return []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_the_dbt_build_cancels_the_run_and_its_children(published, tmp_path, signum):
    config = load_config(published)
    before, run_before = published_checksums(config.marts_db), published_run(config)
    env = {**os.environ, "PREFECT_API_URL": api_url()}
    command = [sys.executable, "-m", "flows.cli", "run", "--config", str(published), "--as-of", AS_OF.isoformat()]
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        watched = psutil.Process(process.pid)
        deadline = time.monotonic() + 600
        while not (children := dbt_children(watched)):
            assert process.poll() is None, f"the run ended before its dbt build:\n{log_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, "no dbt build in 10 minutes"
            time.sleep(0.1)  # waiting for an event, not timing anything
        tree = [watched, *watched.children(recursive=True)]
        time.sleep(2)  # dbt is under way (parsing, building)

        process.send_signal(signum)
        sent = time.monotonic()
        gone, alive = psutil.wait_procs(tree, timeout=10)
        took = time.monotonic() - sent
    finally:
        os.killpg(process.pid, signal.SIGKILL) if process.poll() is None else None
        process.wait()

    output = log_path.read_text()
    assert alive == [], f"still running {took:.1f} s after {signum.name}: {alive}\n{output[-3000:]}"
    assert children and all(child in gone for child in children)
    # wait_procs reaped the run's process (Popen then sees no status): its exit code is psutil's
    assert watched in gone and watched.returncode == 128 + signum, output[-5000:]
    # the first progress line (before Prefect starts), then the outcome in one line
    progress, line = [line for line in output.splitlines() if line.startswith("trainops:")]
    assert "starting Prefect" in progress
    assert f"cancelled by {signum.name}" in line and "Traceback" not in output
    records = [json.loads(path.read_text()) for path in sorted((config.home / "runs").glob("*.json"))]
    assert records[-1]["status"] == "cancelled" and signum.name in records[-1]["error"]
    assert published_checksums(config.marts_db) == before and published_run(config) == run_before
    assert not list(config.warehouse.glob(f"build-{records[-1]['run_id']}*"))
    assert not list(config.warehouse.glob("building.duckdb*"))  # nor what dbt was writing
