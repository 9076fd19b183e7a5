"""A BI process reading marts.duckdb during publishes: never blocked, never broken, never half a version."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.config import parse_config
from warehouse.duckdb_target import publish

pytestmark = pytest.mark.integration

READER = r"""
import json, sys, time
from pathlib import Path
import duckdb

marts, out, stop, mode = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
# `hold`: a dashboard that keeps one connection open; `reconnect`: a notebook that reconnects per query.
# (DuckDB shares one database instance per file within a process, so a process sees a new publish
# once all its connections to the file have closed.)
held = duckdb.connect(str(marts), read_only=True) if mode == "hold" else None
seen, errors, queries = set(), [], 0
deadline = time.monotonic() + 120                           # bounded: stops by itself
while not stop.exists() and time.monotonic() < deadline:
    try:
        con = held or duckdb.connect(str(marts), read_only=True)
        low, high, rows = con.execute("select min(v), max(v), count(*) from fct_a").fetchone()
        other = con.execute("select max(v) from fct_b").fetchone()[0]
        if held is None:
            con.close()
        if low != high or other != low or rows != 1000:
            errors.append(f"mixed versions: {low} {high} {other} {rows}")
        seen.add(low)
        queries += 1
    except Exception as exc:  # noqa: BLE001 - every failure is a finding
        errors.append(repr(exc))
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"seen": sorted(seen), "errors": errors, "queries": queries}))
    tmp.replace(out)
"""


def make_build(path: Path, version: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.fct_a as select range as id, {version} as v from range(1000)")
        con.execute(f"create table marts.fct_b as select {version} as v")
    return path


def wait_for(predicate, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_reader_process_keeps_querying_through_publishes(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    data = {"home": "./home", "reference_dir": ".", "sources": [{"name": "hr", "kind": "hris_csv", "path": "."}]}
    config = parse_config(data, tmp_path / "trainops.yaml")
    config.warehouse.mkdir(parents=True)
    publish(config, make_build(config.warehouse / "build-1.duckdb", 1), "r1")

    stop = tmp_path / "stop"
    readers = {}
    for mode in ("hold", "reconnect"):
        out = tmp_path / f"{mode}.json"
        command = [sys.executable, "-c", READER, str(config.marts_db), str(out), str(stop), mode]
        readers[mode] = (subprocess.Popen(command), out)

    def state(mode):
        out = readers[mode][1]
        return json.loads(out.read_text()) if out.exists() else None

    try:
        for mode in readers:
            wait_for(lambda m=mode: (s := state(m)) and 1 in s["seen"], f"the {mode} reader's first query")
        for version in range(2, 6):
            publish(config, make_build(config.warehouse / f"build-{version}.duckdb", version), f"r{version}")
            wait_for(
                lambda v=version: (s := state("reconnect")) and v in s["seen"], f"a reader to see version {version}"
            )
        stop.touch()
        for process, _ in readers.values():
            assert process.wait(timeout=60) == 0
    finally:
        for process, _ in readers.values():
            process.kill()
    hold, reconnect = state("hold"), state("reconnect")
    assert hold["errors"] == [] and reconnect["errors"] == []
    assert hold["seen"] == [1] and hold["queries"] >= 5  # one consistent version while it holds the file
    assert reconnect["seen"] == [1, 2, 3, 4, 5]  # each new version on reconnect, never a mix
