"""The metric definitions (dbt's semantic layer) answer as the marts do: the README's ``mf query``
example on the night's build, and the dashboard's compiled queries on the published marts."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import AS_OF

from reports.metrics import MetricQuery, PublishedMetrics, find_semantic_manifest, on_day
from warehouse.dbt import DBT_PROJECT_DIR, dbt_env

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent


def rates_by_date(marts: Path) -> dict[str, float]:
    """compliant ÷ (applicable − exempt) per date, from the department roll-up's counts."""
    with duckdb.connect(str(marts), read_only=True) as con:
        rows = con.execute(
            "select as_of_date, sum(compliant_count) / sum(applicable_count - exempt_count) "
            "from rpt_compliance_by_department group by as_of_date"
        ).fetchall()
    return {day.isoformat(): round(float(rate), 6) for day, rate in rows}


def test_mf_query_example_equals_the_marts(published, tmp_path):
    """README "Metrics": parse against the night's build, then `mf query` (in a scratch copy of the
    project, so the repository's dbt/target is left alone)."""
    project = tmp_path / "dbt"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests"):
        (project / name).symlink_to(DBT_PROJECT_DIR / name)
    build = sorted(published.warehouse.glob("build-*.duckdb"))[-1]
    env = {**dbt_env(published, build), "DBT_PROFILES_DIR": str(project)}
    parse = subprocess.run([str(BIN / "dbt"), "parse"], cwd=project, env=env, capture_output=True, text=True)
    assert parse.returncode == 0, parse.stdout[-2000:]
    out = tmp_path / "rates.csv"
    query = [str(BIN / "mf"), "query", "--metrics", "compliance_rate,overdue_count", "--group-by", "metric_time__day",
             "--csv", str(out)]  # fmt: skip
    result = subprocess.run(query, cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0 and out.exists(), result.stdout[-2000:] + result.stderr[-2000:]
    with out.open() as handle:
        answered = {
            row["metric_time__day"][:10]: round(float(row["compliance_rate"]), 6) for row in csv.DictReader(handle)
        }
    assert answered == rates_by_date(published.marts_db)
    assert AS_OF.isoformat() in answered


def test_compiled_metrics_on_the_published_marts_equal_the_marts(published):
    metrics = PublishedMetrics(published.marts_db, find_semantic_manifest(published.warehouse))
    by_date = metrics.rows(MetricQuery(("compliance_rate",), ("metric_time__day",)))
    assert {row["metric_time__day"].date().isoformat(): round(row["compliance_rate"], 6) for row in by_date} == (
        rates_by_date(published.marts_db)
    )
    with duckdb.connect(str(published.marts_db), read_only=True) as con:
        overdue = con.execute("select count(*) from fct_compliance_status where status = 'overdue'").fetchone()[0]
        spend = dict(con.execute(
            "select currency, sum(billed_amount) - sum(expected_amount) from rpt_vendor_spend_monthly group by currency"
        ).fetchall())  # fmt: skip
        cost = dict(con.execute(
            "select currency, sum(billed_amount) / sum(learners_served) from rpt_vendor_spend_monthly group by currency"
        ).fetchall())  # fmt: skip
    assert metrics.value("overdue_count", (on_day(AS_OF),)) == overdue
    rows = metrics.rows(MetricQuery(("variance", "cost_per_learner"), ("vendor_month__currency",)))
    assert {row["vendor_month__currency"]: row["variance"] for row in rows} == spend
    assert {row["vendor_month__currency"]: round(row["cost_per_learner"], 4) for row in rows} == {
        currency: round(float(value), 4) for currency, value in cost.items()
    }
