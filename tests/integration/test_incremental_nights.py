"""Incremental nights equal full rebuilds: a sequence of nights over a small demo enterprise, and
after each one the marts (and restricted models) the night built — full, incremental or noop, on a
copy of the last audited build — equal a full rebuild's on the same inputs. Real extraction, real
Great Expectations, real ``dbt build`` on DuckDB (steps called as plain functions, without Prefect).

Slow (two dbt builds per night): run it on its own, ``nice -n 10 uv run pytest
tests/integration/test_incremental_nights.py``.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from demo import generate
from pipeline import steps
from pipeline.config import load_config
from pipeline.demo_config import write_demo_config
from tests.integration.equivalence import compare, duckdb_tables
from tests.integration.night_changes import drop_late_and_voiding, land_updates
from warehouse import dbt, duckdb_target, incremental

AS_OF = date(2026, 11, 30)


def _night(config_path: Path, as_of: date, run_id: str, full_refresh: str | None = None) -> dbt.BuildResult:
    """Extract, validate, build, publish (the nightly flow's steps, in order)."""
    config = load_config(config_path)
    for source in config.sources:
        steps.extract_source(config, source)
    assert not steps.validate_pending(config).critical
    result = dbt.build_marts(config, as_of, run_id, full_refresh=full_refresh)
    assert result.success, result.failures
    duckdb_target.publish(config, result.build_db, run_id)
    assert result.plan is not None
    incremental.remember_base(config, result.build_db, result.plan)
    return result


def _assert_equals_full_rebuild(config_path: Path, as_of: date, night: dbt.BuildResult, run_id: str) -> None:
    config = load_config(config_path)
    full = dbt.build_marts(config, as_of, run_id, full_refresh="equivalence check")
    assert full.success and full.kind == "full", full.failures
    schemas = ("marts", "restricted", "staging", "intermediate")  # the incremental staging models too
    problems = compare(
        duckdb_tables(str(night.build_db), schemas), duckdb_tables(str(full.build_db), schemas), night.kind, "full"
    )
    assert problems == [], "\n".join(problems[:5])


def _history_dates_built(night: dbt.BuildResult) -> list[str] | None:
    """The dates fct_compliance_history computed on ``night`` (None: its whole spine), from the
    filter in its compiled SQL (dbt/macros/compliance.sql on_dates)."""
    results = json.loads((night.build_db.parent / "dbt" / night.build_db.stem.removeprefix("build-")
                          / "run_results.json").read_text())["results"]  # fmt: skip
    sql = next(r["compiled_code"] for r in results if r["unique_id"] == "model.trainops.fct_compliance_history")
    filters = re.findall(r"where as_of_date in \(((?:\s*cast\('[\d-]+' as date\),?)*)\s*\)", sql)
    if not filters:
        return None
    return sorted({day for found in filters for day in re.findall(r"'([\d-]+)'", found)})


@pytest.mark.integration
def test_nights_equal_full_rebuilds(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    generate(demo, as_of=AS_OF, seed=7, employees=80, months=3)
    config_path = write_demo_config(demo, home=tmp_path)

    first = _night(config_path, AS_OF, "20261130T000000000000Z")
    assert first.kind == "full" and "no audited base build" in first.reasons[0]

    # no new files, the next day: noop (as-of models rebuilt). It crosses a month end: the history
    # keeps 30 November (now a month-end of the window), adds 1 December and drops the month that
    # left the window, computing the new date only
    noop = _night(config_path, AS_OF + timedelta(days=1), "20261201T000000000000Z")
    assert noop.kind == "noop", noop.reasons
    assert noop.selected and all(not name.startswith("stg_") for name in noop.selected)
    assert _history_dates_built(noop) == ["2026-12-01"]
    _assert_equals_full_rebuild(config_path, AS_OF + timedelta(days=1), noop, "20261201T000000000001Z")

    # another noop night: yesterday's as-of date, no month-end, leaves the history
    again = _night(config_path, AS_OF + timedelta(days=2), "20261202T000000000000Z")
    assert again.kind == "noop", again.reasons
    assert _history_dates_built(again) == ["2026-12-02"]
    _assert_equals_full_rebuild(config_path, AS_OF + timedelta(days=2), again, "20261202T000000000001Z")

    # a new file: a late statement for an old date, and a statement voiding an earlier one
    xapi = demo / "drops" / "xapi"
    lines = drop_late_and_voiding(xapi)
    new = _night(config_path, AS_OF + timedelta(days=2), "20261202T000000000002Z")
    assert new.kind == "incremental", new.reasons
    assert _history_dates_built(new) is None  # new loads: the whole spine
    _assert_equals_full_rebuild(config_path, AS_OF + timedelta(days=2), new, "20261202T000000000003Z")

    # new files of three other sources: an HR snapshot with a rehire and a transfer, a booking file
    # re-delivering a booking with another status, a late LMS export updating a record; and a
    # statement re-using a stored statement's id with other content (the first stored version stays)
    changes = land_updates(demo / "drops", AS_OF + timedelta(days=3))
    reused = {**json.loads(lines[2]), "stored": "2026-12-03T08:00:00.000Z"}
    reused["verb"] = {"id": "http://adlnet.gov/expapi/verbs/failed", "display": {"en-US": "failed"}}
    (xapi / "statements_2026-12-03.jsonl").write_text(json.dumps(reused) + "\n")
    updated = _night(config_path, AS_OF + timedelta(days=3), "20261203T000000000000Z")
    assert updated.kind == "incremental", updated.reasons
    assert {"source:hris.employee+", "source:lms.booking+", "source:lms.learning_record+"} <= set(updated.selected)
    assert not any("invoice" in name or "session" in name for name in updated.selected)
    with duckdb.connect(str(updated.build_db), read_only=True) as con:
        conflicts = con.execute("select record_id from staging.stg_lms__learning_record_conflicts").fetchall()
        latest = "select {} from staging.stg_hris__employees where employee_id = ? order by snapshot_date desc limit 1"
        rehired = con.execute(latest.format("status"), [changes["rehired"]]).fetchone()
        moved = con.execute(latest.format("department"), [changes["moved"]]).fetchone()
        booking = con.execute(
            "select status from staging.stg_lms__bookings where session_id = ? and lower(learner_ref) = lower(?)",
            [changes["session"], changes["learner"]],
        ).fetchone()
        record = con.execute(
            "select success from staging.stg_lms__learning_records where record_id = ?", [changes["record"]]
        ).fetchone()
    assert (reused["id"],) in conflicts  # refused, the first stored version kept
    # the updates reached staging on the incremental night (not only the full rebuild compared below)
    assert (rehired, moved, booking, record) == (("active",), ("Finance",), ("cancelled",), (False,))
    _assert_equals_full_rebuild(config_path, AS_OF + timedelta(days=3), updated, "20261203T000000000001Z")

    # a changed training requirement: a full night, saying why
    requirements = demo / "reference" / "training_requirements.csv"
    coc = "REQ-COC,Annual Code of Conduct,COC-101,,,,,"
    requirements.write_text(requirements.read_text().replace(coc + "30,", coc + "45,"))
    changed = _night(config_path, AS_OF + timedelta(days=4), "20261204T000000000000Z")
    assert changed.kind == "full" and "reference data changed" in changed.reasons

    # --full-refresh, and a base build that is gone: full nights with their reason
    forced = _night(config_path, AS_OF + timedelta(days=4), "20261204T000000000002Z", "trainops run --full-refresh")
    assert forced.kind == "full" and forced.reasons[0] == "trainops run --full-refresh"
    forced.build_db.unlink()
    fallback = _night(config_path, AS_OF + timedelta(days=4), "20261204T000000000003Z")
    assert fallback.kind == "full" and "is missing" in fallback.reasons[0]
