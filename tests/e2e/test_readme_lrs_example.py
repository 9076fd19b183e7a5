"""README "Onboarding your own files", the LRS example, run for real: the README's own source block
and `learner_aliases.csv` beside a small hand-made roster, through the nightly flow (real dbt build).
What the README shows the run makes of the Moodle-like export — which employee each account resolves
to and by which method, and the one learner left for a steward — must be what the build holds.

The roster below is the README's: every expected figure is in the README's text blocks, counted by
hand from tests/fixtures/foreign/lrs/moodle_logstore_2026-10.jsonl."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from readme_examples import ROOT, lrs_example, lrs_part, lrs_tables

from flows.nightly import nightly_sync
from pipeline.config import load_config

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 11, 28)
ROSTER = """employee_id,email,given_name,family_name,status,hire_date,job_code,department,country
E0011,ann.lee@acme.example,Ann,Lee,active,2020-01-06,OPS,Operations,GB
E0012,bo.ek@acme.example,Bo,Ek,active,2021-03-01,OPS,Operations,GB
E0013,cara.diaz@acme.example,Cara,Diaz,active,2019-09-16,OPS,Operations,GB
E0014,dan.fox@acme.example,Dan,Fox,active,2022-02-01,OPS,Operations,GB
E0042,stu.test@acme.example,Stu,Test,active,2018-05-14,QA,Quality,GB
E0051,ira.kahn@acme.example,Ira,Kahn,active,2026-09-01,OPS,Operations,GB
E0057,jo.lind@acme.example,Jo,Lind,active,2026-10-12,OPS,Operations,GB
E0063,jane.doe@acme.example,Jane,Doe,active,2026-10-01,OPS,Operations,GB
"""
ACTIVITY = "https://lms.example.com/course/view.php?id="
REFERENCE = {
    "courses.csv": "course_ref,title,modality,vendor_id,duration_minutes,activity_id\n"
    f"COC-2026,Code of Conduct 2026,self_paced,,30,{ACTIVITY}42\n"
    f"SEC-101,Information Security Basics,self_paced,,45,{ACTIVITY}57\n",
    "training_requirements.csv": "requirement_id,title,course_refs,due_within_days,recurrence_months,effective_from\n"
    "REQ-COC,Code of Conduct,COC-2026,30,12,2020-01-01\n",
    "course_equivalences.csv": "course_ref,satisfies_course_ref\n",
    "exemptions.csv": "employee_id,requirement_id,reason,approved_by,valid_from,valid_to\n",
    "vendors.csv": "vendor_id,name,identifiers\n",
    "vendor_contracts.csv": "contract_id,vendor_id,pricing_model,currency,valid_from\n",
}


def write_home(root: Path) -> Path:
    """A data home for the README's LRS source: its YAML as the README gives it (the drop path made
    absolute), an HR source with the roster above, and a reference directory with the README's
    learner_aliases.csv."""
    example, aliases = lrs_example()
    (root / "hr").mkdir(parents=True)
    (root / "hr" / "employees_2026-11-27.csv").write_text(ROSTER, encoding="utf-8")
    reference = root / "reference"
    reference.mkdir()
    for name, text in {**REFERENCE, "learner_aliases.csv": aliases}.items():
        (reference / name).write_text(text, encoding="utf-8")
    sources = [{**source, "path": str(ROOT / source["path"])} for source in example["sources"]]
    data = {
        "home": str(root / "home"),
        "timezone": "Europe/London",
        **example,
        "reference_dir": str(reference),
        "sources": [{"name": "hr", "kind": "hris_csv", "path": str(root / "hr")}, *sources],
    }
    path = root / "trainops.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> dict[str, Any]:
    config_path = write_home(tmp_path_factory.mktemp("lrs_example"))
    record = nightly_sync(as_of=AS_OF, config_path=str(config_path))
    return {
        "record": record,
        "config": load_config(config_path),
        "build": record["build"]["build_db"],
        "path": config_path,
    }


def rows(database: str | Path, sql: str) -> list[tuple[str, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return [tuple("" if cell is None else str(cell) for cell in row) for row in con.execute(sql).fetchall()]


def test_the_night_publishes_with_a_warning_for_the_one_unknown_learner(night: dict[str, Any]) -> None:
    assert night["record"]["status"] == "success"
    checks = rows(
        night["config"].marts_db,
        "select checked_rows, failing_rows, check_status from rpt_cross_system_checks "
        "where check_name = 'learning_record_learner_unknown_to_hr'",
    )
    assert checks == [("12", "1", "warn")]


def test_each_account_resolves_as_the_readme_shows(night: dict[str, Any]) -> None:
    shown = lrs_tables()["resolved"]
    header = shown[0]
    assert header == ("learner_ref", "records", "employee_id", "resolution_method")
    built = rows(
        night["build"],
        "select learner_ref, count(*), employee_id, resolution_method "
        "from intermediate.int_learning_records_effective where _source = 'moodle' "
        "group by all order by learner_ref, min(occurred_at)",
    )
    assert shown[1:] == built
    methods = {row[3] for row in built}
    assert {"alias", "account_email", "unresolved"} <= methods


def test_the_unaliased_account_is_listed_for_a_steward_as_the_readme_shows(night: dict[str, Any]) -> None:
    shown = lrs_tables()["unresolved"]
    assert shown[0] == ("source", "learner_ref", "resolution_method", "learning_record_count", "candidates")
    built = rows(
        night["build"],
        "select source, learner_ref, resolution_method, learning_record_count, candidates "
        "from restricted.rpt_unresolved_learners order by learner_ref",
    )
    assert shown[1:] == built
    assert [row[1] for row in built] == ["account:https://lms.example.com|jdoe"]


def test_compliance_evidence_names_the_resolution_method(night: dict[str, Any]) -> None:
    """REQ-COC (course 42): the aliased employees are compliant through their account's records."""
    evidence = dict(
        rows(
            night["config"].marts_db,
            "select employee_id, evidence_resolution_method from fct_compliance_status "
            "where requirement_id = 'REQ-COC' and status = 'compliant'",
        )
    )
    assert evidence == {
        "E0011": "account_email", "E0012": "account_email", "E0013": "account_email", "E0014": "account_email",
        "E0042": "alias", "E0051": "alias", "E0057": "alias",
    }  # fmt: skip


def test_the_stewards_alias_resolves_the_account_the_next_night(night: dict[str, Any]) -> None:
    """The README's fix: one line in learner_aliases.csv, and the next night (no new file) resolves
    jdoe's record to E0063 by alias and lists no unresolved learner. Runs last: it changes the home."""
    [line] = re.findall(r"adds `([^`]+)` to `learner_aliases.csv`", lrs_part())
    aliases = night["config"].reference_dir / "learner_aliases.csv"
    aliases.write_text(aliases.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    record = nightly_sync(as_of=AS_OF, config_path=str(night["path"]))
    assert record["status"] == "success"
    build = record["build"]["build_db"]
    assert rows(build, "select count(*) from restricted.rpt_unresolved_learners") == [("0",)]
    assert rows(
        build,
        "select employee_id, resolution_method from intermediate.int_learning_records_effective "
        "where learner_ref = 'account:https://lms.example.com|jdoe'",
    ) == [("E0063", "alias")]
