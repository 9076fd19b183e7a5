"""The neutral catalogue: the manifest's one schema (connectors/landing.py) and the reference files'
one column list (their dbt sources) — what each engine derives from them, and that dbt's own
definitions agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pyarrow as pa
import pytest
import yaml

from connectors import landing
from connectors.base import ParseResult
from warehouse.catalogue import POSTGRES_TYPES, RAW_TABLES, SPARK_TYPES, reference_columns, warehouse_type
from warehouse.dbt import DBT_PROJECT_DIR
from warehouse.spark_target import MANIFEST_COLUMNS

SOURCES = DBT_PROJECT_DIR / "models" / "staging"


def source_table(path: Path, source: str, table: str) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    [found] = [t for s in document["sources"] if s["name"] == source for t in s["tables"] if t["name"] == table]
    return found


def external_location(table: dict[str, Any], **env: str) -> str:
    """A dbt-duckdb source's ``external_location`` as dbt renders it (``env_var`` from ``env``)."""
    template = jinja2.Template(table["config"]["meta"]["external_location"])
    return template.render(env_var=lambda name, default=None: env.get(name, default))


# -- the load manifest -----------------------------------------------------------------------------


def written_manifest(home: Path) -> dict[str, Any]:
    result = ParseResult()
    result.add("lms.booking", {"session_id": "S1", "learner_ref": "a@x.example", "status": "booked"})
    load = landing.write_load(home, "bookings", "bookings_csv", result, unit={"name": "b.csv"})
    return json.loads((load.path / landing.MANIFEST_FILE).read_text())


def test_the_manifest_file_holds_the_schema_fields_and_the_unit(tmp_path):
    manifest = written_manifest(tmp_path)
    assert list(manifest) == [*landing.MANIFEST.names[:4], "unit", *landing.MANIFEST.names[4:]]
    row = {
        **manifest,
        "entities": list(manifest["entities"].items()),
        "started_at": pa.scalar(manifest["started_at"]).cast(pa.timestamp("us", tz="UTC")),
        "finished_at": pa.scalar(manifest["finished_at"]).cast(pa.timestamp("us", tz="UTC")),
    }
    table = pa.Table.from_pylist([row], schema=landing.MANIFEST)  # every value has the schema's type
    assert table.to_pylist()[0]["entities"] == [("lms.booking", 1)]


def test_the_dbt_source_reads_the_manifest_with_the_schema_types(tmp_path):
    """dbt-duckdb reads manifest.json with the column list of the `landing.manifests` source: it
    must read the file into exactly the schema's columns and types."""
    written_manifest(tmp_path)
    location = external_location(source_table(SOURCES / "landing/_landing__sources.yml", "landing", "manifests"),
                                 TRAINOPS_HOME=str(tmp_path))  # fmt: skip
    with duckdb.connect() as con:
        con.execute("set timezone = 'UTC'")
        read = con.execute(f"select * from {location}").to_arrow_table()
    assert read.num_rows == 1
    assert read.schema.names == landing.MANIFEST.names
    for field in landing.MANIFEST:
        got = read.schema.field(field.name).type
        if pa.types.is_map(field.type):
            assert (got.key_type, got.item_type) == (field.type.key_type, field.type.item_type), field.name
        else:
            assert got == field.type, field.name


def test_engines_derive_the_manifest_columns():
    assert RAW_TABLES["landing.manifests"] is landing.MANIFEST
    assert MANIFEST_COLUMNS == (  # Spark's from_json schema of a manifest.json
        "load_id string, source string, kind string, connector_version string, entities map<string, bigint>, "
        "rejects bigint, raw_rows bigint, checksum string, started_at timestamp, finished_at timestamp"
    )
    entities = landing.MANIFEST.field("entities").type
    assert warehouse_type(entities, POSTGRES_TYPES) == "jsonb"
    assert warehouse_type(entities, SPARK_TYPES) == "map<string, bigint>"
    with pytest.raises(TypeError, match="no Postgres type"):
        warehouse_type(pa.struct([("a", pa.int8())]), POSTGRES_TYPES)


# -- reference files -------------------------------------------------------------------------------

REFERENCE_YAML = SOURCES / "reference/_reference__sources.yml"


def test_every_reference_file_declares_its_columns_once():
    columns = reference_columns()
    assert set(columns) == {"courses", "course_equivalences", "training_requirements", "exemptions", "vendors",
                            "vendor_contracts", "learner_aliases"}  # fmt: skip
    for table, names in columns.items():
        assert names and len(names) == len(set(names)), table
    assert columns["courses"][-1] == "activity_id"  # an optional column: a file may omit it


@pytest.mark.parametrize("table", sorted(reference_columns()))
def test_the_dbt_source_and_its_staging_model_agree_with_the_declared_columns(table):
    """The DuckDB source reads the file as it is (no second list of its columns); its staging
    model reads it through reference_rows (which adds the declared columns a file omits) and uses
    every declared column."""
    location = external_location(source_table(REFERENCE_YAML, "reference", table), TRAINOPS_REFERENCE_DIR="/ref")
    assert location.startswith(f"read_csv('/ref/{table}.csv',") and " as " not in location
    model = (SOURCES / "reference" / f"stg_reference__{table}.sql").read_text()
    assert f"reference_rows('{table}')" in model and "source(" not in model
    unused = [column for column in reference_columns()[table] if f"'{column}'" not in model]
    assert not unused, f"stg_reference__{table} never reads {unused}"


def test_a_reference_file_missing_an_optional_column_reads_it_as_null(tmp_path):
    """What reference_rows compiles to on DuckDB, on a courses file without activity_id."""
    (tmp_path / "courses.csv").write_text("course_ref,title\nC1,Safety\n")
    location = external_location(source_table(REFERENCE_YAML, "reference", "courses"),
                                 TRAINOPS_REFERENCE_DIR=str(tmp_path))  # fmt: skip
    skeleton = ", ".join(f"cast(null as varchar) as {column}" for column in reference_columns()["courses"])
    rows = duckdb.sql(f"select * from {location} union all by name select {skeleton} where false")
    assert dict(zip(rows.columns, rows.fetchone(), strict=True)) == {
        "course_ref": "C1", "title": "Safety", "modality": None, "vendor_id": None, "duration_minutes": None,
        "activity_id": None,
    }  # fmt: skip
