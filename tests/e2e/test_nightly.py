"""The nightly flow end to end under Prefect, on a small generated enterprise.

The expected figures come from the generator's ground truth — what it *planted* when it wrote the
files — never from the marts' own logic.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import duckdb
import pytest

from flows.config import DEMO_SOURCES, load_config, write_demo_config
from flows.demo import generate
from flows.nightly import RunFailed, nightly_sync
from flows.publish import published_checksums

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 11, 28)


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory, prefect_harness):
    """Generate a small enterprise and run the nightly flow on it once."""
    root = tmp_path_factory.mktemp("enterprise")
    demo = root / "demo"
    truth = generate(demo, as_of=AS_OF, seed=11, employees=120, months=6, vendors=3)
    config_path = write_demo_config(demo, home=root / "home")
    record = nightly_sync(as_of=AS_OF, config_path=str(config_path))
    return {"root": root, "config": load_config(config_path), "truth": truth, "record": record}


def marts(enterprise) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(enterprise["config"].marts_db), read_only=True)


def test_run_succeeds_and_publishes_every_mart(enterprise):
    record = enterprise["record"]
    assert record["status"] == "success"
    tables = record["published"]["tables"]
    for mart in ("fct_compliance_status", "fct_session_utilization", "fct_invoice_line_reconciliation"):
        assert tables[mart] > 0, mart
        assert (enterprise["config"].exports / f"{mart}.parquet").exists()


def test_planted_compliance_statuses(enterprise):
    truth = enterprise["truth"]
    with marts(enterprise) as con:
        rows = {
            (employee, requirement): (status, evidence, due_date, days_overdue)
            for employee, requirement, status, evidence, due_date, days_overdue in con.execute(
                "select employee_id, requirement_id, status, evidence_record_id, due_date, days_overdue "
                "from fct_compliance_status"
            ).fetchall()
        }
        assigned = {
            row[0] for row in con.execute("select distinct employee_id from fct_compliance_status").fetchall()
        }
    terminated = assigned & set(truth["terminated_at_as_of"])
    wrong = []
    for case in truth["compliance"]:
        got = rows.get((case["employee_id"], case["requirement_id"]))
        if got is None:
            wrong.append(f"{case['case']}: no row for {case['employee_id']} × {case['requirement_id']}")
            continue
        status, evidence, due_date, days_overdue = got
        if status != case["status"]:
            wrong.append(f"{case['case']}: {case['employee_id']} × {case['requirement_id']} is {status}")
        if case.get("evidence_record_id") and evidence != case["evidence_record_id"]:
            wrong.append(f"{case['case']}: evidence {evidence} != {case['evidence_record_id']}")
        if case["status"] == "overdue" and case.get("due_date"):
            expected_days = (AS_OF - date.fromisoformat(case["due_date"])).days
            if (str(due_date), days_overdue) != (case["due_date"], expected_days):
                wrong.append(
                    f"{case['case']}: due {due_date}/{days_overdue} != {case['due_date']}/{expected_days}"
                )
    assert not wrong, "\n".join(wrong)
    assert {case["status"] for case in truth["compliance"]} >= {
        "compliant", "overdue", "due_soon", "exempt", "not_yet_due"
    }  # fmt: skip
    assert not terminated, f"terminated employees still assigned: {terminated}"


def test_planted_session_utilization(enterprise):
    with marts(enterprise) as con:
        got = {
            row[0]: row[1:]
            for row in con.execute(
                "select session_id, capacity, booked, attended, no_show, cancelled from fct_session_utilization"
            ).fetchall()
        }
    planted = enterprise["truth"]["utilization"]
    assert planted
    wrong = [
        f"{s['session_id']}: {got.get(s['session_id'])}"
        for s in planted
        if got.get(s["session_id"])
        != (s["capacity"], s["booked"], s["attended"], s["no_show"], s["cancelled"])
    ]
    assert not wrong, "\n".join(wrong[:20])


def test_planted_billing_flags(enterprise):
    truth = enterprise["truth"]
    with marts(enterprise) as con:
        flags = {
            (row[0], row[1], row[2]): set(filter(None, (row[3] or "").split(";")))
            for row in con.execute(
                "select vendor_id, invoice_number, line_id, flags from fct_invoice_line_reconciliation"
            ).fetchall()
        }
    wrong = []
    for case in truth["billing"]:
        key = (case["vendor_id"], case["invoice_number"], case["line_id"])
        if key not in flags:
            wrong.append(f"{case['case']}: no line {key}")
        elif not set(case["flags"]) <= flags[key]:
            wrong.append(f"{case['case']}: {key} has {sorted(flags[key])}, planted {case['flags']}")
    for line in truth["clean_lines"]:
        key = (line["vendor_id"], line["invoice_number"], line["line_id"])
        if flags.get(key) != set():
            wrong.append(f"clean line {key} has {flags.get(key)}")
    assert not wrong, "\n".join(wrong)


def test_unresolved_learners_reported_in_the_restricted_build_only(enterprise):
    build_db = enterprise["record"]["build"]["build_db"]
    with duckdb.connect(str(build_db), read_only=True) as con:
        rows = con.execute("select learner_ref from restricted.rpt_unresolved_learners").fetchall()
    reported = {row[0].lower() for row in rows}
    planted = {ref.lower() for ref in enterprise["truth"]["unresolved_learners"]}
    assert planted and planted <= reported
    assert "rpt_unresolved_learners" not in enterprise["record"]["published"]["tables"]  # emails stay out of BI


def test_every_malformed_row_is_quarantined_with_its_rule(enterprise):
    home = enterprise["config"].home
    quarantine = duckdb.sql(
        f"""
        select _source_file, _source_line, rule, column_name from read_parquet([
            '{home}/landing/*/*/_rejects.parquet', '{home}/quarantine/*.parquet'], union_by_name = true)
        """
    ).fetchall()
    by_location: dict[tuple[str, int], list[tuple[str, str | None]]] = {}
    for file, line, rule, column in quarantine:
        by_location.setdefault((file, line), []).append((rule, column))
    missing = []
    for bad in enterprise["truth"]["malformed"]:
        found = by_location.get((bad["file"], bad["line"]))
        if not found:
            missing.append(f"{bad['folder']}/{bad['file']}:{bad['line']} ({bad['defect']}) not in quarantine")
    assert not missing, "\n".join(missing)
    assert len(enterprise["truth"]["malformed"]) >= len(DEMO_SOURCES)


def test_no_raw_row_is_lost(enterprise):
    with marts(enterprise) as con:
        unbalanced = con.execute("select * from rpt_load_reconciliation where not is_balanced").fetchall()
        loads = con.execute("select count(*) from rpt_load_reconciliation").fetchone()[0]
    landed = len(list((enterprise["config"].home / "landing").glob("*/*/manifest.json")))
    assert loads == landed > 0
    assert unbalanced == []


def test_second_run_without_new_files_publishes_identical_marts(enterprise):
    config = enterprise["config"]
    before = published_checksums(config.marts_db)
    record = nightly_sync(as_of=AS_OF, config_path=str(config.path))
    assert all(source["files"] == 0 for source in record["sources"])
    assert published_checksums(config.marts_db) == before


def test_unreadable_source_fails_the_run_and_keeps_published_marts(enterprise):
    config = enterprise["config"]
    before = published_checksums(config.marts_db)
    drops = config.source("hr").path
    broken = drops / "employees_2099-01-01.csv"
    broken.write_bytes(b"\xff\xfe\x00garbage that is not a roster\n")
    try:
        with pytest.raises(RunFailed, match="employees_2099-01-01.csv"):
            nightly_sync(as_of=AS_OF, config_path=str(config.path))
    finally:
        broken.unlink()
    assert published_checksums(config.marts_db) == before
    runs = sorted((config.home / "runs").glob("*.json"))
    assert json.loads(runs[-1].read_text())["status"] == "failed"


def test_cli_reports_a_bad_config_key_in_one_line(enterprise, tmp_path, capsys):
    from flows.cli import main

    bad = tmp_path / "trainops.yaml"
    shutil.copy(enterprise["config"].path, bad)
    bad.write_text(bad.read_text().replace("kind: hris_csv", "kind: hris_xls"))
    assert main(["run", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "sources[0].kind" in err and str(bad) in err
