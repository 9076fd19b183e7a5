"""Incremental nights on DuckDB equal full nights on Postgres, night after night.

One small demo enterprise, one landing zone, a sequence of nights: a first full night, a night with
no new files (noop) and a night with new files of four sources (a late and a voiding statement, an
HR snapshot with a rehire and a transfer, a re-delivered booking, a late LMS export). Each night is
built on DuckDB — noop and incremental on a copy of the last audited build — and then on Postgres,
where every night is a full build; after each, the marts and restricted models hold the same rows on
both. With test_incremental_nights.py (every DuckDB night equals a full DuckDB rebuild) this is the
sequence on both targets. Real extraction, validation, dbt and publish (the flow's steps called as
plain functions), a real Postgres server on loopback (CI starts it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from demo import generate
from flows.nightly import validate_build_publish
from pipeline import steps
from pipeline.config import load_config
from pipeline.demo_config import write_demo_config
from tests.integration.equivalence import compare, duckdb_tables, postgres_tables
from tests.integration.night_changes import drop_late_and_voiding, land_updates
from warehouse import postgres_target as postgres

pytestmark = pytest.mark.integration

AS_OF = date(2026, 11, 30)


def _night(config_path: Path, as_of: date, target: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Extract, validate, build, publish on ``target``; the run record."""
    monkeypatch.setenv("TRAINOPS_TARGET", target)
    config = load_config(config_path)
    for source in config.sources:
        steps.extract_source(config, source)
    run_id = f"{as_of:%Y%m%d}T0000000000{0 if target == 'duckdb' else 1:02d}Z"
    record: dict[str, Any] = {"run_id": run_id}
    validate_build_publish(config, as_of, run_id, record)
    return record


def _new_files(demo: Path) -> Callable[[], None]:
    def drop() -> None:
        drop_late_and_voiding(demo / "drops" / "xapi")
        land_updates(demo / "drops", AS_OF + timedelta(days=2))

    return drop


def test_incremental_duckdb_nights_equal_full_postgres_nights(
    tmp_path: Path, prefect_harness: None, postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = tmp_path / "demo"
    generate(demo, as_of=AS_OF, seed=7, employees=80, months=3)
    config_path = write_demo_config(demo, home=tmp_path / "home")
    nights: list[tuple[str, date, Callable[[], None] | None]] = [
        ("full", AS_OF, None),
        ("noop", AS_OF + timedelta(days=1), None),
        ("incremental", AS_OF + timedelta(days=2), _new_files(demo)),
    ]
    for kind, as_of, drop in nights:
        if drop is not None:
            drop()
        on_duckdb = _night(config_path, as_of, "duckdb", monkeypatch)
        assert on_duckdb["night"]["kind"] == kind, on_duckdb["night"]
        on_postgres = _night(config_path, as_of, "postgres", monkeypatch)
        assert on_postgres["night"]["kind"] == "full", on_postgres["night"]
        assert on_postgres["published"]["marts_db"].startswith("postgresql://")
        duckdb_marts = duckdb_tables(str(on_duckdb["build"]["build_db"]))
        with psycopg.connect(**postgres.connection_settings(), autocommit=True) as con:
            postgres_marts = postgres_tables(con, {"marts": "marts", "restricted": "restricted"})
        assert sum(len(rows) for _, rows in duckdb_marts.values()) > 1000
        problems = compare(duckdb_marts, postgres_marts, f"duckdb ({kind})", "postgres (full)")
        assert problems == [], f"{as_of}: " + "\n".join(problems[:5])
        assert on_postgres["figures"]["billed"] == on_duckdb["figures"]["billed"]
