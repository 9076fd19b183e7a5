"""The demo night under a data home whose path has an apostrophe and a space (``O'Brien data``):
every path reaches SQL quoted (connectors/sqltext.py, the dbt sources' ``replace`` filter)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from demo import generate
from flows.nightly import nightly_sync
from pipeline.config import load_config
from pipeline.demo_config import write_demo_config
from reports import status

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 11, 28)


def test_the_demo_runs_under_a_home_with_an_apostrophe_and_a_space(tmp_path_factory, prefect_harness):
    root = tmp_path_factory.mktemp("hostile") / "O'Brien data"
    generate(root / "demo", as_of=AS_OF, seed=3, employees=80, months=3, vendors=3)
    config_path = write_demo_config(root / "demo", home=root / "home")
    config = load_config(config_path)
    assert "'" in str(config.home) and " " in str(config.home)

    record = nightly_sync(as_of=AS_OF, config_path=str(config_path))

    assert record["status"] == "success"
    with duckdb.connect(str(config.marts_db), read_only=True) as con:
        marts = con.execute("select count(*) from fct_compliance_status").fetchone()[0]
        parquet = con.execute(
            "select count(*) from read_parquet(?)", [str(config.exports / "current" / "fct_compliance_status.parquet")]
        ).fetchone()[0]
    assert marts == parquet > 0
    assert status.quarantine_report(config.home)["by_source"]  # the planted bad rows, read through a quoted glob
