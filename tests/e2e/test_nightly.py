"""The nightly flow end to end under Prefect, on a small generated enterprise.

The expected figures come from the generator's ground truth — what it *planted* when it wrote the
files — never from the marts' own logic.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from demo import generate
from flows.nightly import nightly_sync
from pipeline.config import load_config
from pipeline.demo_config import DEMO_SOURCES, write_demo_config
from pipeline.lifecycle import RunFailed
from warehouse.dbt import BUILDING_FILE, DBT_PROJECT_DIR, dbt_env
from warehouse.duckdb_target import published_checksums

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 11, 28)


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory, prefect_harness):
    """Generate a small enterprise and run the nightly flow on it once."""
    root = tmp_path_factory.mktemp("enterprise")
    demo = root / "demo"
    truth = generate(demo, as_of=AS_OF, seed=11, employees=120, months=6, vendors=4)  # every pricing model
    config_path = write_demo_config(demo, home=root / "home")
    record = nightly_sync(as_of=AS_OF, config_path=str(config_path))
    return {"root": root, "config": load_config(config_path), "truth": truth, "record": record}


def marts(enterprise) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(enterprise["config"].marts_db), read_only=True)


def test_run_succeeds_and_publishes_every_mart(enterprise):
    record = enterprise["record"]
    assert record["status"] == "success"
    tables = record["published"]["tables"]
    for mart in (
        "fct_compliance_status", "fct_session_utilization", "fct_invoice_line_reconciliation",
        "fct_invoice_reconciliation", "fct_vendor_period_billing", "rpt_vendor_spend_monthly",
        "fct_vendor_sla_monthly", "rpt_utilization_monthly",
    ):  # fmt: skip
        assert tables[mart] > 0, mart
        assert (enterprise["config"].exports / "current" / f"{mart}.parquet").exists()


def test_dbt_unit_tests_pass_on_the_nights_build(enterprise, tmp_path):
    """The nightly build leaves dbt's unit tests out (warehouse/dbt.UNIT_TESTS_ENV): here they run,
    every one, against a copy of that build (their fixtures take column types from its relations)."""
    declared = {
        test["name"]
        for path in (DBT_PROJECT_DIR / "models").rglob("*.yml")
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests") or []
    }
    nightly_build = Path(enterprise["record"]["build"]["build_db"])
    build_db = tmp_path / BUILDING_FILE  # the catalog name dbt wrote the build under: its views name it
    shutil.copy(nightly_build, build_db)
    command = [
        str(Path(sys.executable).parent / "dbt"), "test", "--select", "test_type:unit",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(tmp_path / "dbt"), "--log-path", str(tmp_path / "dbt"),
        "--vars", json.dumps({"as_of": AS_OF.isoformat()}),
    ]  # fmt: skip
    env = dbt_env(enterprise["config"], build_db)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    results = json.loads((tmp_path / "dbt" / "run_results.json").read_text())["results"]
    ran = {result["unique_id"].split(".")[-1]: result["status"] for result in results}
    assert len(declared) >= 20 and set(ran) == declared, done.stdout[-2000:]
    assert set(ran.values()) == {"pass"} and done.returncode == 0, done.stdout[-2000:]
    nightly_results = nightly_build.parent / "dbt" / nightly_build.stem.removeprefix("build-") / "run_results.json"
    nightly = [result["unique_id"] for result in json.loads(nightly_results.read_text())["results"]]
    assert len(nightly) > 100 and not [node for node in nightly if node.startswith("unit_test.")]


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
        assigned = {row[0] for row in con.execute("select distinct employee_id from fct_compliance_status").fetchall()}
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
                wrong.append(f"{case['case']}: due {due_date}/{days_overdue} != {case['due_date']}/{expected_days}")
    assert not wrong, "\n".join(wrong)
    assert {case["status"] for case in truth["compliance"]} >= {
        "compliant", "overdue", "due_soon", "exempt", "not_yet_due"
    }  # fmt: skip
    assert not terminated, f"terminated employees still assigned: {terminated}"


def history_facts(truth: dict) -> list[tuple[dict, dict]]:
    return [(case, fact) for case in truth["compliance"] for fact in case.get("history", [])]


def test_planted_compliance_history(enterprise):
    facts = history_facts(enterprise["truth"])
    assert {fact["status"] for _, fact in facts} >= {"compliant", "overdue", "not_yet_due", None}
    wrong = []
    with marts(enterprise) as con:
        for case, fact in facts:
            row = con.execute(
                "select status, cast(due_date as varchar), evidence_record_id, days_overdue "
                "from fct_compliance_history where employee_id = ? and requirement_id = ? and as_of_date = ?",
                [case["employee_id"], case["requirement_id"], fact["on"]],
            ).fetchone()
            got = row or (None, None, None, None)
            expected = (fact["status"], fact["due_date"], fact["evidence_record_id"], fact.get("days_overdue"))
            if tuple(got) != expected:
                wrong.append(f"{case['case']} on {fact['on']}: {got} != {expected}")
    assert not wrong, "\n".join(wrong)


def test_backdated_build_gives_the_history_of_that_day(enterprise):
    from warehouse.dbt import build_marts

    config = enterprise["config"]
    day = date.fromisoformat(next(fact["on"] for _, fact in history_facts(enterprise["truth"])))
    build = build_marts(config, day, "backdated-e2e")
    try:
        assert build.success, build.failures
        with duckdb.connect(str(build.build_db), read_only=True) as con:
            con.execute(f"attach '{config.marts_db}' as published (read_only)")
            columns = ", ".join(row[0] for row in con.execute("describe marts.fct_compliance_status").fetchall())
            status = f"select {columns} from marts.fct_compliance_status"
            history = f"select {columns} from published.fct_compliance_history where as_of_date = date '{day}'"
            rows = con.execute(f"select count(*) from ({status})").fetchone()[0]
            only_status = con.execute(f"select count(*) from ({status} except all {history})").fetchone()[0]
            only_history = con.execute(f"select count(*) from ({history} except all {status})").fetchone()[0]
    finally:
        build.build_db.unlink(missing_ok=True)
    assert rows > 0 and (only_status, only_history) == (0, 0)


def test_compliance_cli_explains_a_past_day_down_to_the_raw_line(enterprise, capsys):
    from flows.cli import main

    config = enterprise["config"]
    case, fact = next((c, f) for c, f in history_facts(enterprise["truth"]) if f["evidence_record_id"])
    argv = ["compliance", "--config", str(config.path), "--employee", case["employee_id"], "--on", fact["on"]]
    assert main([*argv, "--requirement", case["requirement_id"], "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["requirements"]
    assert (row["status"], row["evidence_record_id"]) == (fact["status"], fact["evidence_record_id"])
    # mart → landing Parquet → the raw file and line
    landed = duckdb.sql(
        f"select _source_file, _source_line from read_parquet('{row['evidence_landing_file']}') where record_id = ?",
        params=[row["evidence_record_id"]],
    ).fetchone()
    assert landed == (row["evidence_source_file"], row["evidence_source_line"])
    raw = config.source(row["evidence_source"]).path / row["evidence_source_file"]
    text = raw.read_text(encoding="utf-8")
    line = row["evidence_source_line"]
    statement = (
        json.loads(text)["statements"][line - 1] if raw.suffix == ".json" else json.loads(text.splitlines()[line - 1])
    )
    assert statement["id"] == row["evidence_record_id"]
    assert main(argv) == 0 and "COMPLIANT" in capsys.readouterr().out
    assert main([*argv[:-1], "2026-10-30"]) == 1  # not a month-end: not in the history
    assert "not a date of the published compliance history" in capsys.readouterr().err


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
        if got.get(s["session_id"]) != (s["capacity"], s["booked"], s["attended"], s["no_show"], s["cancelled"])
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


def test_billing_flags_variances_and_periods_are_exactly_the_planted_ones(enterprise):
    truth = enterprise["truth"]
    with marts(enterprise) as con:
        lines = {
            (row[0], row[1], row[2]): (set(filter(None, (row[3] or "").split(";"))), row[4])
            for row in con.execute(
                "select vendor_id, invoice_number, line_id, flags, variance from fct_invoice_line_reconciliation"
            ).fetchall()
        }
        periods = {
            (row[0], str(row[1])): row[2:]
            for row in con.execute(
                "select vendor_id, period_start, expected_amount, billed_amount, variance, period_flags, "
                "learners_served from fct_vendor_period_billing"
            ).fetchall()
        }
    cases = {(c["vendor_id"], c["invoice_number"], c["line_id"]): c for c in truth["billing"]}
    assert {c["case"] for c in truth["billing"]} >= {
        "currency_mismatch", "no_contract", "retainer_over_billed", "hybrid_over_billed", "hybrid_period",
    }  # fmt: skip
    wrong = []
    for key, (flags, variance) in lines.items():
        case = cases.get(key)
        if case is None and flags:
            wrong.append(f"{key} flagged {sorted(flags)}, nothing planted")
        elif case is not None and flags != set(case["flags"]):
            wrong.append(f"{case['case']} {key}: {sorted(flags)} != {case['flags']}")
        elif case is not None and "variance" in case and variance != Decimal(case["variance"]):
            wrong.append(f"{case['case']} {key}: variance {variance} != {case['variance']}")
    for case in (c for c in truth["billing"] if "period_start" in c):
        got = periods.get((case["vendor_id"], case["period_start"]))
        expected = (
            Decimal(case["period_expected"]),
            Decimal(case["period_billed"]),
            Decimal(case["period_variance"]),
            ";".join(case["period_flags"]) or None,
            case.get("learners_served", got and got[4]),  # the hybrid's overage counts them
        )
        if got != expected:
            wrong.append(f"{case['case']} {case['vendor_id']} {case['period_start']}: {got} != {expected}")
    planted_periods = {(c["vendor_id"], c["period_start"]) for c in truth["billing"] if c.get("period_flags")}
    flagged_periods = {key for key, row in periods.items() if row[3]}
    assert not wrong and flagged_periods == planted_periods, "\n".join(wrong)


def test_vendor_spend_equals_the_documents_and_differs_by_the_planted_variances(enterprise):
    planted: dict[tuple[str, str], Decimal] = {}
    for case in enterprise["truth"]["billing"]:
        if "duplicate_invoice" in case["flags"]:  # a later copy never adds to spend: not in its variance
            continue
        key = (case["vendor_id"], case["currency"])
        amounts = (case.get("variance"), case.get("period_variance"), case.get("unitemised"))
        planted[key] = planted.get(key, Decimal(0)) + sum(Decimal(a) for a in amounts if a)
    with marts(enterprise) as con:
        spend = con.execute(
            "select vendor_id, currency, sum(billed_amount) + sum(duplicate_billed), "
            "sum(variance) filter (where is_month_complete) from rpt_vendor_spend_monthly group by all"
        ).fetchall()
        documents = dict(
            ((row[0], row[1]), row[2])
            for row in con.execute(
                "select vendor_id, currency, sum(document_amount) from fct_invoice_reconciliation group by all"
            ).fetchall()
        )
    assert {(vendor, currency): billed for vendor, currency, billed, _ in spend} == documents
    assert {(vendor, currency): variance for vendor, currency, _, variance in spend} == planted


def test_dispute_pack_lists_every_flag_with_evidence_in_the_restricted_build_only(enterprise):
    truth = enterprise["truth"]
    with duckdb.connect(str(enterprise["record"]["build"]["build_db"]), read_only=True) as con:
        rows = con.execute(
            "select vendor_id, invoice_number, line_id, flag, evidence, learner_ref "
            "from restricted.rpt_invoice_disputes where dispute_level = 'invoice_line'"
        ).fetchall()
    found = {(row[0], row[1], row[2], row[3]) for row in rows}
    for case in truth["billing"]:
        for flag in case["flags"]:
            assert (case["vendor_id"], case["invoice_number"], case["line_id"], flag) in found, (case, flag)
    assert all(row[4] for row in rows)
    guest = next(row for row in rows if row[3] == "unknown_learner")
    assert guest[5].lower() in truth["unresolved_learners"]
    assert "rpt_invoice_disputes" not in enterprise["record"]["published"]["tables"]  # learner emails stay out of BI


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
    assert record["night"]["kind"] == "noop", record["night"]  # the as-of models only (warehouse/incremental.py)
    assert published_checksums(config.marts_db) == before


def test_an_unreadable_file_is_quarantined_and_the_night_goes_on_unless_its_source_holds(enterprise):
    config = enterprise["config"]
    before = published_checksums(config.marts_db)
    broken = config.source("hr").path / "employees_broken.csv"
    broken.write_bytes(b"\xff\xfe\x00garbage that is not a roster\n")
    holding = config.path.with_name("trainops-hold.yaml")  # beside it: its relative paths still hold
    holding.write_text(config.path.read_text().replace("kind: hris_csv,", "kind: hris_csv, on_bad_file: hold,"))
    try:
        with pytest.raises(RunFailed, match=r"'hr': employees_broken.csv: .*\(on_bad_file: hold\)"):
            nightly_sync(as_of=AS_OF, config_path=str(holding))
        assert published_checksums(config.marts_db) == before  # held: nothing landed, nothing published
        runs = sorted((config.home / "runs").glob("*.json"))
        assert json.loads(runs[-1].read_text())["status"] == "failed"

        record = nightly_sync(as_of=AS_OF, config_path=str(config.path))  # the default: quarantine it
    finally:
        broken.unlink()
        holding.unlink()
    assert record["status"] == "success"
    (hr,) = [source for source in record["sources"] if source["source"] == "hr"]
    (bad,) = hr["bad_files"]
    assert hr["files"] == 1 and bad.startswith("employees_broken.csv: header is not UTF-8")
    listed = {(row["_source_file"], row["_source_line"], row["rule"]) for row in record["quarantine"]["rows"]}
    assert ("employees_broken.csv", None, "parse.unreadable_file") in listed
    report = (config.home / "runs" / f"{record['run_id']}.html").read_text()
    assert "Files quarantined whole" in report and "employees_broken.csv" in report


def test_cli_reports_a_bad_config_key_in_one_line(enterprise, tmp_path, capsys):
    from flows.cli import main

    bad = tmp_path / "trainops.yaml"
    shutil.copy(enterprise["config"].path, bad)
    bad.write_text(bad.read_text().replace("kind: hris_csv", "kind: hris_xls"))
    assert main(["run", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "sources[0].kind" in err and str(bad) in err


def test_run_report_names_each_planted_malformed_row(enterprise):
    record = enterprise["record"]
    listed = {(row["_source_file"], row["_source_line"]) for row in record["quarantine"]["rows"]}
    report = (enterprise["config"].home / "runs" / f"{record['run_id']}.html").read_text()
    for bad in enterprise["truth"]["malformed"]:
        assert (bad["file"], bad["line"]) in listed, bad
        assert f"{bad['file']}:{bad['line']}" in report, bad
    assert "<h2>Published marts</h2>" in report and "fct_compliance_status" in report
