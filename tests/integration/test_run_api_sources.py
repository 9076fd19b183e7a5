"""`trainops run` lands API sources named in trainops.yaml beside the file drops, end to end.

A generated demo enterprise's trainops.yaml gets two more sources:

- ``lrs_api`` (``xapi_lrs``): a REAL Ralph LRS on loopback (the session's ``ralph`` fixture, real
  basic auth), seeded with statements for demo employees on a course of the demo catalogue. They
  carry a registration of their own, which the source filters on (``params``): the LRS is shared
  with the other LRS tests of the session. ``limit: 2`` makes the connector follow ``more``.
- ``bamboo`` (``bamboohr``): a BambooHR custom report served over loopback HTTP by pytest-httpserver,
  built here in the shape of BambooHR's payloads (``[]`` for empty values, ``0000-00-00`` dates, a
  rehire, an inactive employee, a 429 with ``Retry-After`` first).

The real CLI (``python -m flows.cli run``) runs twice in a subprocess, credentials only in its
environment (the variables the config names). Between the runs one more statement reaches the LRS.
Asserted: the statements become learning records and compliance evidence in the published marts,
the BambooHR employees reach staging, the restricted roster and the marts, the second run adds only
the new statement (LRS ``since``) and re-lands the roster without duplicating anyone, every load
balances, and no credential appears in the output, the Prefect logs, the run records, the HTML
reports or anywhere under the data home.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import secrets
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors import landing, state
from demo import generate
from pipeline.config import load_config
from pipeline.demo_config import write_demo_config
from pipeline.lifecycle import business_today

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
LRS_SOURCE, HR_SOURCE = "lrs_api", "bamboo"
ENV_LRS_USER, ENV_LRS_PASSWORD, ENV_BHR_KEY = "TRAINOPS_IT_LRS_USER", "TRAINOPS_IT_LRS_PASSWORD", "TRAINOPS_IT_BHR_KEY"
REPORT_PATH = "/api/gateway.php/acme/v1/reports/custom"
PLATFORM = "Acme LMS"


# -- the BambooHR side -------------------------------------------------------------------------------


def bamboo_employee(employee_id: str, first: str, last: str, **fields) -> dict:
    """One row of a BambooHR custom report, as BambooHR sends it (strings; `[]` and `0000-00-00`
    for empty values)."""
    row = {
        "id": employee_id,
        "employeeNumber": f"B-{employee_id}",
        "firstName": first,
        "lastName": last,
        "preferredName": [],
        "workEmail": f"{first}.{last}@bamboo.example".lower(),
        "homeEmail": [],
        "status": "Active",
        "employmentHistoryStatus": "Full-Time",
        "hireDate": "2024-03-04",
        "terminationDate": "0000-00-00",
        "jobTitle": "Payroll Specialist",
        "department": "Finance",
        "division": "EMEA",
        "country": "GB",
        "location": "London",
        "supervisorEId": "9101",
        "lastChanged": "2026-10-02T09:15:00+00:00",
        "ssn": "078-05-1120",  # never landed (connectors/hris/common.py SENSITIVE_FIELDS)
    }
    row.update(fields)
    return row


BAMBOO_EMPLOYEES = [
    bamboo_employee("9101", "Nadia", "Okafor", supervisorEId=[], jobTitle="Finance Director"),
    bamboo_employee("9102", "Tomas", "Lindqvist", workEmail=[], bestEmail="tomas.lindqvist@bamboo.example"),
    bamboo_employee(
        "9103", "Priya", "Raman", status="Inactive", terminationDate="2026-10-30", employmentHistoryStatus="Terminated"
    ),
    bamboo_employee(  # a rehire: the old termination date is an earlier employment's
        "9104",
        "Jonah",
        "Weiss",
        hireDate="2025-01-06",
        terminationDate="2023-05-31",
        employmentHistoryStatus="Part-Time",
    ),
]
EXPECTED_BAMBOO = {  # employee_id → (status, email, termination_date)
    "9101": ("active", "nadia.okafor@bamboo.example", None),
    "9102": ("active", "tomas.lindqvist@bamboo.example", None),
    "9103": ("terminated", "priya.raman@bamboo.example", date(2026, 10, 30)),
    "9104": ("active", "jonah.weiss@bamboo.example", None),
}


class BambooHr:
    """The custom-report endpoint: 429 + Retry-After on the very first request, then the report to
    a request with the right API key (basic auth, password ``x``), 401 otherwise."""

    def __init__(self, api_key: str):
        self.expected = "Basic " + base64.b64encode(f"{api_key}:x".encode()).decode()
        self.requests: list[tuple[str, dict]] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append((request.headers.get("Authorization", ""), request.get_json(silent=True) or {}))
        if len(self.requests) == 1:
            return Response("", status=429, headers={"Retry-After": "1"})
        if request.headers.get("Authorization") != self.expected:
            return Response('{"error": "unauthorized"}', status=401, content_type="application/json")
        report = {
            "title": "trainops roster",
            "fields": [{"id": "workEmail", "type": "email", "name": "Work Email"}],
            "employees": BAMBOO_EMPLOYEES,
        }
        return Response(json.dumps(report), status=200, content_type="application/json")


# -- the LRS side --------------------------------------------------------------------------------------


def statement(email: str, activity_id: str, verb: str, at: datetime, registration: str, **result) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": activity_id,
            "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
        },
        "timestamp": at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "context": {"registration": registration, "platform": PLATFORM},
    }
    if result:
        body["result"] = result
    return body


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def pick_cases(demo: Path, truth: dict) -> dict:
    """Planted overdue / due-soon employees of one requirement, its first course's activity IRI and
    the employees' emails from the last roster snapshot."""
    requirements = {row["requirement_id"]: row for row in read_csv(demo / "reference" / "training_requirements.csv")}
    by_case = {case["case"]: case for case in truth["compliance"]}
    chosen = {name: by_case[name] for name in ("overdue", "expired_recurrence", "due_soon", "not_yet_due")}
    requirement = chosen["overdue"]["requirement_id"]
    assert chosen["expired_recurrence"]["requirement_id"] == chosen["due_soon"]["requirement_id"] == requirement
    course = requirements[requirement]["course_refs"].split(";")[0]
    courses = {row["course_ref"]: row for row in read_csv(demo / "reference" / "courses.csv")}
    activity_id = courses[course]["activity_id"]
    assert activity_id, f"course {course} has no activity_id in courses.csv"
    roster = read_csv(sorted((demo / "drops" / "hris").glob("employees_*.csv"))[-1])
    emails = {row["employee_id"]: row["email"] for row in roster}
    return {
        "requirement": requirement,
        "activity_id": activity_id,
        **{name: (case["employee_id"], emails[case["employee_id"]]) for name, case in chosen.items()},
    }


# -- running the CLI -------------------------------------------------------------------------------------


def api_url() -> str:
    from prefect.settings import get_current_settings

    return str(get_current_settings().api.url)


def trainops_run(config_path: Path, as_of: date, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flows.cli", "-v", "run", "--config", str(config_path), "--as-of", str(as_of)]
    return subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, **env, "PREFECT_API_URL": api_url(), "PREFECT_LOGGING_LEVEL": "DEBUG"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def prefect_logs(config_path: Path) -> list[str]:
    """Every log line the Prefect API stored for this config's nightly-sync flow runs (and their tasks)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["nightly-sync"])))
        ids = [run.id for run in runs if run.parameters.get("config_path") == str(config_path)]
        assert len(ids) == 2, f"expected the two nightly-sync runs of {config_path}, found {len(ids)}"
        messages, offset = [], 0
        while True:
            page = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)), limit=200, offset=offset)
            messages += [log.message for log in page]
            if len(page) < 200:
                return messages
            offset += 200


@pytest.fixture(scope="module")
def runs(tmp_path_factory, prefect_harness, ralph):
    root = tmp_path_factory.mktemp("api-sources")
    demo = root / "demo"
    as_of = business_today("Europe/London")  # BambooHR rosters are dated the day they are pulled
    truth = generate(demo, as_of=as_of, seed=3, employees=80, months=3, vendors=3)
    cases = pick_cases(demo, truth)
    config_path = write_demo_config(demo, home=root / "home")

    registration = str(uuid.uuid4())
    before = datetime.now(UTC) - timedelta(hours=2)
    activity = cases["activity_id"]
    first_statements = [
        statement(cases["overdue"][1], activity, "completed", before, registration, success=True, completion=True),
        statement(cases["expired_recurrence"][1], activity, "failed", before, registration, success=False),
        statement(cases["due_soon"][1], activity, "attempted", before + timedelta(minutes=1), registration),
        statement(cases["not_yet_due"][1], activity, "experienced", before + timedelta(minutes=2), registration),
    ]
    ralph.post(first_statements)

    bamboo_key = f"bhr-it-{secrets.token_hex(12)}"
    bamboo = BambooHr(bamboo_key)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(REPORT_PATH, method="POST", query_string={"format": "JSON"}).respond_with_handler(bamboo)
    server.start()
    try:
        with config_path.open("a") as config:
            config.write(
                f"  - name: {LRS_SOURCE}\n"
                "    kind: xapi_lrs\n"
                f"    url: {ralph.url}\n"
                f"    username_env: {ENV_LRS_USER}\n"
                f"    password_env: {ENV_LRS_PASSWORD}\n"
                "    limit: 2\n"
                f"    params: {{registration: {registration}}}\n"
                "    max_retries: 2\n"
                "    backoff: 0.05\n"
                f"  - name: {HR_SOURCE}\n"
                "    kind: bamboohr\n"
                f"    url: {server.url_for('/api/gateway.php/acme/')}\n"
                f"    api_key_env: {ENV_BHR_KEY}\n"
                "    backoff: 0.05\n"
            )
        env = {ENV_LRS_USER: ralph.user, ENV_LRS_PASSWORD: ralph.password, ENV_BHR_KEY: bamboo_key}
        config = load_config(config_path)
        first = trainops_run(config_path, as_of, env)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-5000:]
        after_first = snapshot(config.home)

        late = statement(cases["due_soon"][1], activity, "completed", datetime.now(UTC) - timedelta(seconds=30),
                         registration, success=True, completion=True)  # fmt: skip
        ralph.post([late])
        second = trainops_run(config_path, as_of, env)
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-5000:]
    finally:
        server.clear()
        server.stop()
    return {
        "config": config,
        "config_path": config_path,
        "as_of": as_of,
        "cases": cases,
        "first_statements": first_statements,
        "late": late,
        "first": first,
        "second": second,
        "after_first": after_first,
        "bamboo": bamboo,
        "secrets": {"lrs_user": ralph.user, "lrs_password": ralph.password, "bamboo_key": bamboo_key},
    }


def snapshot(home: Path) -> dict:
    """What a run left: loads per source, the last run record, the published compliance rows, and
    what its build staged from the API sources (staging views read the landing as it is now, so
    they are read right after the run)."""
    records = sorted((home / "runs").glob("*.json"))
    record = json.loads(records[-1].read_text())
    with duckdb.connect(str(home / "warehouse" / "marts.duckdb"), read_only=True) as con:
        compliance = con.execute(
            "select employee_id, requirement_id, status, evidence_record_id from fct_compliance_status"
        ).fetchall()
    with duckdb.connect(str(home / "warehouse" / f"build-{record['run_id']}.duckdb"), read_only=True) as con:
        staged_records = con.execute(
            "select record_id, learner_ref, course_ref, verb from staging.stg_lms__learning_records where _source = ?",
            [LRS_SOURCE],
        ).fetchall()
        staged_employees = con.execute(
            "select employee_id, status, email, termination_date, snapshot_date, _load_id "
            "from staging.stg_hris__employees where _source = ?",
            [HR_SOURCE],
        ).fetchall()
        roster = con.execute(
            "select employee_id, status from restricted.dim_employees where employee_id in (?, ?, ?, ?)",
            list(EXPECTED_BAMBOO),
        ).fetchall()
        reconciliation = con.execute(
            "select source, sum(raw_rows), sum(staged_rows), sum(superseded_rows), bool_and(is_balanced) "
            "from marts.rpt_load_reconciliation where source in (?, ?) group by source order by source",
            [HR_SOURCE, LRS_SOURCE],
        ).fetchall()
    return {
        "loads": Counter(load.source for load in landing.list_loads(home)),
        "record": record,
        "compliance": {(row[0], row[1]): (row[2], row[3]) for row in compliance},
        "staged_records": staged_records,
        "staged_employees": staged_employees,
        "roster": dict(roster),
        "reconciliation": reconciliation,
    }


def landed_ids(home: Path, source: str, entity: str, column: str) -> Counter:
    counts: Counter = Counter()
    for load in landing.list_loads(home, source):
        table = landing.read_entity(load, entity)
        if table is not None:
            counts.update(table.column(column).to_pylist())
    return counts


# -- tests -------------------------------------------------------------------------------------------------


def test_first_run_lands_lrs_statements_as_compliance_evidence(runs):
    first, cases = runs["after_first"], runs["cases"]
    record = first["record"]
    assert record["status"] == "success"
    sources = {source["source"]: source for source in record["sources"]}
    assert sources[LRS_SOURCE]["rows"] == {"lms.learning_record": 4} and sources[LRS_SOURCE]["rejects"] == 0
    assert len(sources[LRS_SOURCE]["loads"]) >= 2  # limit 2: `more` followed, one load per page
    course = cases["activity_id"].rsplit("/", 1)[1]
    assert sorted(first["staged_records"]) == sorted(
        (s["id"], s["actor"]["mbox"].removeprefix("mailto:").lower(), course, s["verb"]["display"]["en-US"])
        for s in runs["first_statements"]
    )

    requirement = cases["requirement"]
    completed, failed = runs["first_statements"][:2]
    overdue, expired = cases["overdue"][0], cases["expired_recurrence"][0]
    # the LRS completion is the evidence that makes the planted overdue employee compliant …
    assert first["compliance"][(overdue, requirement)] == ("compliant", completed["id"])
    # … a failed attempt counts for nothing; an attempt is no completion
    assert first["compliance"][(expired, requirement)][0] == "overdue"
    assert first["compliance"][(expired, requirement)][1] != failed["id"]
    assert first["compliance"][(cases["due_soon"][0], requirement)][0] == "due_soon"
    assert (LRS_SOURCE, 4, 4, 0, True) in first["reconciliation"]


def test_bamboohr_employees_reach_staging_the_restricted_roster_and_the_marts(runs):
    first, home = runs["after_first"], runs["config"].home
    sources = {source["source"]: source for source in first["record"]["sources"]}
    assert sources[HR_SOURCE]["rows"] == {"hris.employee": len(BAMBOO_EMPLOYEES)}
    requests = runs["bamboo"].requests
    assert len(requests) == 3  # run 1: a 429, retried after Retry-After, then the report; run 2: the report
    assert all(auth == runs["bamboo"].expected for auth, _ in requests)
    assert {"id", "workEmail", "hireDate", "terminationDate", "status"} <= set(requests[1][1]["fields"])

    staged = first["staged_employees"]
    assert {row[0]: tuple(row[1:4]) for row in staged} == EXPECTED_BAMBOO
    assert {row[4] for row in staged} == {datetime.now(UTC).date()}  # the snapshot is the day of the pull
    assert first["roster"] == {employee: expected[0] for employee, expected in EXPECTED_BAMBOO.items()}
    in_marts = {employee for employee, _ in first["compliance"] if employee in EXPECTED_BAMBOO}
    assert in_marts == {"9101", "9102", "9104"}  # the terminated one owes no training
    assert (HR_SOURCE, 4, 4, 0, True) in first["reconciliation"]
    raw = "".join(
        row["raw"]
        for load in landing.list_loads(home, HR_SOURCE)
        for row in landing.read_entity(load, "hris.employee").to_pylist()
    )
    assert "Okafor" in raw and "078-05-1120" not in raw  # raw kept, less the government id


def test_second_run_adds_only_the_new_statement_and_duplicates_nobody(runs):
    home, first = runs["config"].home, runs["after_first"]
    second = snapshot(home)
    record = second["record"]
    assert record["status"] == "success" and record["run_id"] != first["record"]["run_id"]
    sources = {source["source"]: source for source in record["sources"]}

    # LRS: asked `since` the watermark (less the lookback); only the new statement came back
    assert sources[LRS_SOURCE]["rows"] == {"lms.learning_record": 1}
    new_loads = [load for load in landing.list_loads(home, LRS_SOURCE) if load.load_id in sources[LRS_SOURCE]["loads"]]
    assert new_loads and all(load.manifest["unit"]["since"] for load in new_loads)
    statement_ids = {s["id"] for s in runs["first_statements"]} | {runs["late"]["id"]}
    landed = landed_ids(home, LRS_SOURCE, "lms.learning_record", "record_id")
    assert set(landed) == statement_ids and set(landed.values()) == {1}
    assert sorted(row[0] for row in second["staged_records"]) == sorted(statement_ids)
    lrs_state = state.read_state(home, LRS_SOURCE)
    assert lrs_state["watermark"] and "run" not in lrs_state

    # the late completion made the due-soon employee compliant; the earlier evidence stands
    cases, requirement = runs["cases"], runs["cases"]["requirement"]
    assert second["compliance"][(cases["due_soon"][0], requirement)] == ("compliant", runs["late"]["id"])
    overdue = (cases["overdue"][0], requirement)
    assert second["compliance"][overdue] == first["compliance"][overdue]
    assert len(second["compliance"]) == len(first["compliance"])  # one row per employee × requirement

    # BambooHR: the roster is pulled again (same snapshot date) and replaces the first copy
    assert sources[HR_SOURCE]["rows"] == {"hris.employee": len(BAMBOO_EMPLOYEES)}
    assert (first["loads"][HR_SOURCE], second["loads"][HR_SOURCE]) == (1, 2)
    assert Counter(row[0] for row in second["staged_employees"]) == Counter(list(EXPECTED_BAMBOO))
    assert {row[5] for row in second["staged_employees"]} == {max(sources[HR_SOURCE]["loads"])}
    assert second["roster"] == first["roster"]
    file_sources = [name for name in second["loads"] if name not in (LRS_SOURCE, HR_SOURCE)]
    assert all(second["loads"][name] == first["loads"][name] for name in file_sources)  # no new files
    assert second["reconciliation"] == [
        (HR_SOURCE, 8, 4, 4, True),  # the first copy superseded by the second, nothing lost
        (LRS_SOURCE, 5, 5, 0, True),
    ]


def test_credentials_never_appear_in_output_logs_records_reports_or_data(runs):
    home, found = runs["config"].home, []
    secrets_ = runs["secrets"]
    texts = {
        "first run output": runs["first"].stdout + runs["first"].stderr,
        "second run output": runs["second"].stdout + runs["second"].stderr,
        "prefect logs": "\n".join(prefect_logs(runs["config_path"])),
    }
    for path in sorted((home / "runs").glob("*")):
        texts[str(path.relative_to(home))] = path.read_text()
    assert [name.rsplit(".", 1)[-1] for name in texts if name.startswith("runs/")] == ["html", "json"] * 2
    # the scan reads real material: the runs logged their HTTP work (the 429 retry names the path)
    assert "v1/reports/custom" in texts["first run output"] and LRS_SOURCE in texts["prefect logs"]
    for name, text in texts.items():
        found += [f"{key} in {name}" for key, secret in secrets_.items() if secret in text]
    # the LRS user is in the landed statements' `authority` (the LRS's own data, kept raw in landing);
    # the password and the API key are nowhere under the home, the user nowhere beyond landing
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        data, raw_landing = path.read_bytes(), path.relative_to(home).parts[0] == "landing"
        keys = ("lrs_password", "bamboo_key") if raw_landing else tuple(secrets_)
        found += [f"{key} in {path}" for key in keys if secrets_[key].encode() in data]
    assert not found, found
