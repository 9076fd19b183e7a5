"""What `trainops` says to a new user: one clear line for a refused request (exit 2 usage, 1 failure),
and `status` telling the published marts' as-of date and warnings apart from quarantined rows."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.cli import build_parser, main, render_run
from pipeline.config import load_config
from reports.status import render, report
from warehouse.duckdb_target import publish

pytestmark = pytest.mark.integration


def write_config(tmp_path: Path) -> Path:
    (tmp_path / "reference").mkdir(exist_ok=True)
    (tmp_path / "drops").mkdir(exist_ok=True)
    path = tmp_path / "trainops.yaml"
    path.write_text(
        "home: ./home\nreference_dir: ./reference\ntimezone: Pacific/Kiritimati\n"
        "sources:\n  - {name: hr, kind: hris_csv, path: ./drops}\n"
    )
    return path


def test_the_demo_minimums_are_one_line_and_in_the_help(capsys):
    assert main(["demo", "--employees", "20"]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert "at least 80 employees, 3 months, 3 vendors" in line and "--employees 20" in line
    assert "Traceback" not in captured.out + captured.err
    demo_help = build_parser()._subparsers._group_actions[0].choices["demo"].format_help()  # noqa: SLF001
    assert "at least 80" in demo_help and "at least 3" in demo_help


def test_an_as_of_later_than_today_in_the_business_timezone_is_refused(tmp_path, capsys):
    path = write_config(tmp_path)
    future = date.today() + timedelta(days=2)  # later than today in every timezone
    for command in (["run"], ["backfill", "--start", "2026-10-01", "--end", "2026-10-02", "--dry-run"]):
        assert main([*command, "--config", str(path), "--as-of", future.isoformat()]) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert f"--as-of {future} is later than today" in line and "Pacific/Kiritimati" in line
        assert "--allow-future" in line
    args = ["backfill", "--config", str(path), "--start", "2026-10-01", "--end", "2026-10-02", "--dry-run"]
    assert main([*args, "--as-of", future.isoformat(), "--allow-future"]) == 0  # the dry run's plan


def published_home(tmp_path: Path):
    config = load_config(write_config(tmp_path))
    build = config.warehouse / "build-r1.duckdb"
    config.warehouse.mkdir(parents=True)
    with duckdb.connect(str(build)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_compliance_status as select date '2026-11-28' as as_of_date")
        con.execute(
            "create table marts.fct_compliance_history as select date '2026-11-28' as as_of_date, "
            "'E1' as employee_id, 'k1' as employee_key, 'R1' as requirement_id, 'compliant' as status"
        )
    publish(config, build, "r1")
    return config


def test_compliance_for_an_unknown_employee_fails_with_one_line(tmp_path, capsys):
    config = published_home(tmp_path)
    args = ["compliance", "--config", str(config.path), "--on", "2026-11-28"]
    assert main([*args, "--employee", "E404"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "no employee 'E404' in the published compliance history" in line
    assert main([*args, "--employee", "E1", "--requirement", "R9"]) == 1
    assert "has no requirement 'R9' on 2026-11-28" in capsys.readouterr().err


def test_status_shows_the_published_as_of_and_counts_warnings_apart(tmp_path):
    config = published_home(tmp_path)
    quarantine = config.home / "quarantine"
    quarantine.mkdir()
    rows = {"_source": ["lrs", "lrs", "lrs"], "_row": [1, 2, 3], "severity": ["warning", "warning", "error"]}
    pq.write_table(pa.table(rows), quarantine / "20261128T000000000000Z-lrs.parquet")

    data = report(config)

    assert data["published"]["as_of"] == "2026-11-28" and data["published"]["version"] == "marts-r1.duckdb"
    assert data["quarantine"]["rows"] == 1 and data["quarantine"]["warnings"] == 2
    text = render(data)
    assert "as of 2026-11-28" in text
    assert "quarantined rows: 1 (parse rejects + validation failures); warnings: 2 (rows kept)" in text


def test_a_run_without_delivered_sessions_shows_no_none_percent():
    record = {
        "run_id": "r1", "status": "success", "as_of": "2026-11-28", "sources": [],
        "validation": {"quarantined_rows": 0},
        "figures": {"compliance_pct": 50.0, "overdue": 1, "utilization_pct": None, "billed": None,
                    "expected": None, "flagged_lines": 0},
        "published": {"marts_db": "/h/warehouse/marts.duckdb", "exports": {}},
    }  # fmt: skip
    text = render_run(record)
    assert "None" not in text and "utilization: n/a (no delivered session)" in text
