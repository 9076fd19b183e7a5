"""prefect.yaml for real: a Prefect server on loopback, `prefect deploy` of the `backfill` deployment,
a run triggered with parameters, and a process worker executing it (one poll, then it exits)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
import yaml

from demo import generate
from pipeline.demo_config import DEMO_SOURCES, demo_source_yaml

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 28)
PREFECT = str(Path(sys.executable).parent / "prefect")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_prefect_yaml_declares_the_three_deployments():
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in spec["deployments"]}
    assert set(deployments) == {"nightly-sync", "backfill", "rebuild-marts"}
    (schedule,) = deployments["nightly-sync"]["schedules"]  # from trainops.yaml, by `trainops deploy`
    assert schedule["cron"] == "{{ $TRAINOPS_SCHEDULE_CRON }}"
    assert schedule["timezone"] == "{{ $TRAINOPS_SCHEDULE_TIMEZONE }}"
    assert all(d["concurrency_limit"]["limit"] == 1 for d in deployments.values())
    assert all(d["work_pool"]["name"] == "trainops" for d in deployments.values())
    assert deployments["backfill"]["entrypoint"] == "flows/backfill.py:backfill"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`prefect server start` on a free loopback port, with its own PREFECT_HOME (SQLite), and the
    process work pool ``trainops`` the deployments name. One for the module: each test deploys its
    own deployment to it (``backfill``, ``nightly-sync``)."""
    tmp_path = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "DO_NOT_TRACK": "1",
    }
    env.pop("PREFECT_PROFILE", None)
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui", "--no-services"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(f"{env['PREFECT_API_URL']}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prefect server did not start:\n{(tmp_path / 'server.log').read_text()[-3000:]}")
            time.sleep(0.2)  # waiting for the server to listen, not timing anything
        pool = requests.post(
            f"{env['PREFECT_API_URL']}/work_pools/", json={"name": "trainops", "type": "process"}, timeout=30
        )
        assert pool.status_code == 201, pool.text
        yield env
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def prefect(env: dict, *args: str, timeout: float = 600) -> str:
    completed = subprocess.run(
        [PREFECT, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert completed.returncode == 0, (
        f"prefect {' '.join(args)}:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    )
    return completed.stdout


def test_backfill_deployment_runs_on_a_process_worker(server, tmp_path):
    demo = tmp_path / "demo"
    generate(demo, as_of=AS_OF, seed=3, employees=80, months=3, vendors=3)
    home = tmp_path / "home"
    config = tmp_path / "trainops.yaml"
    sources = "".join(demo_source_yaml(name, demo / "drops" / sub) + "\n" for name, (_, sub) in DEMO_SOURCES.items())
    config.write_text(
        f"home: {home}\nreference_dir: {demo / 'reference'}\ntimezone: Europe/London\nsources:\n{sources}"
    )
    today = datetime.now(ZoneInfo("Europe/London")).date()  # undated files are dated by when they were written
    end = max(AS_OF, today)

    api = server["PREFECT_API_URL"]
    prefect(server, "--no-prompt", "deploy", "--name", "backfill")
    deployment = requests.get(f"{api}/deployments/name/backfill/backfill", timeout=30).json()
    limit = deployment.get("global_concurrency_limit") or {}
    assert limit.get("limit") == 1 and deployment["work_pool_name"] == "trainops", deployment
    params = {"start": "2026-01-01", "end": end.isoformat(), "chunk_days": 120, "as_of": AS_OF.isoformat()}
    created = requests.post(
        f"{api}/deployments/{deployment['id']}/create_flow_run", json={"parameters": params}, timeout=30
    )
    assert created.status_code == 201, created.text
    flow_run_id = created.json()["id"]

    worker_env = {**server, "TRAINOPS_REPO": str(REPO), "TRAINOPS_CONFIG": str(config)}
    prefect(worker_env, "worker", "start", "--pool", "trainops", "--run-once", "--limit", "1")

    run = requests.get(f"{api}/flow_runs/{flow_run_id}", timeout=10).json()
    assert run["state"]["type"] == "COMPLETED", run["state"]
    assert run["parameters"]["start"] == "2026-01-01" and run["parameters"]["chunk_days"] == 120
    records = [json.loads(path.read_text()) for path in (home / "runs").glob("*.json")]
    assert [(r["flow"], r["status"]) for r in records] == [("backfill", "success")]
    assert records[0]["backfill"]["chunks_run"] > 0 and records[0]["backfill"]["loads"]
    assert (home / "warehouse" / "marts.duckdb").exists()
    artifacts = requests.post(
        f"{api}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}, timeout=10
    ).json()
    progress = next(a for a in artifacts if a["type"] == "progress")
    assert progress["key"] == "backfill-progress" and progress["data"] == 100.0
    assert "chunks" in progress["description"]
    assert any(a["type"] == "markdown" and a["key"] == "backfill-summary" for a in artifacts)


def test_trainops_deploy_schedules_the_nightly_in_the_configs_timezone(server, tmp_path):
    """``trainops deploy``: the nightly-sync deployment gets trainops.yaml's ``schedule.cron`` and,
    as no ``schedule.timezone`` is given, the config's ``timezone``."""
    config = tmp_path / "trainops.yaml"
    config.write_text(
        f"reference_dir: {tmp_path}\ntimezone: America/Chicago\nschedule: {{cron: '15 3 * * 1-5'}}\n"
        f"sources: [{{name: hr, kind: hris_csv, path: {tmp_path}}}]\n"
    )
    api = server["PREFECT_API_URL"]
    trainops = str(Path(sys.executable).parent / "trainops")
    done = subprocess.run(
        [trainops, "deploy", "--config", str(config)], env=server, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    deployment = requests.get(f"{api}/deployments/name/nightly-sync/nightly-sync", timeout=30).json()
    (schedule,) = [entry["schedule"] for entry in deployment["schedules"]]
    assert (schedule["cron"], schedule["timezone"]) == ("15 3 * * 1-5", "America/Chicago")
