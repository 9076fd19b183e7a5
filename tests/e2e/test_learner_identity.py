"""Learner identity and HR sources end to end, on a small hand-made enterprise (nightly flow, real
dbt build): 9 employees in two HR systems, an LRS export with an unknown contractor, an LMS
administrator voiding a statement, an account known only through learner_aliases.csv, an
mbox_sha1sum actor and an alias that names two employees.

Every expected figure below is counted by hand from the files this module writes."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from connectors.lms import xapi_files
from flows.nightly import nightly_sync
from pipeline.config import load_config
from pipeline.lifecycle import RunFailed

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 11, 28)
HR_HEADER = "employee_id,email,given_name,family_name,status,hire_date,job_code,department,country\n"
# employee → (email, given, family, HR source, department); E01 is in both HR systems
EMPLOYEES = {
    "E01": ("ann.lee@acme.example", "Ann", "Lee", "hr_uk", "Ops GB"),
    "E02": ("bo.ek@acme.example", "Bo", "Ek", "hr_uk", "Ops GB"),
    "E03": ("cara.diaz@acme.example", "Cara", "Diaz", "hr_uk", "Ops GB"),
    "E04": ("dan.fox@acme.example", "Dan", "Fox", "hr_uk", "Ops GB"),
    "E05": ("eve.gray@acme.example", "Eve", "Gray", "hr_uk", "Ops GB"),  # leaves: not on hr_uk's November roster
    "E06": ("finn.hahn@acme.example", "Finn", "Hahn", "hr_de", "Ops DE"),
    "E07": ("stu.test@acme.example", "Stu", "Test", "hr_de", "Ops DE"),
    "E08": ("gus.ito@acme.example", "Gus", "Ito", "hr_de", "Ops DE"),
    "E09": ("hana.jung@acme.example", "Hana", "Jung", "hr_de", "Ops DE"),
}
ALIASES = """alias,alias_kind,source,employee_id,valid_from,valid_to
https://lms.example|stutest,account,lrs,E07,,
https://lms.example|shared,account,,E08,,
https://lms.example|shared,account,,E09,,
"""
ACTIVITY = "https://lms.example/courses/COC-101"


def mbox(employee: str) -> dict:
    return {"objectType": "Agent", "mbox": f"mailto:{EMPLOYEES[employee][0]}"}


def account(name: str, display: str) -> dict:
    return {"objectType": "Agent", "name": display, "account": {"homePage": "https://lms.example", "name": name}}


def statement(number: int, actor: dict, verb: str, day: int, target: str | None = None) -> dict:
    moment = datetime(2026, 10, 1, 9) + timedelta(days=day)
    obj = {"objectType": "StatementRef", "id": target} if target else {"objectType": "Activity", "id": ACTIVITY}
    return {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "actor": actor,
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
        "object": obj,
        "timestamp": moment.isoformat() + "Z",
        "stored": (moment + timedelta(minutes=5)).isoformat() + "Z",
    }


def statements() -> list[dict]:
    sha1 = hashlib.sha1(f"mailto:{EMPLOYEES['E03'][0]}".encode()).hexdigest()
    wrong = statement(13, mbox("E09"), "completed", 20)
    return [
        statement(1, mbox("E01"), "completed", 1),
        statement(2, mbox("E02"), "completed", 2),
        statement(3, {"objectType": "Agent", "mbox_sha1sum": sha1}, "completed", 3),
        statement(4, mbox("E04"), "completed", 4),
        statement(5, mbox("E06"), "completed", 5),
        statement(6, account("stutest", "Stu Test"), "completed", 6),  # only the alias says who
        statement(7, mbox("E08"), "completed", 7),
        statement(8, mbox("E09"), "completed", 8),
        statement(9, mbox("E02"), "attempted", 9),
        statement(10, mbox("E04"), "attempted", 10),
        statement(11, mbox("E06"), "attempted", 11),
        statement(12, {"objectType": "Agent", "mbox": "mailto:contractor.lee@temp-staffing.example"}, "completed", 12),
        wrong,
        statement(14, account("admin", "LMS Administrator"), "voided", 21, target=wrong["id"]),
        statement(15, mbox("E05"), "completed", 0),
        statement(16, account("shared", "Shared Kiosk"), "completed", 16),  # alias names E08 and E09
    ]


# An LMS log export's statement without an id (it gets a derived one), delivered again in the next
# file as another LRS stored it; and statement 2's id re-used with other content (a conflict: refused)
ID_LESS = {k: v for k, v in statement(0, mbox("E02"), "attempted", 25).items() if k != "id"}


def redelivered() -> list[dict]:
    again = {**ID_LESS, "stored": "2026-11-02T00:00:00Z", "authority": {"mbox": "mailto:lrs2@lms.example"}}
    conflict = {**statement(2, mbox("E02"), "failed", 2), "stored": "2026-11-02T00:00:00Z"}
    return [again, conflict]


def write_enterprise(root: Path) -> Path:
    rosters = {"hr_uk": ["2026-10-15", "2026-11-15"], "hr_de": ["2026-10-31", "2026-11-27"]}
    for source, days in rosters.items():
        folder = root / "drops" / source
        folder.mkdir(parents=True)
        for day in days:
            rows = [
                f"{eid},{email},{given},{family},active,2020-01-01,OPS,{department},GB\n"
                for eid, (email, given, family, home, department) in EMPLOYEES.items()
                if (home == source or eid == "E01") and not (eid == "E05" and day == days[-1])
            ]
            rows = [row.replace("Ops GB", "Ops DE") if source == "hr_de" else row for row in rows]
            (folder / f"employees_{day}.csv").write_text(HR_HEADER + "".join(rows))
    (root / "drops" / "lrs").mkdir(parents=True)
    lines = "".join(json.dumps(s) + "\n" for s in [*statements(), ID_LESS])
    (root / "drops" / "lrs" / "statements_2026-10.jsonl").write_text(lines)
    (root / "drops" / "lrs" / "statements_2026-11.json").write_text(json.dumps(redelivered()))
    reference = root / "reference"
    reference.mkdir()
    files = {
        "courses.csv": f"course_ref,title,modality,vendor_id,duration_minutes,activity_id\n"
        f"COC-101,Code of Conduct,self_paced,,30,{ACTIVITY}\n",
        "training_requirements.csv": "requirement_id,title,course_refs,due_within_days,recurrence_months,"
        "effective_from\nREQ-COC,Code of Conduct,COC-101,30,12,2020-01-01\n",
        "course_equivalences.csv": "course_ref,satisfies_course_ref\n",
        "exemptions.csv": "employee_id,requirement_id,reason,approved_by,valid_from,valid_to\n",
        "vendors.csv": "vendor_id,name,identifiers\n",
        "vendor_contracts.csv": "contract_id,vendor_id,pricing_model,currency,valid_from\n",
        "learner_aliases.csv": ALIASES,
    }
    for name, text in files.items():
        (reference / name).write_text(text)
    config = root / "trainops.yaml"
    config.write_text(
        "home: ./home\nreference_dir: ./reference\ntimezone: Europe/London\nsources:\n"
        + "".join(f"  - {{name: {name}, kind: {kind}, path: ./drops/{name}}}\n"
                  for name, kind in (("hr_uk", "hris_csv"), ("hr_de", "hris_csv"), ("lrs", "xapi_files")))
    )  # fmt: skip
    return config


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory, prefect_harness):
    config_path = write_enterprise(tmp_path_factory.mktemp("identity"))
    record = nightly_sync(as_of=AS_OF, config_path=str(config_path))
    config = load_config(config_path)
    return {"record": record, "config": config, "build": record["build"]["build_db"]}


def rows(database: str | Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_voiding_statement_is_no_learning_record_and_the_run_publishes(enterprise):
    """16 statements with ids and 1 without (delivered twice, counted once; a re-used id with
    other content is refused): the voiding one (by an administrator HR does not know) and the
    statement it retracts leave 15 records; 1 names a contractor (7 %, a warning under the error
    line); the record whose alias names two employees is not an unknown learner."""
    assert enterprise["record"]["status"] == "success"
    checks = rows(
        enterprise["config"].marts_db,
        "select checked_rows, failing_rows, check_status from rpt_cross_system_checks "
        "where check_name = 'learning_record_learner_unknown_to_hr'",
    )
    assert checks == [(15, 1, "warn")]


def test_an_id_less_statement_gets_one_derived_id_and_a_reused_id_is_a_conflict(enterprise):
    build = enterprise["build"]
    derived = rows(
        build,
        "select record_id, verb, record_id_derived, occurred_at_from from staging.stg_lms__learning_records "
        "where record_id_derived",
    )
    assert derived == [(xapi_files.derived_id(ID_LESS), "attempted", True, "timestamp")]
    kept = rows(build, "select verb from staging.stg_lms__learning_records where record_id like '%000000000002'")
    assert kept == [("completed",)]  # the first stored version wins
    conflicts = rows(
        build, "select record_id, _source_file, kept_source_file from staging.stg_lms__learning_record_conflicts"
    )
    assert conflicts == [
        ("00000000-0000-4000-8000-000000000002", "statements_2026-11.json", "statements_2026-10.jsonl")
    ]
    warning = (
        "xAPI statement id conflict: 1 statement(s) re-use an id with other content and were refused (the first "
        "stored version is kept): 00000000-0000-4000-8000-000000000002 at statements_2026-11.json:2 "
        "(kept: statements_2026-10.jsonl:2)"
    )
    assert warning in enterprise["record"]["build"]["warnings"]


def test_unresolved_learners_list_the_contractor_and_the_ambiguous_alias_only(enterprise):
    listed = rows(
        enterprise["build"],
        "select source, learner_ref, resolution_method, learning_record_count, candidates "
        "from restricted.rpt_unresolved_learners order by learner_ref",
    )
    both = "E08 (ambiguous alias); E09 (ambiguous alias)"
    assert listed == [
        ("lrs", "account:https://lms.example|shared", "ambiguous_alias", 1, both),
        ("lrs", "contractor.lee@temp-staffing.example", "unresolved", 1, None),
    ]


def test_compliance_evidence_says_how_the_learner_was_matched(enterprise):
    evidence = dict(
        rows(
            enterprise["config"].marts_db,
            "select employee_id, evidence_record_id || ' ' || evidence_resolution_method from fct_compliance_status "
            "where status = 'compliant'",
        )
    )
    assert evidence == {
        "E01": "00000000-0000-4000-8000-000000000001 email",
        "E02": "00000000-0000-4000-8000-000000000002 email",
        "E03": "00000000-0000-4000-8000-000000000003 mbox_sha1sum",
        "E04": "00000000-0000-4000-8000-000000000004 email",
        "E06": "00000000-0000-4000-8000-000000000005 email",
        "E07": "00000000-0000-4000-8000-000000000006 alias",
        "E08": "00000000-0000-4000-8000-000000000007 email",
        "E09": "00000000-0000-4000-8000-000000000008 email",  # not the retracted statement 13
    }


def test_the_ambiguous_alias_is_a_build_warning_in_the_run_report(enterprise):
    record = enterprise["record"]
    assert [w for w in record["build"]["warnings"] if "assert_no_ambiguous_learner_alias" in w]
    others = [w for w in record["build"]["warnings"] if "assert_no_ambiguous" not in w]
    assert sorted(w.split(":")[0] for w in others) == [
        "cross-system check learning_record_learner_unknown_to_hr warn",
        "xAPI statement id conflict",
    ]
    report = (enterprise["config"].home / "runs" / f"{record['run_id']}.html").read_text()
    assert "warning: test.trainops.assert_no_ambiguous_learner_alias" in report


CONTRACTOR_WARNING = (
    "cross-system check learning_record_learner_unknown_to_hr warn: 1 of 15 rows failing (6.67%), over its "
    "warn threshold (rate > 0.00%); first refs: contractor.lee@temp-staffing.example; to change it, set "
    "checks.learning_record_learner_unknown_to_hr.warn in trainops.yaml"
)


def test_the_unknown_contractor_is_a_warning_naming_him_in_the_record_and_the_report(enterprise):
    """By default 1 unknown learner of 14 warns and publishes: the error level needs more than 10 %
    and more than 3 rows (a 9-person company is not blocked by one contractor)."""
    record = enterprise["record"]
    assert CONTRACTOR_WARNING in record["build"]["warnings"]
    saved = json.loads((enterprise["config"].home / "runs" / f"{record['run_id']}.json").read_text())
    assert CONTRACTOR_WARNING in saved["build"]["warnings"]
    report = (enterprise["config"].home / "runs" / f"{record['run_id']}.html").read_text()
    assert "contractor.lee@temp-staffing.example" in report
    assert "checks.learning_record_learner_unknown_to_hr.warn" in report


def test_each_hr_source_speaks_for_its_own_employees(enterprise):
    """hr_uk's November roster drops E05 (gone) and nobody else; hr_de's rosters, dated otherwise,
    end none of hr_uk's employees; E01, in both, follows hr_de (no hr_precedence: by name)."""
    roster = {
        employee: (department, current)
        for employee, department, current in rows(
            enterprise["build"], "select employee_id, department, is_on_latest_roster from restricted.dim_employees"
        )
    }
    assert roster == {
        "E01": ("Ops DE", True), "E02": ("Ops GB", True), "E03": ("Ops GB", True), "E04": ("Ops GB", True),
        "E05": ("Ops GB", False), "E06": ("Ops DE", True), "E07": ("Ops DE", True), "E08": ("Ops DE", True),
        "E09": ("Ops DE", True),
    }  # fmt: skip


def test_a_stricter_check_setting_fails_the_night_saying_why(enterprise, tmp_path):
    """The same enterprise with ``checks:`` saying any unknown learner is an error: the run fails,
    nothing new is published, and the message names the check, its count and rate, the threshold,
    the contractor and the key to change."""
    config_path = enterprise["config"].path
    strict = config_path.with_name("strict.yaml")
    strict.write_text(
        config_path.read_text()
        + "checks:\n  learning_record_learner_unknown_to_hr: {warn: {rate: 0}, error: {count: 0}}\n"
    )
    with pytest.raises(RunFailed) as failed:
        nightly_sync(as_of=AS_OF, config_path=str(strict))
    message = str(failed.value)
    assert (
        "cross-system check learning_record_learner_unknown_to_hr error: 1 of 15 rows failing (6.67%), over its "
        "error threshold (count > 0); first refs: contractor.lee@temp-staffing.example; to change it, set "
        "checks.learning_record_learner_unknown_to_hr.error in trainops.yaml"
    ) in message
    assert "Got 1 result" not in message
