"""The Postgres target against a real server on loopback (PG* env vars; CI starts it).

One demo enterprise is built twice from the same landing zone: on DuckDB (the default) and on
Postgres (`target: postgres`). The marts and restricted models must hold the same rows; the
loader must be idempotent; publish is a schema swap with a read-only BI role that sees `marts` and
nothing else.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

import psycopg
import pytest
from equivalence import compare, duckdb_tables, postgres_tables, with_one_cent_more
from psycopg import errors, sql

from demo import generate
from flows.cli import main
from flows.nightly import nightly_sync
from pipeline.config import load_config
from pipeline.demo_config import write_demo_config
from warehouse import dbt
from warehouse import postgres_target as postgres
from warehouse.catalogue import REFERENCE_SOURCES, optional_reference_tables, reference_columns

pytestmark = pytest.mark.integration

AS_OF = date(2026, 11, 28)


@pytest.fixture(scope="module")
def built(tmp_path_factory, prefect_harness, postgres_database, monkeypatch_module):
    """The demo built on DuckDB, then on Postgres from the same landing zone."""
    root = tmp_path_factory.mktemp("engines")
    monkeypatch_module.setenv(dbt.UNIT_TESTS_ENV, "1")  # the dbt unit tests too, on both engines
    generate(root / "demo", as_of=AS_OF, seed=11, employees=120, months=6, vendors=4)
    config_path = write_demo_config(root / "demo", home=root / "home")
    on_duckdb = nightly_sync(as_of=AS_OF, config_path=str(config_path))
    monkeypatch_module.setenv("TRAINOPS_TARGET", "postgres")
    on_postgres = nightly_sync(as_of=AS_OF, config_path=str(config_path))
    return {"config": load_config(config_path), "duckdb": on_duckdb, "postgres": on_postgres}


def connect() -> psycopg.Connection:
    return psycopg.connect(**postgres.connection_settings(), autocommit=True)


def test_marts_equal_on_duckdb_and_postgres(built):
    assert built["duckdb"]["status"] == "success" and built["postgres"]["status"] == "success"
    assert built["postgres"]["published"]["marts_db"].startswith("postgresql://")
    on_duckdb = duckdb_tables(built["duckdb"]["build"]["build_db"])
    with connect() as con:
        on_postgres = postgres_tables(con, {"marts": "marts", "restricted": "restricted"})
    assert len(on_duckdb) >= 15 and sum(len(rows) for _, rows in on_duckdb.values()) > 1000
    assert compare(on_duckdb, on_postgres, "duckdb", "postgres") == []
    # the headline figures of the run report agree too (money as exact text)
    assert built["postgres"]["figures"]["billed"] == built["duckdb"]["figures"]["billed"]
    assert built["postgres"]["figures"]["overdue"] == built["duckdb"]["figures"]["overdue"]


def test_dbt_unit_tests_ran_in_both_builds(built):
    """TRAINOPS_DBT_UNIT_TESTS=1 (set by ``built``) puts dbt's unit tests back into the nightly build."""
    for engine in ("duckdb", "postgres"):
        results = built["config"].warehouse / "dbt" / built[engine]["run_id"] / "run_results.json"
        ran = [r for r in json.loads(results.read_text())["results"] if r["unique_id"].startswith("unit_test.")]
        assert len(ran) >= 20 and {r["status"] for r in ran} == {"pass"}, engine


def test_comparison_catches_a_changed_amount(built):
    on_duckdb = duckdb_tables(built["duckdb"]["build"]["build_db"])
    problems = compare(on_duckdb, with_one_cent_more(on_duckdb), "a", "b")
    assert len(problems) == 1 and "fct_invoice_line_reconciliation" in problems[0]


def test_raw_load_is_idempotent_and_complete(built):
    config = built["config"]
    assert postgres.load_raw(config) == {}  # nothing new: nothing copied again
    with connect() as con:
        for relation, load_id, rows in con.execute(
            "select relation, load_id, rows from raw_landing._files where relation like '%.%' and load_id <> ''"
        ).fetchall():
            source, table = relation.split(".")
            column = "load_id" if relation == "landing.manifests" else "_load_id"
            count = con.execute(
                sql.SQL("select count(*) from {}.{} where {} = %s").format(
                    sql.Identifier(f"raw_{source}"), sql.Identifier(table), sql.Identifier(column)
                ),
                [load_id],
            ).fetchone()[0]
            assert count == rows, (relation, load_id)
        landed = con.execute("select sum(cast(value as bigint)) from raw_landing.manifests, jsonb_each_text(entities)")
        raw_rows = sum(
            con.execute(sql.SQL("select count(*) from {}").format(postgres._relation(entity))).fetchone()[0]
            for entity in ("hris.employee", "lms.learning_record", "lms.session", "lms.booking", "vendor.invoice",
                           "vendor.invoice_line")
        )  # fmt: skip
        assert landed.fetchone()[0] == raw_rows


def test_a_changed_validation_result_replaces_its_rows(built):
    config = built["config"]
    path = next((config.home / "quarantine").glob("*.parquet"))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    with connect() as con:
        before = con.execute("select count(*) from raw_quarantine.validation_rejects").fetchone()[0]
    copied = postgres.load_raw(config)
    assert list(copied) == ["quarantine.validation_rejects"]
    with connect() as con:
        assert con.execute("select count(*) from raw_quarantine.validation_rejects").fetchone()[0] == before


def test_bi_role_reads_marts_only_and_writes_nothing(built):
    role = postgres.bi_role()
    with connect() as con:
        con.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        assert con.execute("select count(*) from marts.fct_compliance_status").fetchone()[0] > 0
        denied = [
            "select * from restricted.dim_employees",
            "select * from restricted.rpt_invoice_disputes",
            "select * from raw_hris.employee",
            "select * from staging.stg_hris__employees",
            "select * from intermediate.int_employee_history",
            "create table marts.scratch (i int)",
            "insert into marts.fct_compliance_status select * from marts.fct_compliance_status limit 1",
            "delete from marts.rpt_vendor_spend_monthly",
            "drop table marts.rpt_vendor_spend_monthly",
            "create table public.scratch (i int)",
        ]
        for statement in denied:
            with pytest.raises(errors.InsufficientPrivilege):
                con.execute(statement)


def test_publish_swaps_schemas_and_rollback_restores_the_previous(built):
    with connect() as con:
        first = con.execute("select oid from pg_namespace where nspname = 'marts'").fetchone()[0]
    record = nightly_sync(as_of=AS_OF, config_path=str(built["config"].path))  # a second publish
    assert record["published"]["checksums"] == built["postgres"]["published"]["checksums"]
    with connect() as con:
        second = con.execute("select oid from pg_namespace where nspname = 'marts'").fetchone()[0]
        assert second != first
        assert con.execute("select oid from pg_namespace where nspname = 'marts_previous'").fetchone()[0] == first
        assert con.execute("select count(*) from pg_namespace where nspname like 'marts_build'").fetchone()[0] == 0
    assert main(["publish", "--rollback", "--config", str(built["config"].path)]) == 0
    with connect() as con:
        assert con.execute("select oid from pg_namespace where nspname = 'marts'").fetchone()[0] == first
        con.execute(sql.SQL("set role {}").format(sql.Identifier(postgres.bi_role())))
        assert con.execute("select count(*) from marts.fct_compliance_status").fetchone()[0] > 0


def test_unreachable_warehouse_is_one_clear_line(built, monkeypatch):
    monkeypatch.setenv("PGPORT", "1")
    with pytest.raises(postgres.WarehouseError) as error:
        postgres.load_raw(built["config"])
    assert str(error.value).startswith("cannot connect to the Postgres warehouse postgresql://")
    assert "\n" not in str(error.value)


def test_reference_columns_come_from_the_dbt_sources():
    columns = reference_columns()
    assert columns["courses"] == ["course_ref", "title", "modality", "vendor_id", "duration_minutes", "activity_id"]
    assert set(columns) == {"courses", "course_equivalences", "training_requirements", "exemptions", "vendors",
                            "vendor_contracts", "learner_aliases"}  # fmt: skip
    assert optional_reference_tables() == {"learner_aliases"}  # the demo has none: an empty table
    assert Path(REFERENCE_SOURCES).exists()


def test_compliance_lookup_answers_the_same_from_postgres(built):
    from reports.compliance import lookup

    config = built["config"]
    with connect() as con:
        employee = con.execute(
            "select employee_id from marts.fct_compliance_history where status = 'overdue' order by 1 limit 1"
        ).fetchone()[0]
    on_postgres = lookup(postgres.describe(), config.home, employee, AS_OF)
    on_duckdb = lookup(config.marts_db, config.home, employee, AS_OF)
    assert on_postgres.rows and [row["status"] for row in on_postgres.rows] == [row["status"] for row in on_duckdb.rows]
    assert [row["explanation"] for row in on_postgres.rows] == [row["explanation"] for row in on_duckdb.rows]


def test_list_values_survive_the_csv_copy(postgres_database):
    """Learner lists go through DuckDB's CSV as Postgres array literals: quotes, backslashes,
    commas, braces, NULL elements, empty and null lists come out as they went in."""
    import duckdb
    import pyarrow as pa

    values = [['a"b', "c\\d", "x,y", "{}", None, "NULL", " sp "], [], None, ["plain"]]
    column = pa.field("learner_refs", pa.list_(pa.string()))
    with duckdb.connect() as duck:
        duck.register("t", pa.table({"learner_refs": pa.array(values, column.type)}))
        literals = [row[0] for row in duck.execute(f"select {postgres._csv_column(column)} from t").fetchall()]
    with connect() as con:
        back = [con.execute("select %s::text[]", [literal]).fetchone()[0] for literal in literals]
    assert back == values


def test_the_dashboard_reads_the_postgres_marts(built):
    """The run on Postgres wrote the dashboard from schema marts: the same headline figures as a
    dashboard of the DuckDB run's marts."""
    from reports.dashboard import write_dashboard

    config = built["config"]
    assert built["postgres"]["dashboard"] == {"path": str(config.home / "reports" / "dashboard.html")}
    tiles = re.compile(r'data-metric="([^"]+)"><div class="label">[^<]*</div><div class="value">([^<]*)</div>')
    on_postgres = dict(tiles.findall((config.home / "reports" / "dashboard.html").read_text()))
    on_duckdb = dict(tiles.findall(write_dashboard(config, marts=config.marts_db).read_text()))
    assert len(on_postgres) >= 15 and on_postgres == on_duckdb
