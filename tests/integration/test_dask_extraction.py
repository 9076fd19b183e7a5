"""Extraction on Dask (``extract: {task_runner: dask}`` in trainops.yaml, ``prefect_dask.DaskTaskRunner``).

The same generated demo enterprise is run twice, each into its own home: once with the default
thread pool (the session's ``small_night``, tests/conftest.py), once on a real local Dask cluster of
two worker *processes* (``dask_address``). The Dask run must land the same rows (same files and
lines, each once) and publish the same marts (checksums with load/run ids reduced to their source,
run-time columns left out), and its extraction tasks must have run on the cluster's workers (their
executed-task counters), reported to Prefect as completed task runs. A local cluster the runner
starts itself (``workers: N``, no address) is checked on one source; the ``extract:`` keys are
validated with one-line errors naming the key.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import pytest
from homes import SMALL_AS_OF, comparable_marts, landed_rows, write_config
from prefect import flow

from connectors import landing
from flows.nightly import extract, extraction_runner, nightly_sync
from pipeline.config import ConfigError, Extraction, load_config, parse_config
from pipeline.demo_config import DEMO_SOURCES
from pipeline.lifecycle import RunFailed

pytestmark = pytest.mark.integration

AS_OF = SMALL_AS_OF  # the session's small_night


def task_runs_of(config_path: Path) -> list:
    """The task runs of this config's nightly-sync flow run, from the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["nightly-sync"])))
        (run,) = [run for run in runs if run.parameters.get("config_path") == str(config_path)]
        return client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))


@pytest.fixture(scope="module")
def demo(small_demo) -> Path:
    return small_demo


@pytest.fixture(scope="module")
def cluster():
    """A real local Dask cluster: a scheduler and two single-threaded worker processes. The test's
    client is not the process's default one, so the run connects by address like a remote run."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0") as local,
        Client(local, set_as_default=False) as client,
    ):
        yield local, client


def executed_per_worker(client) -> dict[str, tuple[int, int]]:
    return client.run(lambda dask_worker: (os.getpid(), dask_worker.state.executed_count))


@pytest.fixture(scope="module")
def runs(demo, small_night, cluster, tmp_path_factory, prefect_harness):
    """The thread pool's run is the session's ``small_night`` (the same drops, the default ``extract:``)."""
    local, client = cluster
    dask_path = write_config(
        demo,
        tmp_path_factory.mktemp("dask-runs"),
        f"extract: {{task_runner: dask, dask_address: '{local.scheduler_address}'}}",
    )
    before = executed_per_worker(client)
    distributed = nightly_sync(as_of=AS_OF, config_path=str(dask_path))
    after = executed_per_worker(client)
    return {
        "threads": (small_night["config"], small_night["record"]),
        "dask": (load_config(dask_path), distributed),
        "dask_path": dask_path,
        "executed": {worker: (pid, after[worker][1] - before[worker][1]) for worker, (pid, _) in after.items()},
    }


def test_dask_run_lands_the_same_rows_and_publishes_the_same_marts(runs):
    (threads_config, threaded), (dask_config, distributed) = runs["threads"], runs["dask"]
    assert threads_config.extract == Extraction() and dask_config.extract.task_runner == "dask"
    assert threaded["status"] == distributed["status"] == "success"

    def per_source(record):
        return {
            s["source"]: (s["kind"], len(s["loads"]), s["files"], s["rows"], s["rejects"]) for s in record["sources"]
        }

    assert per_source(distributed) == per_source(threaded)
    assert set(per_source(distributed)) == set(DEMO_SOURCES)
    landed = landed_rows(dask_config.home)
    assert landed == landed_rows(threads_config.home) and max(landed.values()) == 1  # same rows, each once
    assert len(landed) > 1000
    assert comparable_marts(dask_config.marts_db) == comparable_marts(threads_config.marts_db)
    assert distributed["published"]["tables"] == threaded["published"]["tables"]
    assert distributed["figures"] == threaded["figures"]


def test_the_extraction_tasks_ran_on_the_dask_workers(runs):
    executed = runs["executed"]
    assert len(executed) == 2
    assert all(pid != os.getpid() for pid, _ in executed.values())  # worker processes, not this one
    assert sum(count for _, count in executed.values()) == len(DEMO_SOURCES)  # one task per source
    print(f"\n[figures] extraction tasks per Dask worker: {sorted(count for _, count in executed.values())}")
    task_runs = task_runs_of(runs["dask_path"])
    names = [run.name for run in task_runs if run.name.startswith("extract-")]
    extraction = sorted(name.rsplit("-", 1)[0] for name in names)  # less Prefect's "-3c1" suffix
    expected = sorted(f"extract-{name}-{kind.replace('_', '-')}" for name, (kind, _) in DEMO_SOURCES.items())
    assert extraction == expected
    assert {run.state.type.value for run in task_runs if run.name.startswith("extract-")} == {"COMPLETED"}


@flow(name="extract-on-a-local-cluster")
def extract_all(config_path: str) -> list[dict]:
    """The nightly flow's extraction step alone: every source through ``extraction_runner``."""
    config = load_config(config_path)
    with extraction_runner(config) as runner:
        futures = [runner.submit(extract, {"config": config, "source": source}) for source in config.sources]
        return [asdict(future.result()) for future in futures]


def test_a_local_cluster_is_started_for_the_run_when_no_address_is_given(demo, runs, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    path = write_config(demo, tmp_path, "extract: {task_runner: dask, workers: 1}", sources=("hr", "lrs_export"))
    assert load_config(path).extract == Extraction("dask", 1, None)
    summaries = extract_all(str(path))
    threads_config, threaded = runs["threads"]
    expected = {s["source"]: (s["files"], s["rows"], s["rejects"]) for s in threaded["sources"]}
    assert {s["source"]: (s["files"], s["rows"], s["rejects"]) for s in summaries} == {
        name: expected[name] for name in ("hr", "lrs_export")
    }
    home = load_config(path).home
    landed = landed_rows(home)
    assert landed == Counter(
        {key: n for key, n in landed_rows(threads_config.home).items() if key[0] in ("hr", "lrs_export")}
    )
    messages = [(record.name, record.getMessage()) for record in caplog.records]
    assert any("Creating a new Dask cluster with `distributed.deploy.local.LocalCluster`" in m for _, m in messages)
    # the extraction tasks logged in the worker process, not in this one …
    assert not extraction_log_lines(messages)
    # … which is where they log on the thread pool
    caplog.clear()
    extract_all(str(write_config(demo, tmp_path / "threads", "extract: {workers: 2}", sources=("hr", "lrs_export"))))
    assert len(extraction_log_lines([(record.name, record.getMessage()) for record in caplog.records])) == 2


def extraction_log_lines(messages: list[tuple[str, str]]) -> list[str]:
    """The extract task's own summary lines ("hr: 3 new files, rows …")."""
    return [m for name, m in messages if name.startswith("prefect.task_runs") and m.startswith(("hr:", "lrs_export:"))]


def test_an_unreachable_dask_scheduler_fails_the_run_and_publishes_nothing(demo, tmp_path, prefect_harness):
    import dask

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    path = write_config(demo, tmp_path, f"extract: {{task_runner: dask, dask_address: '{address}'}}")
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), pytest.raises(RunFailed) as caught:
        nightly_sync(as_of=AS_OF, config_path=str(path))
    assert str(caught.value).startswith(f"extraction: the Dask cluster ({address}) is not available: ")
    assert caught.value.record["status"] == "failed"
    home = load_config(path).home
    assert landing.list_loads(home) == [] and not (home / "warehouse" / "marts.duckdb").exists()


@pytest.mark.parametrize(
    ("extract_yaml", "error"),
    [
        ("extract: dask", "extract: expected a mapping with task_runner, workers and/or dask_address"),
        ("extract: {task_runner: spark}", "extract.task_runner: expected one of threads, dask, got 'spark'"),
        ("extract: {workers: 0}", "extract.workers: expected a whole number ≥ 1, got 0"),
        ("extract: {workers: true}", "extract.workers: expected a whole number ≥ 1, got True"),
        ("extract: {n_workers: 2}", "extract.n_workers: unknown key (expected task_runner, workers or dask_address)"),
        ("extract: {dask_address: 'tcp://10.0.0.5:8786'}", "extract.dask_address: only with task_runner: dask"),
        (
            "extract: {task_runner: dask, dask_address: 'http://scheduler'}",
            "extract.dask_address: expected a Dask scheduler address such as tcp://10.0.0.5:8786, got 'http://scheduler'",
        ),
        (
            "extract: {task_runner: dask, dask_address: 'tcp://10.0.0.5:8786', workers: 2}",
            "extract.workers: not with dask_address (the cluster's own workers run the extraction)",
        ),
    ],
)
def test_extract_keys_are_validated(tmp_path, extract_yaml, error):
    import yaml

    data = yaml.safe_load(
        f"reference_dir: ./ref\n{extract_yaml}\nsources: [{{name: hr, kind: hris_csv, path: ./hr}}]\n"
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(data, tmp_path / "trainops.yaml")
    assert str(caught.value) == f"{tmp_path / 'trainops.yaml'}: {error}"


@pytest.mark.parametrize(
    ("extract_yaml", "expected"),
    [
        ("", Extraction("threads", 4, None)),
        ("extract: {workers: 8}", Extraction("threads", 8, None)),
        ("extract: {task_runner: dask}", Extraction("dask", 4, None)),
        (
            "extract: {task_runner: dask, dask_address: 'tls://sched.internal:8786'}",
            Extraction("dask", 4, "tls://sched.internal:8786"),
        ),
        ("extract: {task_runner: dask, dask_address: '10.0.0.5:8786'}", Extraction("dask", 4, "10.0.0.5:8786")),
    ],
)
def test_extract_settings_parse(tmp_path, extract_yaml, expected):
    import yaml

    data = yaml.safe_load(
        f"reference_dir: ./ref\n{extract_yaml}\nsources: [{{name: hr, kind: hris_csv, path: ./hr}}]\n"
    )
    assert parse_config(data, tmp_path / "trainops.yaml").extract == expected
