import json
from datetime import date
from decimal import Decimal

import duckdb
import pyarrow.parquet as pq
import pytest

from connectors import landing, state
from connectors.base import ParseResult, Reject


def result_with(rows: int, rejects: int = 0) -> ParseResult:
    result = ParseResult()
    for index in range(rows):
        result.add(
            "vendor.invoice_line",
            {
                "vendor_id": "V01",
                "invoice_number": "INV-1",
                "line_id": str(index + 1),
                "quantity": Decimal("2"),
                "unit_price": Decimal("150.125"),
                "line_amount": Decimal("300.25"),
                "learner_refs": ["a@x.example", "b@x.example"],
                "period_start": date(2026, 10, 1),
                "_source_file": "inv.csv",
                "_source_line": index + 2,
            },
        )
    for index in range(rejects):
        result.rejects.append(
            Reject("vendor.invoice_line", "inv.csv", rows + index + 2, "parse.invalid_number", "not a number",
                   "quantity", "abc", "V01,INV-1,x,abc")
        )  # fmt: skip
    return result


def test_write_load_is_complete_and_typed(tmp_path):
    load = landing.write_load(tmp_path, "invoices", "invoices_csv", result_with(3, 1), unit={"name": "inv.csv"})
    assert load.path.name == load.load_id and load.load_id.endswith("-invoices")
    manifest = json.loads((load.path / "manifest.json").read_text())
    assert manifest["entities"] == {"vendor.invoice_line": 3}
    assert manifest["rejects"] == 1 and manifest["raw_rows"] == 4
    table = pq.read_table(load.path / "vendor.invoice_line.parquet")
    assert table.column("_row").to_pylist() == [0, 1, 2]
    assert table.column("_load_id").to_pylist() == [load.load_id] * 3
    assert table.column("unit_price").to_pylist()[0] == Decimal("150.125")  # exact, not float
    rejects = pq.read_table(load.path / landing.REJECTS_FILE).to_pylist()
    assert rejects[0]["rule"] == "parse.invalid_number" and rejects[0]["_source_line"] == 5
    assert not list(tmp_path.glob("landing/*/.tmp-*"))


def test_failed_write_leaves_no_visible_load(tmp_path):
    bad = result_with(1)
    bad.records["vendor.invoice_line"][0]["quantity"] = "not a decimal"
    with pytest.raises(Exception):  # noqa: B017 - any Arrow conversion error
        landing.write_load(tmp_path, "invoices", "invoices_csv", bad, unit={})
    assert landing.list_loads(tmp_path) == []
    assert not list(tmp_path.glob("landing/invoices/*"))


def test_schema_files_make_globs_match_before_any_load(tmp_path):
    landing.ensure_schema_files(tmp_path)
    count = duckdb.sql(
        f"select count(*) from read_parquet('{tmp_path}/landing/*/*/lms.learning_record.parquet', union_by_name=true)"
    ).fetchone()
    assert count == (0,)
    landing.write_load(tmp_path, "invoices", "invoices_csv", result_with(2), unit={})
    total = duckdb.sql(
        f"select count(*), sum(line_amount) from read_parquet('{tmp_path}/landing/*/*/vendor.invoice_line.parquet',"
        " union_by_name=true)"
    ).fetchone()
    assert total == (2, Decimal("600.500000"))


def test_list_loads_ignores_crashed_temporaries(tmp_path):
    landing.write_load(tmp_path, "invoices", "invoices_csv", result_with(1), unit={})
    crashed = tmp_path / "landing" / "invoices" / ".tmp-20260101T000000000000Z-invoices"
    crashed.mkdir()
    (crashed / "vendor.invoice_line.parquet").write_bytes(b"half")
    assert len(landing.list_loads(tmp_path)) == 1
    assert landing.remove_incomplete(tmp_path) == [crashed]
    assert not crashed.exists()


def test_state_commit_is_atomic_and_round_trips(tmp_path):
    assert state.read_state(tmp_path, "hr") == {}
    state.commit_state(tmp_path, "hr", {"files": {"a.csv": {"sha256": "x", "load_id": "L1"}}})
    assert state.read_state(tmp_path, "hr")["files"]["a.csv"]["load_id"] == "L1"
    assert not list((tmp_path / "state").glob("*.tmp"))


def line_table(first: int, count: int):
    """Invoice lines as a parser's Arrow table (the columnar form of `ParseResult`)."""
    import pyarrow as pa

    from connectors import schemas

    rows = result_with(first + count).records["vendor.invoice_line"][first:]
    schema = pa.schema(
        [*schemas.ENTITIES["vendor.invoice_line"], ("_source_file", pa.string()), ("_source_line", pa.int64())]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def test_arrow_and_dict_records_land_in_arrival_order(tmp_path):
    result = ParseResult()
    result.add_table("vendor.invoice_line", line_table(0, 2))
    more = result_with(4)
    result.add("vendor.invoice_line", more.records["vendor.invoice_line"][2])
    result.add_table("vendor.invoice_line", line_table(3, 1))
    other = ParseResult()
    other.add_table("vendor.invoice_line", line_table(4, 2))
    other.rejects.append(Reject("vendor.invoice_line", "inv.csv", 9, "parse.invalid_number", "not a number"))
    result.extend(other)
    assert result.raw_rows == 7 and result.arrow_rows == 5 and result.row_count("vendor.invoice_line") == 6
    assert [type(part).__name__ for part in result.parts("vendor.invoice_line")] == ["Table", "list", "Table", "Table"]

    load = landing.write_load(tmp_path, "invoices", "invoices_csv", result, unit={})
    table = pq.read_table(load.path / "vendor.invoice_line.parquet")
    assert table.column("_row").to_pylist() == [0, 1, 2, 3, 4, 5]
    assert table.column("line_id").to_pylist() == ["1", "2", "3", "4", "5", "6"]
    assert table.column("_source_line").to_pylist() == [2, 3, 4, 5, 6, 7]
    assert table.column("learner_refs").to_pylist()[0] == ["a@x.example", "b@x.example"]
    assert load.manifest["entities"] == {"vendor.invoice_line": 6} and load.manifest["raw_rows"] == 7

    # and as dicts, for whoever reads `records`: the same rows, in the same order
    assert [row["line_id"] for row in result.records["vendor.invoice_line"]] == ["1", "2", "3", "4", "5", "6"]


def test_many_small_parts_make_few_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(landing, "ROW_GROUP_ROWS", 4)
    result = ParseResult()
    for first in range(10):
        result.add_table("vendor.invoice_line", line_table(first, 1))
    load = landing.write_load(tmp_path, "invoices", "invoices_csv", result, unit={})
    metadata = pq.ParquetFile(load.path / "vendor.invoice_line.parquet").metadata
    assert metadata.num_rows == 10 and metadata.num_row_groups == 3
