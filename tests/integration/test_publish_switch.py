"""A publish killed between its two switches (marts.duckdb swapped in, exports/current not yet):
the next run's recovery leaves the Parquet exports and the DuckDB marts agreeing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from connectors.testhooks import PAUSE_AT, PAUSE_FILE
from pipeline.config import parse_config
from pipeline.lifecycle import recover
from warehouse.duckdb_target import publish, published_run

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PUBLISHER = r"""
import sys
from pathlib import Path
from pipeline.config import parse_config
from warehouse.duckdb_target import publish
config = parse_config({"home": sys.argv[1], "reference_dir": ".", "sources": [{"name": "hr", "kind": "hris_csv",
                      "path": "."}]}, Path(sys.argv[2]))
publish(config, Path(sys.argv[3]), sys.argv[4])
"""


def make_build(path: Path, rows: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.fct_invoice_reconciliation as select range as id from range({rows})")
    return path


def rows(con: duckdb.DuckDBPyConnection, relation: str, parameters: list[str] | None = None) -> int:
    return con.execute(f"select count(*) from {relation}", parameters or []).fetchone()[0]


def agree(config) -> tuple[int, int]:
    with duckdb.connect(str(config.marts_db), read_only=True) as con:
        marts = rows(con, "fct_invoice_reconciliation")
        parquet = rows(con, "read_parquet(?)", [str(config.exports / "current" / "fct_invoice_reconciliation.parquet")])
    return marts, parquet


@pytest.mark.parametrize("point, published", [("publish", 15), ("publish-switch", 16)])
def test_a_publish_killed_between_marts_and_exports_is_settled_consistently(tmp_path, monkeypatch, point, published):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    home = tmp_path / "O'Brien data"
    config = parse_config({"home": str(home), "reference_dir": ".", "sources": [{"name": "hr", "kind": "hris_csv",
                          "path": "."}]}, tmp_path / "trainops.yaml")  # fmt: skip
    config.warehouse.mkdir(parents=True)
    publish(config, make_build(config.warehouse / "build-r1.duckdb", 15), "r1")
    (home / "runs").mkdir()
    (home / "runs" / "r2.json").write_text(json.dumps({"run_id": "r2", "status": "running"}))

    marker = tmp_path / "paused"
    env = {**os.environ, PAUSE_AT: point, PAUSE_FILE: str(marker)}
    build = make_build(config.warehouse / "build-r2.duckdb", 16)
    command = [sys.executable, "-c", PUBLISHER, str(home), str(tmp_path / "trainops.yaml"), str(build), "r2"]
    process = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, "the publisher ended before the pause point"
            assert time.monotonic() < deadline, "the publisher did not reach the pause point"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    recover(config)

    assert agree(config) == (published, published)
    assert published_run(config) == ("r2" if published == 16 else "r1")
    assert sorted(path.name for path in (config.warehouse / "versions").iterdir()) == (
        ["marts-r1.duckdb", "marts-r2.duckdb"] if published == 16 else ["marts-r1.duckdb"]
    )
