"""The life of a dropped file, on a real landing zone (no Prefect, no dbt): a copy of a landed file
under another name lands nothing and says so; a file corrected in place replaces its earlier version
whole; a file deleted from the drop keeps its landed rows; a roster file with no rows fails its
source, naming the file. tests/e2e/test_file_lifecycle.py follows the same cases into the marts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from connectors import landing, state
from connectors.base import SourceError
from pipeline.config import Config, parse_config
from pipeline.steps import extract_source, quarantine_path, validate_pending
from reports.status import quarantine_report

INVOICE_HEADER = (
    "vendor_id,invoice_number,document_type,issue_date,currency,period_start,period_end,line_id,item_ref,"
    "description,quantity,unit_price,line_amount,learner_refs\n"
)
INVOICE = "V1,INV-1,invoice,2026-10-31,EUR,2026-10-01,2026-10-31,1,S-1,Fire safety,2,3600.00,7200.00,\n"
ROSTER_HEADER = "employee_id,email,given_name,family_name,status,hire_date,department\n"
ROSTER_ROW = "E01,ann@acme.example,Ann,Lee,active,2020-01-01,Ops\n"


def config_for(tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Config, Path]:
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    drops = tmp_path / "drops"
    drops.mkdir()
    data = {"home": "./home", "reference_dir": ".", "sources": [{"name": "src", "kind": kind, "path": "./drops"}]}
    return parse_config(data, tmp_path / "trainops.yaml"), drops


def landed_invoice_lines(config: Config) -> int:
    return sum(load.manifest["entities"].get("vendor.invoice_line", 0) for load in landing.list_loads(config.home))


def test_a_copy_under_another_name_lands_nothing_and_is_noted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, drops = config_for(tmp_path, "invoices_csv", monkeypatch)
    source = config.sources[0]
    (drops / "invoices_2026-10.csv").write_text(INVOICE_HEADER + INVOICE)
    first = extract_source(config, source)
    assert len(first.loads) == 1 and first.skipped == []

    shutil.copy(drops / "invoices_2026-10.csv", drops / "invoices_2026-10 (retry).csv")  # a transfer retry
    again = extract_source(config, source)
    assert again.loads == [] and again.files == 0
    assert again.skipped == ["invoices_2026-10 (retry).csv: skipped: identical to invoices_2026-10.csv"]
    assert landed_invoice_lines(config) == 1
    files = state.read_state(config.home, "src")["files"]
    assert files["invoices_2026-10 (retry).csv"]["identical_to"] == "invoices_2026-10.csv"
    assert files["invoices_2026-10 (retry).csv"]["load_id"] == first.loads[0]

    quiet = extract_source(config, source)  # remembered: not hashed, not reported again
    assert (quiet.loads, quiet.skipped) == ([], [])


def test_two_identical_new_files_land_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, drops = config_for(tmp_path, "invoices_csv", monkeypatch)
    (drops / "a.csv").write_text(INVOICE_HEADER + INVOICE)
    (drops / "b.csv").write_text(INVOICE_HEADER + INVOICE)
    summary = extract_source(config, config.sources[0])
    assert (summary.files, summary.skipped) == (1, ["b.csv: skipped: identical to a.csv"])
    assert landed_invoice_lines(config) == 1
    load_id = state.read_state(config.home, "src")["files"]["b.csv"]["load_id"]
    assert load_id == summary.loads[0]


def test_a_file_released_for_reprocessing_lands_again_though_a_copy_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, drops = config_for(tmp_path, "invoices_csv", monkeypatch)
    (drops / "a.csv").write_text(INVOICE_HEADER + INVOICE)
    (drops / "b.csv").write_text(INVOICE_HEADER + INVOICE)
    extract_source(config, config.sources[0])
    current = state.read_state(config.home, "src")
    state.commit_state(config.home, "src", {**current, "files": {"b.csv": current["files"]["b.csv"]}})  # forget a
    summary = extract_source(config, config.sources[0])
    assert (summary.files, summary.skipped) == (1, [])


def test_a_file_changed_to_another_files_content_still_replaces_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, drops = config_for(tmp_path, "invoices_csv", monkeypatch)
    (drops / "a.csv").write_text(INVOICE_HEADER + INVOICE)
    (drops / "b.csv").write_text(INVOICE_HEADER + INVOICE.replace("INV-1", "INV-2"))
    extract_source(config, config.sources[0])
    (drops / "b.csv").write_text(INVOICE_HEADER + INVOICE)  # b corrected in place: it is a new version of b
    summary = extract_source(config, config.sources[0])
    assert (summary.files, summary.skipped) == (1, [])


def test_a_deleted_drop_file_keeps_its_landed_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, drops = config_for(tmp_path, "invoices_csv", monkeypatch)
    (drops / "invoices_2026-10.csv").write_text(INVOICE_HEADER + INVOICE)
    extract_source(config, config.sources[0])
    (drops / "invoices_2026-10.csv").unlink()  # the vendor portal cleans up its outbox
    summary = extract_source(config, config.sources[0])
    assert (summary.loads, summary.skipped) == ([], [])
    assert landed_invoice_lines(config) == 1
    assert "invoices_2026-10.csv" in state.read_state(config.home, "src")["files"]


def test_a_header_only_roster_fails_its_source_naming_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, drops = config_for(tmp_path, "hris_csv", monkeypatch)
    (drops / "employees_2026-11-27.csv").write_text(ROSTER_HEADER + ROSTER_ROW)
    extract_source(config, config.sources[0])
    (drops / "employees_2026-11-28.csv").write_text(ROSTER_HEADER)
    with pytest.raises(SourceError) as raised:
        extract_source(config, config.sources[0])
    message = str(raised.value)
    assert "\n" not in message
    assert "employees_2026-11-28.csv" in message and "no rows" in message
    assert len(landing.list_loads(config.home)) == 1  # nothing landed, the state did not move
    assert "employees_2026-11-28.csv" not in state.read_state(config.home, "src")["files"]


def test_a_file_corrected_in_place_replaces_its_earlier_version_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, drops = config_for(tmp_path, "invoices_csv", monkeypatch)
    invoice = drops / "invoices_2026-10.csv"
    second = INVOICE.replace(",1,S-1,", ",2,S-2,").replace("3600.00,7200.00", "3825.00,7650.00")
    invoice.write_text(INVOICE_HEADER + INVOICE + second)
    (drops / "other.csv").write_text(INVOICE_HEADER + INVOICE.replace("INV-1", "INV-9"))
    first = extract_source(config, config.sources[0]).loads[0]
    assert validate_pending(config).replaced_rows == 0

    stat = invoice.stat()
    invoice.write_text(INVOICE_HEADER + INVOICE.replace("3600.00,7200.00", "3500.00,7000.00"))  # line 2 dropped
    os.utime(invoice, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second_load = extract_source(config, config.sources[0]).loads[0]
    summary = validate_pending(config)
    assert summary.replaced_rows == 3 and summary.critical == []  # the invoice and both its lines
    assert pq.read_table(quarantine_path(config.home, second_load)).num_rows == 0
    replaced = pq.read_table(quarantine_path(config.home, first)).to_pylist()  # the earlier load's result
    assert {(row["_load_id"], row["entity"], row["_source_line"]) for row in replaced} == {
        (first, "vendor.invoice", 2),
        (first, "vendor.invoice_line", 2),
        (first, "vendor.invoice_line", 3),
    }
    assert {(row["rule"], row["severity"], row["_source_file"]) for row in replaced} == {
        ("file.replaced", "replaced", "invoices_2026-10.csv")
    }
    assert second_load in replaced[0]["message"]
    assert validate_pending(config).replaced_rows == 0  # nothing new: nothing marked again

    os.remove(quarantine_path(config.home, first))  # revalidated (a backfill): still replaced
    validate_pending(config)
    assert pq.read_table(quarantine_path(config.home, first)).num_rows == 3
    assert quarantine_report(config.home)["rows"] == 0  # `trainops status`: replaced is no failure


def test_an_e_invoice_received_twice_lands_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, drops = config_for(tmp_path, "invoices_xml", monkeypatch)
    (tmp_path / "vendors.csv").write_text("vendor_id,name,identifiers\nV-GB-NWL,Northwind Learning Ltd,5098765000019\n")
    fixture = Path(__file__).parents[2] / "fixtures" / "invoices" / "trainops-ubl" / "invoice-vat-categories.xml"
    shutil.copy(fixture, drops / "inv-a.xml")
    shutil.copy(fixture, drops / "inv-b.xml")
    summary = extract_source(config, config.sources[0])
    assert (summary.files, summary.skipped) == (1, ["inv-b.xml: skipped: identical to inv-a.xml"])
    assert sum(load.manifest["entities"].get("vendor.invoice", 0) for load in landing.list_loads(config.home)) == 1


def test_a_file_corrected_in_place_into_an_unreadable_one_replaces_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, drops = config_for(tmp_path, "hris_csv", monkeypatch)
    roster = drops / "employees_2026-11-27.csv"
    roster.write_text(ROSTER_HEADER + ROSTER_ROW)
    first = extract_source(config, config.sources[0]).loads[0]
    assert validate_pending(config).rows == 1

    stat = roster.stat()
    roster.write_bytes(ROSTER_HEADER.encode("utf-16"))  # garbled: quarantined whole
    os.utime(roster, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    summary = extract_source(config, config.sources[0])
    assert [bad.split(":")[0] for bad in summary.bad_files] == ["employees_2026-11-27.csv"]
    assert validate_pending(config).replaced_rows == 0
    assert pq.read_table(quarantine_path(config.home, first)).num_rows == 0  # the good version stays


def test_a_roster_back_to_an_earlier_content_under_a_new_date_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, drops = config_for(tmp_path, "hris_csv", monkeypatch)
    (drops / "employees_2026-11-27.csv").write_text(ROSTER_HEADER + ROSTER_ROW)
    extract_source(config, config.sources[0])
    (drops / "employees_2026-11-28.csv").write_text(ROSTER_HEADER + ROSTER_ROW.replace("Ops", "Sales"))
    extract_source(config, config.sources[0])
    (drops / "employees_2026-11-29.csv").write_text(ROSTER_HEADER + ROSTER_ROW)  # moved back: byte-identical to 27
    summary = extract_source(config, config.sources[0])
    assert (summary.files, summary.skipped) == (1, [])
    departments = [
        (row["_source_file"], row["department"])
        for load in landing.list_loads(config.home)
        for row in landing.read_entity(load, "hris.employee").to_pylist()
    ]
    assert departments[-1] == ("employees_2026-11-29.csv", "Ops")
