"""The life of a dropped file through four nights of the nightly flow (real dbt build), on a small
hand-made home: one HR roster and one vendor's invoice drop.

- night 1: invoice INV-1 (two lines, 7,200 + 7,650): October spend 14,850;
- night 2: the same file copied under another name (a transfer retry) and a second INV-1 with other
  content in another file: spend stays 14,850, the copy is noted as skipped, the second INV-1 is a
  duplicate_invoice shown as duplicate_billed 7,200;
- night 3: INV-1's file corrected in place (line 2 removed, line 1 now 7,000) and the other two
  files deleted from the drop: spend moves by exactly the difference (14,850 → 7,000), the deleted
  duplicate is still there;
- night 4: a header-only roster: the night fails naming the file, yesterday's marts stay published.

Every expected figure is counted by hand from the files this module writes."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.nightly import nightly_sync
from pipeline.config import load_config
from pipeline.lifecycle import RunFailed

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 11, 28)
ROSTER_HEADER = "employee_id,email,given_name,family_name,status,hire_date,job_code,department,country\n"
ROSTER = ROSTER_HEADER + (
    "E01,ann.lee@acme.example,Ann,Lee,active,2020-01-01,OPS,Ops,GB\n"
    "E02,bo.ek@acme.example,Bo,Ek,active,2021-01-01,OPS,Ops,GB\n"
)
INVOICE_HEADER = (
    "vendor_id,invoice_number,document_type,issue_date,currency,period_start,period_end,line_id,item_ref,"
    "description,quantity,unit_price,line_amount,learner_refs\n"
)
LINE_1 = "V1,INV-1,invoice,2026-10-31,EUR,2026-10-01,2026-10-31,1,FEE-A,Programme fee,1,7200.00,7200.00,\n"
LINE_2 = "V1,INV-1,invoice,2026-10-31,EUR,2026-10-01,2026-10-31,2,FEE-B,Materials,1,7650.00,7650.00,\n"
SECOND_COPY = "V1,INV-1,invoice,2026-11-05,EUR,2026-10-01,2026-10-31,1,FEE-A,Programme fee,1,7200.00,7200.00,\n"
REFERENCE = {
    "courses.csv": "course_ref,title,modality,vendor_id,duration_minutes,activity_id\n",
    "training_requirements.csv": "requirement_id,title,course_refs,due_within_days,recurrence_months,effective_from\n",
    "course_equivalences.csv": "course_ref,satisfies_course_ref\n",
    "exemptions.csv": "employee_id,requirement_id,reason,approved_by,valid_from,valid_to\n",
    "vendors.csv": "vendor_id,name,identifiers\nV1,Brightpath,\n",
    "vendor_contracts.csv": "contract_id,vendor_id,pricing_model,currency,per_learner_rate,valid_from\n"
    "K1,V1,per_learner,EUR,7200,2026-01-01\n",
    "learner_aliases.csv": "alias,alias_kind,source,employee_id,valid_from,valid_to\n",
}


def write_home(root: Path) -> Path:
    for folder in ("hr", "invoices"):
        (root / "drops" / folder).mkdir(parents=True)
    (root / "drops" / "hr" / "employees_2026-11-27.csv").write_text(ROSTER)
    (root / "drops" / "invoices" / "invoices_2026-10.csv").write_text(INVOICE_HEADER + LINE_1 + LINE_2)
    (root / "reference").mkdir()
    for name, text in REFERENCE.items():
        (root / "reference" / name).write_text(text)
    config = root / "trainops.yaml"
    config.write_text(
        "home: ./home\nreference_dir: ./reference\ntimezone: Europe/London\nsources:\n"
        "  - {name: hr, kind: hris_csv, path: ./drops/hr}\n"
        "  - {name: invoices, kind: invoices_csv, path: ./drops/invoices}\n"
    )
    return config


def october(marts_db: Path) -> tuple[Decimal, Decimal]:
    """V1's October spend: (billed_amount, duplicate_billed)."""
    with duckdb.connect(str(marts_db), read_only=True) as con:
        row = con.execute(
            "select billed_amount, duplicate_billed from rpt_vendor_spend_monthly "
            "where vendor_id = 'V1' and currency = 'EUR' and month_start = date '2026-10-01'"
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def documents(marts_db: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(marts_db), read_only=True) as con:
        return con.execute(
            "select document_file, document_amount, duplicate_billed, "
            "coalesce(flags, '') like '%duplicate_invoice%' from fct_invoice_reconciliation order by document_file"
        ).fetchall()


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("lifecycle")
    config_path = write_home(root)
    config = load_config(config_path)
    drops = root / "drops" / "invoices"
    seen: dict[str, Any] = {"config": config}

    seen["night1"] = nightly_sync(as_of=AS_OF, config_path=str(config_path))
    seen["spend1"], seen["docs1"] = october(config.marts_db), documents(config.marts_db)

    shutil.copy(drops / "invoices_2026-10.csv", drops / "invoices_2026-10 (1).csv")
    (drops / "invoices_2026-11.csv").write_text(INVOICE_HEADER + SECOND_COPY)
    seen["night2"] = nightly_sync(as_of=AS_OF, config_path=str(config_path))
    seen["spend2"], seen["docs2"] = october(config.marts_db), documents(config.marts_db)

    (drops / "invoices_2026-10.csv").write_text(INVOICE_HEADER + LINE_1.replace("7200.00,7200.00", "7000.00,7000.00"))
    (drops / "invoices_2026-10 (1).csv").unlink()
    (drops / "invoices_2026-11.csv").unlink()
    seen["night3"] = nightly_sync(as_of=AS_OF, config_path=str(config_path))
    seen["spend3"], seen["docs3"] = october(config.marts_db), documents(config.marts_db)

    (root / "drops" / "hr" / "employees_2026-11-28.csv").write_text(ROSTER_HEADER)
    with pytest.raises(RunFailed) as failed:
        nightly_sync(as_of=AS_OF, config_path=str(config_path))
    seen["night4"] = failed.value
    seen["spend4"] = october(config.marts_db)
    return seen


def test_first_night_spends_the_invoice(nights: dict[str, Any]) -> None:
    assert nights["night1"]["status"] == "success"
    assert nights["spend1"] == (Decimal("14850"), Decimal("0"))


def test_a_redelivered_identical_file_changes_nothing_and_is_noted(nights: dict[str, Any]) -> None:
    record = nights["night2"]
    assert record["status"] == "success"
    invoices = next(source for source in record["sources"] if source["source"] == "invoices")
    assert invoices["skipped"] == ["invoices_2026-10 (1).csv: skipped: identical to invoices_2026-10.csv"]
    assert invoices["files"] == 1  # only invoices_2026-11.csv landed
    report = (nights["config"].home / "runs" / f"{record['run_id']}.html").read_text()
    assert "skipped: identical to invoices_2026-10.csv" in report
    assert not [doc for doc in nights["docs2"] if doc[0] == "invoices_2026-10 (1).csv"]


def test_a_second_invoice_with_the_same_number_is_flagged_and_never_spent_twice(nights: dict[str, Any]) -> None:
    assert nights["spend2"] == (Decimal("14850"), Decimal("7200"))
    assert nights["docs2"] == [
        ("invoices_2026-10.csv", Decimal("14850"), Decimal("0"), False),
        ("invoices_2026-11.csv", Decimal("7200"), Decimal("7200"), True),
    ]


def test_a_file_corrected_in_place_moves_spend_by_exactly_the_difference(nights: dict[str, Any]) -> None:
    assert nights["night3"]["status"] == "success"
    billed_before, _ = nights["spend2"]
    billed_after, duplicate_after = nights["spend3"]
    assert billed_after - billed_before == Decimal("7000") - Decimal("7200") - Decimal("7650")
    assert nights["night3"]["validation"]["replaced_rows"] == 3  # the invoice and its two lines
    report = (nights["config"].home / "runs" / f"{nights['night3']['run_id']}.html").read_text()
    assert "3 rows of earlier file versions replaced by corrected files" in report


def test_deleted_drop_files_lose_nothing(nights: dict[str, Any]) -> None:
    assert nights["spend3"][1] == Decimal("7200")  # the deleted second INV-1 is still a duplicate
    assert [doc[0] for doc in nights["docs3"]] == ["invoices_2026-10.csv", "invoices_2026-11.csv"]


def test_an_empty_roster_fails_the_night_naming_the_file(nights: dict[str, Any]) -> None:
    error = str(nights["night4"])
    assert "employees_2026-11-28.csv" in error and "no rows" in error and "\n" not in error
    record = nights["night4"].record
    assert record["status"] == "failed" and "employees_2026-11-28.csv" in record["error"]
    report = (nights["config"].home / "runs" / f"{record['run_id']}.html").read_text()
    assert "employees_2026-11-28.csv" in report
    assert nights["spend4"] == nights["spend3"]  # yesterday's marts stay published
