"""The benchmark's path end to end on a tiny enterprise (scale XS), so `make bench` cannot rot.

Speed is not asserted here (STYLE: no timed tests): the figures must exist, be positive, and the
limit script must compute the same headline figures as the published marts. The incremental night
and the month's backfill are further nightly runs of the same code path, so the run leaves them
out to keep CI fast; the files they drop are checked on their own below.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / "benchmarks" / "run.py"
FIGURES = (
    "full_run_s", "limit_s", "full_over_limit", "validation_share", "incremental_s", "incremental_over_full",
    "backfill_month_s", "peak_rss_mib", "ours_rows_per_s", "dlt_rows_per_s", "ours_over_dlt",
)  # fmt: skip


def bench_module():
    spec = importlib.util.spec_from_file_location("trainops_bench_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def xs_result(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("bench")
    command = [
        sys.executable, str(RUN), "--scale", "XS", "--engine", "steps",
        "--skip", "incremental", "--skip", "backfill", "--skip", "dlt_dict",
        "--out-dir", str(root / "out"), "--results-dir", str(root / "results"),
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads((root / "results" / "XS.json").read_text())


def test_results_name_the_run(xs_result):
    assert xs_result["scale"] == "XS"
    assert isinstance(xs_result["cores"], int) and xs_result["cores"] >= 1
    assert xs_result["commit"]
    assert set(FIGURES) <= set(xs_result["figures"])


def test_measured_figures_are_positive(xs_result):
    figures = xs_result["figures"]
    for name in ("full_run_s", "limit_s", "full_over_limit", "peak_rss_mib", "ours_rows_per_s"):
        assert figures[name] is not None and figures[name] > 0, name
    assert 0 < figures["validation_share"] < 1
    assert set(xs_result["stages_s"]) == {"extract", "validate", "build", "publish"}
    if importlib.util.find_spec("dlt") is not None:  # the bench group is installed
        assert figures["dlt_rows_per_s"] > 0 and figures["ours_over_dlt"] > 0


def test_limit_computes_the_marts_figures(xs_result):
    check = xs_result["limit_check"]
    assert check["marts"]["compliance_rows"] > 0 and check["marts"]["invoice_lines"] > 0
    assert check["differences"] == {}


def test_new_day_and_redelivered_month_are_new_files(tmp_path, monkeypatch):
    from demo import generate

    bench = bench_module()
    monkeypatch.setattr(bench, "DAY_STATEMENTS", 40)  # the day's size is fixed, whatever the scale
    monkeypatch.setattr(bench, "DAY_BOOKING_UPDATES", 3)
    as_of = date(2026, 11, 28)
    generate(tmp_path, as_of=as_of, seed=3, employees=120, months=3, vendors=3)
    xapi = tmp_path / "drops" / "xapi"
    old_ids = {
        json.loads(line)["id"]
        for path in xapi.glob("*.jsonl")
        for line in path.read_text().splitlines()
        if line.startswith("{") and line.endswith("}")
    }
    added = bench.drop_new_day(tmp_path, as_of)
    new_file = xapi / "statements_2026-11-28.jsonl"
    statements = [json.loads(line) for line in new_file.read_text().splitlines()]
    assert added["xapi_statements"] == len(statements) == 40
    assert added["booking_updates"] == 3
    bookings = (tmp_path / "drops" / "bookings" / "bookings_2026-11-28.csv").read_text().splitlines()[1:]
    assert len(bookings) == 3 and all(",2026-11-28T" in line for line in bookings)
    assert not {statement["id"] for statement in statements} & old_ids
    assert all(statement["timestamp"].startswith("2026-11-28") for statement in statements)

    month_file = xapi / "statements_2026-10.jsonl"
    cached = tmp_path / "cached.jsonl"  # the generated cache: work copies are hard links to it
    cached.hardlink_to(month_file)
    before = cached.read_bytes()
    redelivered = bench.redeliver_month(tmp_path, date(2026, 10, 1))
    assert redelivered["files"] >= 3
    assert month_file.read_bytes() == before + b"\n"
    assert cached.read_bytes() == before
