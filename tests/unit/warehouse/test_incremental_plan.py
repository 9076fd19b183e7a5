"""The night's kind — full, incremental or noop — from the inputs' fingerprint against the base's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.config import Config, parse_config
from warehouse import incremental
from warehouse.dbt import DBT_PROJECT_DIR

VARS = {"as_of": "2026-11-30", "business_timezone": "Europe/London", "due_soon_days": 30}


def _land(home: Path, load_id: str, table: pa.Table) -> None:
    load = home / "landing" / "lrs" / load_id
    load.mkdir(parents=True)
    pq.write_table(table, load / "lms.learning_record.parquet")
    (load / "manifest.json").write_text("{}")
    (home / "quarantine").mkdir(exist_ok=True)
    pq.write_table(pa.table({"rule": pa.array([], pa.string())}), home / "quarantine" / f"{load_id}.parquet")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "courses.csv").write_text("course_id\nC1\n")
    (tmp_path / "drops").mkdir()
    data = {"home": "home", "reference_dir": "reference",
            "sources": [{"name": "lrs", "kind": "xapi_files", "path": "drops"}]}  # fmt: skip
    config = parse_config(data, tmp_path / "trainops.yaml")
    _land(config.home, "20261130T000000000000Z-lrs", pa.table({"record_id": ["a"]}))
    config.warehouse.mkdir(parents=True)
    build = config.warehouse / "build-1.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create schema marts; create table marts.fct_compliance_status as select 1 as x")
    first = incremental.plan_night(config, DBT_PROJECT_DIR, VARS)
    assert first.kind == "full" and "no audited base build" in first.reasons[0]
    incremental.remember_base(config, build, first)
    return config


def test_nothing_new_is_a_noop_night_of_the_as_of_models(config: Config) -> None:
    plan = incremental.plan_night(config, DBT_PROJECT_DIR, {**VARS, "as_of": "2026-12-01"})
    assert plan.kind == "noop"
    assert "int_compliance_dates+" in plan.select() and not any(name.startswith("stg_") for name in plan.select())


def test_a_new_load_is_an_incremental_night(config: Config) -> None:
    _land(config.home, "20261201T000000000000Z-lrs", pa.table({"record_id": ["b"]}))
    plan = incremental.plan_night(config, DBT_PROJECT_DIR, VARS)
    assert plan.kind == "incremental" and plan.new_loads == ["20261201T000000000000Z-lrs"]
    selection = plan.select()
    # the new load's entity and what reads it; the quarantine model alone (every staging model reads
    # it) and its readers outside staging; not the staging of entities the load did not bring
    assert "source:lms.learning_record+" in selection and "stg_quarantine__rows" in selection
    assert "stg_quarantine__rows+" not in selection and "int_landed_rows_classified+" in selection
    assert not any("hris" in name or "booking" in name for name in selection)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("reference", "reference data changed"),
        ("rules", "rule vars or settings changed"),
        ("quarantine", "quarantine reprocessed"),
        ("validated_late", "quarantine reprocessed"),
        ("schema", "landed data schema changed"),
        ("gone", "gone from the landing zone"),
        ("corrupt", "unreadable"),
        ("missing", "is missing"),
        ("refresh", "trainops run --full-refresh"),
    ],
)
def test_a_full_night_says_why(config: Config, change: str, reason: str) -> None:
    build_vars, refresh = dict(VARS), None
    if change == "reference":
        (config.reference_dir / "courses.csv").write_text("course_id\nC1\nC2\n")
    elif change == "rules":
        build_vars["due_soon_days"] = 45
    elif change == "quarantine":
        path = config.home / "quarantine" / "20261130T000000000000Z-lrs.parquet"
        pq.write_table(pa.table({"rule": ["x"]}), path)
    elif change == "validated_late":  # a base load whose validation result appears after the base
        base = json.loads((config.warehouse / "base.json").read_text())
        base["fingerprint"]["validation"] = {}
        (config.warehouse / "base.json").write_text(json.dumps(base))
    elif change == "schema":
        _land(config.home, "20261201T000000000000Z-lrs", pa.table({"record_id": [1]}))
    elif change == "gone":
        for path in (config.home / "landing" / "lrs" / "20261130T000000000000Z-lrs").iterdir():
            path.unlink()
    elif change == "corrupt":
        (config.warehouse / "build-1.duckdb").write_bytes(b"not a database")
    elif change == "missing":
        (config.warehouse / "build-1.duckdb").unlink()
    else:
        refresh = "trainops run --full-refresh"
    plan = incremental.plan_night(config, DBT_PROJECT_DIR, build_vars, refresh)
    assert plan.kind == "full"
    assert any(reason in why for why in plan.reasons), plan.reasons
    assert plan.select() == []


def test_every_model_reading_the_as_of_date_is_rebuilt_on_a_noop_night() -> None:
    models = incremental.as_of_models(DBT_PROJECT_DIR)
    assert {"int_compliance_dates", "int_contract_periods", "fct_compliance_status"} <= set(models)
    assert not any(name.startswith("stg_") for name in models)


@pytest.mark.parametrize(
    ("kind", "kept"),
    [
        ("incremental", ["marts.fct_compliance_status"]),  # new loads: the history is rebuilt whole
        ("noop", ["marts.fct_compliance_history", "marts.fct_compliance_status"]),  # it adds its new dates
    ],
)
def test_the_copied_base_keeps_the_changes_still_in_its_wal(
    tmp_path: Path, kind: incremental.Kind, kept: list[str]
) -> None:
    base = tmp_path / "build-1.duckdb"
    writer = (
        "import duckdb, os\n"
        f"con = duckdb.connect({str(base)!r})\n"
        "con.execute(\"set checkpoint_threshold = '1GB'\")\n"
        "con.execute('create schema marts; create table marts.fct_compliance_status as select 1 as x')\n"
        "con.execute('create table marts.fct_compliance_history as select 1 as x')\n"
        "os._exit(0)\n"  # no checkpoint on close: the tables live in the WAL (as dbt may leave them)
    )
    subprocess.run([sys.executable, "-c", writer], check=True)
    assert base.with_name(f"{base.name}.wal").exists()
    build = tmp_path / "build-2.duckdb"
    incremental.prepare_copy(incremental.Plan(kind, [], {}, base), build)
    with duckdb.connect(str(build)) as con:
        tables = con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()
    assert sorted(name for (name,) in tables) == kept  # the WAL's tables, less those rebuilt whole
