"""The dbt project on Spark (dbt-spark, local session mode) builds the same marts as on DuckDB.

Needs the ``spark`` dependency group (``make test-spark``: pyspark, dbt-spark[session]) and Java 17+;
without pyspark the module is skipped. Slow: two Spark JVMs for the build plus one to read back.
"""

from __future__ import annotations

import time
from datetime import date

import pytest

pytest.importorskip("pyspark", reason="need pyspark (the spark group: `make test-spark`; a skip even under CI)")

from equivalence import compare, duckdb_tables, spark_tables, with_one_cent_more  # noqa: E402

from demo import generate  # noqa: E402
from flows.nightly import nightly_sync  # noqa: E402
from pipeline.config import load_config, write_demo_config  # noqa: E402
from warehouse import spark_target  # noqa: E402

pytestmark = pytest.mark.integration

AS_OF = date(2026, 11, 28)


@pytest.fixture(scope="module")
def built(tmp_path_factory, prefect_harness):
    """The demo built on DuckDB by the nightly flow, then on Spark from the same landing zone."""
    root = tmp_path_factory.mktemp("spark")
    generate(root / "demo", as_of=AS_OF, seed=11, employees=120, months=6, vendors=4)
    config_path = write_demo_config(root / "demo", home=root / "home")
    on_duckdb = nightly_sync(as_of=AS_OF, config_path=str(config_path))
    config = load_config(config_path)
    on_spark = spark_target.build(config, AS_OF, directory=root / "spark")
    print(
        f"\n[figures] spark: raw tables declared in {on_spark.prepare_seconds:.1f} s (JVM start included), "
        f"dbt build --target spark in {on_spark.dbt_seconds:.1f} s, nodes {on_spark.counts}"
    )
    started = time.perf_counter()
    session = spark_target.session(on_spark.spark_dir)
    on_spark_tables = spark_tables(session)
    print(f"[figures] spark: marts read back in {time.perf_counter() - started:.1f} s")
    yield {"config": config, "duckdb": on_duckdb, "spark": on_spark, "spark_tables": on_spark_tables,
           "session": session}  # fmt: skip
    session.stop()


def test_the_project_builds_on_spark(built):
    assert built["duckdb"]["status"] == "success"
    assert built["spark"].failures == []
    assert built["spark"].success, built["spark"].counts


def test_marts_equal_on_duckdb_and_spark(built):
    on_duckdb = duckdb_tables(built["duckdb"]["build"]["build_db"])
    on_spark = built["spark_tables"]
    assert len(on_duckdb) >= 15 and sum(len(rows) for _, rows in on_duckdb.values()) > 1000
    assert compare(on_duckdb, on_spark, "duckdb", "spark") == []


def test_raw_relations_read_every_landed_row(built):
    """Every landed file is read in place (parse rejects copied), and nothing is written to the
    landing zone (no directory named after a glob)."""
    import pyarrow.parquet as pq

    home, session = built["config"].home, built["session"]
    for relation, pattern in [
        ("raw_hris.employee", "landing/*/*/hris.employee.parquet"),
        ("raw_lms.learning_record", "landing/*/*/lms.learning_record.parquet"),
        ("raw_lms.session", "landing/*/*/lms.session.parquet"),
        ("raw_lms.booking", "landing/*/*/lms.booking.parquet"),
        ("raw_vendor.invoice", "landing/*/*/vendor.invoice.parquet"),
        ("raw_vendor.invoice_line", "landing/*/*/vendor.invoice_line.parquet"),
        ("raw_quarantine.parse_rejects", "landing/*/*/_rejects.parquet"),
        ("raw_quarantine.validation_rejects", "quarantine/*.parquet"),
    ]:
        expected = sum(pq.ParquetFile(path).metadata.num_rows for path in home.glob(pattern))
        assert session.sql(f"select count(*) from {relation}").collect()[0][0] == expected, relation
    assert session.sql("select count(*) from raw_quarantine.parse_rejects").collect()[0][0] > 0
    manifests = len(list(home.glob("landing/*/*/manifest.json")))
    parsed = session.sql("select count(*) from raw_landing.manifests where load_id is not null").collect()[0][0]
    assert parsed == manifests
    assert not [path for path in home.rglob("*") if "*" in path.name]


def test_comparison_catches_a_changed_amount(built):
    on_spark = built["spark_tables"]
    problems = compare(on_spark, with_one_cent_more(on_spark), "a", "b")
    assert len(problems) == 1 and "fct_invoice_line_reconciliation" in problems[0]
