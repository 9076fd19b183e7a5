import os
from pathlib import Path

import duckdb
import pytest

from pipeline.config import parse_config
from warehouse.duckdb_target import publish, published_checksums, rollback


def make_config(tmp_path: Path):
    """A home whose path has an apostrophe and a space: paths are never pasted into SQL unquoted."""
    source = {"name": "hr", "kind": "hris_csv", "path": "."}
    data = {"home": "./O'Brien data", "reference_dir": ".", "sources": [source]}
    return parse_config(data, tmp_path / "trainops.yaml")


def make_build(path: Path, rows: int, value: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema staging; create schema restricted")
        con.execute(f"create table marts.fct_a as select range as id, '{value}' as v from range({rows})")
        con.execute("create table marts.fct_b as select 1 as id")
        con.execute("create view marts.v_not_published as select 1 as id")
        con.execute("create table restricted.dim_employees as select 'jane@example.com' as email")
        con.execute("create table staging.stg as select 1 as id")
    return path


def parquet_rows(path: Path) -> int:
    return duckdb.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()[0]


def test_publish_copies_only_mart_tables_and_exports_them(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    config = make_config(tmp_path)
    result = publish(config, make_build(config.warehouse / "build-1.duckdb", 3, "x"), "r1")
    assert result.tables == {"fct_a": 3, "fct_b": 1}
    with duckdb.connect(str(config.marts_db), read_only=True) as con:
        names = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
    assert names == {"fct_a", "fct_b"}  # no staging, no restricted personal data, no views
    assert parquet_rows(config.exports / "current" / "fct_a.parquet") == 3
    assert os.readlink(config.exports / "current") == "r1"
    assert not list(config.warehouse.glob(".publish-*")) and not list(config.exports.glob(".*"))


def test_reader_holding_the_file_keeps_its_version_and_sees_the_new_one_on_reconnect(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    config = make_config(tmp_path)
    publish(config, make_build(config.warehouse / "build-1.duckdb", 3, "old"), "r1")
    reader = duckdb.connect(str(config.marts_db), read_only=True)
    assert reader.execute("select count(*), min(v) from fct_a").fetchone() == (3, "old")
    publish(config, make_build(config.warehouse / "build-2.duckdb", 5, "new"), "r2")  # not blocked by the reader
    assert reader.execute("select count(*), min(v) from fct_a").fetchone() == (3, "old")
    reader.close()
    with duckdb.connect(str(config.marts_db), read_only=True) as fresh:
        assert fresh.execute("select count(*), min(v) from fct_a").fetchone() == (5, "new")


def test_checksums_ignore_row_order_but_not_content(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    config = make_config(tmp_path)
    publish(config, make_build(config.warehouse / "build-1.duckdb", 3, "x"), "r1")
    first = published_checksums(config.marts_db)
    build = make_build(config.warehouse / "build-2.duckdb", 3, "x")
    with duckdb.connect(str(build)) as con:  # same rows, other physical order
        con.execute("create or replace table marts.fct_a as select * from marts.fct_a order by id desc")
    publish(config, build, "r2")
    assert published_checksums(config.marts_db) == first
    publish(config, make_build(config.warehouse / "build-3.duckdb", 3, "y"), "r3")
    assert published_checksums(config.marts_db)["fct_a"] != first["fct_a"]


def test_rollback_restores_the_previous_version(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    config = make_config(tmp_path)
    publish(config, make_build(config.warehouse / "build-1.duckdb", 3, "one"), "r1")
    first = published_checksums(config.marts_db)
    publish(config, make_build(config.warehouse / "build-2.duckdb", 4, "two"), "r2")
    restored = rollback(config)
    assert restored.name == "marts-r1.duckdb"
    assert published_checksums(config.marts_db) == first
    assert {path.name for path in (config.exports / "current").glob("*.parquet")} == {"fct_a.parquet", "fct_b.parquet"}
    assert parquet_rows(config.exports / "current" / "fct_a.parquet") == 3  # exports switched with the marts
    with pytest.raises(RuntimeError, match="no earlier published version"):
        rollback(config)


def test_kept_versions_are_independent_of_the_live_file(tmp_path, monkeypatch):
    """A BI client connected read-write to marts.duckdb cannot change the rollback copy."""
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    config = make_config(tmp_path)
    result = publish(config, make_build(config.warehouse / "build-1.duckdb", 3, "one"), "r1")
    kept = published_checksums(result.version)
    with duckdb.connect(str(config.marts_db)) as con:
        con.execute("delete from fct_a")
    assert published_checksums(result.version) == kept
    assert result.version.stat().st_ino != config.marts_db.stat().st_ino


def test_old_versions_and_their_exports_are_pruned_together(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    config = make_config(tmp_path)
    config.exports.mkdir(parents=True)
    (config.exports / "fct_a.parquet").write_bytes(b"the older flat layout")
    for run in range(1, 10):
        publish(config, make_build(config.warehouse / f"build-{run}.duckdb", run, "x"), f"r{run}")
    versions = sorted(path.name for path in (config.warehouse / "versions").iterdir())
    assert versions == [f"marts-r{run}.duckdb" for run in range(3, 10)]
    assert sorted(path.name for path in config.exports.iterdir()) == ["current", *(f"r{run}" for run in range(3, 10))]
    assert parquet_rows(config.exports / "current" / "fct_a.parquet") == 9
