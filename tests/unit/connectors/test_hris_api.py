"""The HRIS API connectors: pure mappings on the payloads in tests/fixtures/hris (BambooHR's and
Workday's real ones; Merge-shaped ones written for these tests), and the connectors over loopback
HTTP serving those payloads (auth, paging, quirks, resume, no secrets)."""

from __future__ import annotations

import base64
import inspect
import json
import logging
import typing
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from werkzeug import Response

from connectors.base import SourceError
from connectors.hris.bamboohr import (
    DEFAULT_FIELDS,
    EXTRA_REPORT_FIELDS,
    BambooHrConnector,
    BambooHrOptions,
    record_from_bamboohr,
)
from connectors.hris.common import EMPLOYEE, hris_date
from connectors.hris.merge import MergeHrisConnector, MergeHrisOptions, current_employment, record_from_merge
from connectors.hris.workday import WorkdayRaasConnector, WorkdayRaasOptions, record_from_report_entry, report_value
from connectors.options import HttpOptions, SecretEnv
from connectors.parsing import FieldError
from connectors.registry import API_CONNECTORS

TODAY = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)
API_KEY = "bhr-KEY-0123456789abcdef"
MERGE_KEY = "merge-KEY-abcdef0123"
ACCOUNT_TOKEN = "acct-TOKEN-42424242"


def load(samples, relative):
    return json.loads((samples / "hris" / relative).read_text())


def drive(conn, state):
    """Extract from ``state`` (as stored); the units and final state come back as they are stored."""
    units, results, current = [], [], conn.state_type.from_json(state)
    for unit, result in conn.extract(current):
        units.append(unit.to_json())
        results.append(result)
        current = conn.advance(current, unit, f"load-{len(units)}")
    return units, results, current.to_json()


def by_cursor(param, pages):
    """A handler serving ``pages[cursor]`` by the request's cursor parameter (None: first page)."""

    def handler(request):
        cursor = request.args.get(param)
        if cursor not in pages:
            return Response("unknown cursor", status=400)
        return Response(json.dumps(pages[cursor]), content_type="application/json")

    return handler


def employees(results):
    return [record for result in results for record in result.records.get(EMPLOYEE, [])]


# -- the registry ---------------------------------------------------------------------------------


def test_registry_classes_follow_the_contract():
    assert set(API_CONNECTORS) == {"xapi_lrs", "bamboohr", "workday_raas", "merge_hris"}
    for kind, cls in API_CONNECTORS.items():
        assert cls.kind == kind
        assert issubclass(cls.options_type, HttpOptions) and cls.streams and cls.state_type.from_json({}).is_empty
        parameters = inspect.signature(cls.__init__).parameters
        assert list(parameters)[1:3] == ["name", "options"]
        assert parameters["env"].kind is inspect.Parameter.KEYWORD_ONLY
        secrets = {key for key, field in cls.options_type.model_fields.items()
                   if SecretEnv in (field.annotation, *typing.get_args(field.annotation))}  # fmt: skip
        assert secrets and all(key.endswith("_env") for key in secrets)
        assert all(key in secrets for key in cls.options_type.model_fields if "env" in key)


# -- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-10-10", date(2020, 10, 10)),
        ("2020-10-10T00:00:00Z", date(2020, 10, 10)),  # Merge: a date as a midnight-UTC datetime
        ("2020-10-10-08:00", date(2020, 10, 10)),  # Workday: an XML date with an offset
        ("2020-10-10T23:30:00+02:00", date(2020, 10, 10)),  # the date as written, never shifted
        ("0000-00-00", None),  # BambooHR's blank date
        ([], None),  # BambooHR's [] for an empty value
    ],
)
def test_hris_dates(text, expected):
    assert hris_date(text) == expected


def test_hris_date_refuses_what_is_not_a_date():
    with pytest.raises(FieldError, match="is not a date"):
        hris_date("10/10/2020", "hireDate")


# -- BambooHR -------------------------------------------------------------------------------------


def test_bamboohr_requested_fields_are_real_custom_report_fields(samples):
    schema = load(samples, "bamboohr/airbyte-schemas/custom_reports_stream.json")["properties"]
    requested = set(DEFAULT_FIELDS.values()) | set(EXTRA_REPORT_FIELDS)
    assert requested <= set(schema), sorted(requested - set(schema))


def test_bamboohr_list_employees_sample_lacks_email_and_hire_date(samples):
    """The `employees` endpoint's default fields have no email or hire date: each row is a parse.*
    reject naming what is missing, never a silent drop (the connector asks for those fields)."""
    page = load(samples, "bamboohr/examples/list-employees__GET__200__basic.json")
    for item in page["data"]:
        with pytest.raises(FieldError) as caught:
            record_from_bamboohr(item, snapshot_date=TODAY.date())
        assert caught.value.rule == "parse.missing_required"
        assert caught.value.message == "email, hire_date: required value(s) missing"


def test_bamboohr_list_employees_with_requested_fields(samples):
    page = load(samples, "bamboohr/examples/list-employees__GET__200__batchByIds.json")
    extra = {
        "200": {"workEmail": "lena.smith@example.com", "hireDate": "2021-03-01", "departmentName": "QA"},
        "207": {"workEmail": None, "homeEmail": "marco@home.example", "hireDate": "2019-07-15", "reportsToId": "200"},
    }
    rows = [
        record_from_bamboohr({**item, **extra[item["employeeId"]]}, snapshot_date=TODAY.date()) for item in page["data"]
    ]
    lena, marco = rows
    assert (lena["employee_id"], lena["email"], lena["status"], lena["job_title"], lena["department"]) == (
        "200", "lena.smith@example.com", "active", "QA Analyst", "QA",
    )  # fmt: skip
    assert (marco["status"], marco["email"], marco["manager_id"]) == ("terminated", "marco@home.example", "200")
    assert marco["termination_date"] is None  # the `employees` endpoint has no termination date
    assert json.loads(marco["raw"])["_restrictedFields"] == ["photoUrl"]


def report_row(**fields):
    row = {
        "id": "41",
        "employeeNumber": "E-041",
        "firstName": "Ada",
        "lastName": "Byron",
        "workEmail": "ada@example.com",
        "status": "Active",
        "employmentHistoryStatus": "Full-Time",
        "hireDate": "2020-02-03",
        "terminationDate": "0000-00-00",
        "jobTitle": "Analyst",
        "department": "Finance",
        "division": "EMEA",
        "country": "United Kingdom",
        "supervisorEId": "7",
        "lastChanged": "2026-11-20T10:15:00+00:00",
    }
    row.update(fields)
    return row


def test_bamboohr_custom_report_rows():
    active = record_from_bamboohr(report_row(), snapshot_date=date(2026, 11, 28))
    assert active["status"] == "active" and active["termination_date"] is None
    assert (active["employment_type"], active["region"], active["manager_id"]) == ("full_time", "EMEA", "7")
    assert active["source_updated_at"] == datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
    gone = record_from_bamboohr(
        report_row(status="Inactive", terminationDate="2026-10-31"), snapshot_date=date(2026, 11, 28)
    )
    assert (gone["status"], gone["termination_date"]) == ("terminated", date(2026, 10, 31))
    leaving = record_from_bamboohr(report_row(terminationDate="2026-12-31"), snapshot_date=date(2026, 11, 28))
    assert (leaving["status"], leaving["termination_date"]) == ("active", date(2026, 12, 31))  # not yet in effect
    rehired = record_from_bamboohr(
        report_row(hireDate="2024-01-08", terminationDate="2022-05-31"), snapshot_date=date(2026, 11, 28)
    )
    assert (rehired["status"], rehired["termination_date"]) == ("active", None)
    on_leave = record_from_bamboohr(
        report_row(employmentHistoryStatus="Leave of Absence"), snapshot_date=date(2026, 11, 28)
    )
    assert (on_leave["status"], on_leave["employment_type"]) == ("leave", None)
    mapped = record_from_bamboohr(report_row(customCostCenter="CC-9"), fields={"cost_center": "customCostCenter"})
    assert mapped["cost_center"] == "CC-9"
    with pytest.raises(FieldError, match="status: 'pending' is not Active/Inactive"):
        record_from_bamboohr(report_row(status="Pending"))


def bamboohr(httpserver, **options):
    settings = {"url": httpserver.url_for("/api/gateway.php/acme/"), "api_key_env": "BHR_KEY", **options}
    options = BambooHrOptions.model_validate(settings)
    return BambooHrConnector("hr", options, env={"BHR_KEY": API_KEY}, now=lambda: TODAY, sleep=lambda s: None)


def test_bamboohr_custom_report_over_http(httpserver):
    report = {
        "title": "trainops roster",
        "fields": [{"id": "workEmail", "type": "email", "name": "Work Email"}],
        "employees": [
            report_row(),
            report_row(id="42", workEmail=[], homeEmail=[]),
            report_row(id="43", status="Inactive"),
        ],
    }
    httpserver.expect_ordered_request("/api/gateway.php/acme/v1/reports/custom", method="POST").respond_with_data(
        "",
        status=503,  # older BambooHR rate limiting
    )
    httpserver.expect_ordered_request("/api/gateway.php/acme/v1/reports/custom", method="POST").respond_with_data(
        "", status=429, headers={"Retry-After": "2"}
    )
    httpserver.expect_ordered_request(
        "/api/gateway.php/acme/v1/reports/custom", method="POST", query_string={"format": "JSON"}
    ).respond_with_json(report)
    units, results, state = drive(bamboohr(httpserver), {})
    request, _ = httpserver.log[-1]
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"{API_KEY}:x".encode()).decode()
    body = request.get_json()
    assert {"id", "workEmail", "hireDate", "terminationDate", "status", "employmentHistoryStatus"} <= set(
        body["fields"]
    )
    rows = employees(results)
    assert [(r["employee_id"], r["status"], r["snapshot_date"]) for r in rows] == [
        ("41", "active", date(2026, 11, 28)),
        ("43", "terminated", date(2026, 11, 28)),
    ]
    assert [(r.rule, r.source_line, r.column_name) for r in results[0].rejects] == [
        ("parse.missing_required", 2, "email")
    ]
    assert units == [
        {
            "snapshot_date": "2026-11-28", "page": 1, "request": "POST /api/gateway.php/acme/v1/reports/custom",
            "status": 200, "employees": 2, "rejects": 1, "next": None, "done": True, "endpoint": "custom_report",
            "roster": "full",
        }
    ]  # fmt: skip
    assert state["last_snapshot_date"] == "2026-11-28"


def test_bamboohr_empty_report_as_a_list(httpserver):
    httpserver.expect_request("/api/gateway.php/acme/v1/reports/custom").respond_with_json([])
    units, results, _ = drive(bamboohr(httpserver), {})
    assert units[0]["employees"] == 0 and results[0].raw_rows == 0


def test_bamboohr_employees_endpoint_pages_on_the_sample_payloads(httpserver, samples):
    first = load(samples, "bamboohr/examples/list-employees__GET__200__basic.json")
    last = load(samples, "bamboohr/examples/list-employees__GET__200__batchByIds.json")
    cursor = first["meta"]["page"]["nextCursor"]
    httpserver.expect_request("/api/gateway.php/acme/v1/employees").respond_with_handler(
        by_cursor("page[after]", {None: first, cursor: last})
    )
    conn = BambooHrConnector(
        "hr",
        BambooHrOptions(url=httpserver.url_for("/api/gateway.php/acme/"), token_env="BHR_TOKEN", endpoint="employees"),
        env={"BHR_TOKEN": "oauth-TOKEN-777777"},
        now=lambda: TODAY,
    )
    units, results, state = drive(conn, {})
    assert [(u["page"], u["done"]) for u in units] == [(1, False), (2, True)]
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer oauth-TOKEN-777777"
    assert "hireDate" in httpserver.log[0][0].args["fields"]
    # the samples have no email or hire date: 4 rejects, nothing silently dropped
    assert sum(r.raw_rows for r in results) == 4 and all(
        r.rule == "parse.missing_required" for x in results for r in x.rejects
    )
    assert state["last_pages"] == 2 and "run" not in state


def test_bamboohr_needs_a_key_and_names_missing_env_vars():
    with pytest.raises(ValidationError, match="give api_key_env"):
        BambooHrOptions(company_domain="acme")
    conn = BambooHrConnector("hr", BambooHrOptions(company_domain="acme", api_key_env="BHR_KEY"), env={})
    assert conn.base_url == "https://api.bamboohr.com/api/gateway.php/acme/"
    with pytest.raises(SourceError, match=r"environment variable BHR_KEY \(option api_key_env\) is not set"):
        list(conn.extract(conn.state_type()))


def test_bamboohr_key_never_logged(httpserver, caplog):
    caplog.set_level(logging.DEBUG)
    httpserver.expect_ordered_request("/api/gateway.php/acme/v1/reports/custom").respond_with_data(
        "", status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_ordered_request("/api/gateway.php/acme/v1/reports/custom").respond_with_data("denied", status=401)
    with pytest.raises(SourceError) as caught:
        drive(bamboohr(httpserver), {})
    assert str(caught.value).endswith("credentials refused (HTTP 401); check the API key in BHR_KEY")
    client_side = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug"))
    encoded = base64.b64encode(f"{API_KEY}:x".encode()).decode()
    assert "reports/custom" in client_side
    assert API_KEY not in client_side and encoded not in client_side and API_KEY not in str(caught.value)


# -- Merge ----------------------------------------------------------------------------------------


def test_merge_deleted_employee_keeps_its_termination(samples):
    employee = load(samples, "merge-shaped/employee_deleted.json")
    row = record_from_merge(employee, snapshot_date=TODAY.date())
    assert (row["employee_id"], row["email"], row["status"]) == (
        "7c1f5a0e-3b7d-4c52-9e44-2f0d6a1b8c93", "priya.raman@acme.example", "terminated",
    )  # fmt: skip
    # midnight-UTC datetimes keep their date; hire_date wins over start_date (2019-03-11)
    assert (row["hire_date"], row["termination_date"]) == (date(2019, 3, 4), date(2025, 8, 29))
    assert row["source_updated_at"] == datetime(2025, 9, 2, 14, 5, 31, 418000, tzinfo=UTC)
    assert row["manager_id"] == "b2e4d8a1-6c3f-4e7a-9d15-0a8f7c2e4b61"
    raw = json.loads(row["raw"])
    assert "ssn" not in raw and "remote_data" not in raw and raw["remote_was_deleted"] is True
    # deleted without a termination date: the date Merge recorded the deletion
    undated = record_from_merge({**employee, "termination_date": None}, snapshot_date=TODAY.date())
    assert (undated["status"], undated["termination_date"]) == ("terminated", date(2025, 9, 2))


def test_merge_expanded_relations(samples):
    employee = load(samples, "merge-shaped/employee_deleted.json")
    employment = load(samples, "merge-shaped/employment.json")
    team = load(samples, "merge-shaped/team.json")
    location = load(samples, "merge-shaped/location.json")
    cost_center = {**load(samples, "merge-shaped/group_cost_center.json"), "remote_was_deleted": False}
    current = {**employment, "remote_was_deleted": False}
    older = {
        **current,
        "id": "old",
        "job_title": "L&D Coordinator",
        "employment_type": "PART_TIME",
        "effective_date": "2019-03-04T00:00:00Z",
    }
    expanded = {
        **employee,
        "remote_was_deleted": False,
        "employment_status": "ACTIVE",
        "termination_date": None,
        "employments": [older, current],
        "team": team,
        "work_location": location,
        "groups": [cost_center],
    }
    row = record_from_merge(expanded, snapshot_date=TODAY.date())
    assert (row["status"], row["job_title"], row["employment_type"]) == (
        "active", "Learning & Development Partner", "full_time",
    )  # fmt: skip
    assert (row["department"], row["cost_center"], row["country"]) == ("People Operations", "CC-4410 People", "GBR")
    assert current_employment([older, current], date(2022, 1, 1))["id"] == "old"  # the later one not yet effective
    deleted_group = record_from_merge({**expanded, "groups": [{**cost_center, "remote_was_deleted": True}]})
    assert deleted_group["cost_center"] is None  # a group deleted in the HRIS is not the employee's


def test_merge_inactive_and_unknown_status(samples):
    employee = {**load(samples, "merge-shaped/employee_deleted.json"), "remote_was_deleted": False}
    assert record_from_merge(employee, snapshot_date=TODAY.date())["status"] == "terminated"  # INACTIVE
    with pytest.raises(FieldError, match="employment_status: 'RETIRED'"):
        record_from_merge({**employee, "employment_status": "RETIRED"})


def merge(httpserver, **options):
    settings = {
        "url": httpserver.url_for("/api/hris/v1/"),
        "api_key_env": "MERGE_API_KEY",
        "account_token_env": "MERGE_ACCOUNT_TOKEN",
        **options,
    }
    env = {"MERGE_API_KEY": MERGE_KEY, "MERGE_ACCOUNT_TOKEN": ACCOUNT_TOKEN}
    options = MergeHrisOptions.model_validate(settings)
    return MergeHrisConnector("merge", options, env=env, now=lambda: TODAY, sleep=lambda s: None)


def serve_merge_pages(httpserver, samples):
    page = load(samples, "merge-shaped/employees_page_1.json")
    second = load(samples, "merge-shaped/employees_page_2.json")
    assert second["previous"] == page["next"] and second["next"] is None
    pages = {None: page, page["next"]: second}
    httpserver.expect_request("/api/hris/v1/employees").respond_with_handler(by_cursor("cursor", pages))
    return page


def test_merge_pages_headers_and_deletions(httpserver, samples):
    serve_merge_pages(httpserver, samples)
    units, results, state = drive(merge(httpserver), {})
    first_request = httpserver.log[0][0]
    assert first_request.headers["Authorization"] == f"Bearer {MERGE_KEY}"
    assert first_request.headers["X-Account-Token"] == ACCOUNT_TOKEN
    assert first_request.args["expand"] == "employments,groups,team,work_location"
    assert first_request.args["include_deleted_data"] == "true" and "modified_after" not in first_request.args
    rows = employees(results)
    assert [(r["employee_id"], r["status"], r["email"]) for r in rows] == [
        ("7c1f5a0e-3b7d-4c52-9e44-2f0d6a1b8c93", "terminated", "priya.raman@acme.example"),  # remote_was_deleted
        ("5e8b1c4d-2a7f-4d93-b6e0-9c3f1a8d2e75", "active", "tomasz.nowak@acme.example"),
        ("2b9d7f1e-4c6a-4e08-9a53-d1e7c5b3f8a2", "active", "amara.okafor@mail.example"),  # PENDING, starts 2026-12-07
    ]
    # relations came expanded: the deleted employee's cost center group is deleted too
    assert [(r["job_title"], r["cost_center"], r["employment_type"]) for r in rows] == [
        ("Learning & Development Partner", None, "full_time"),
        ("Health and Safety Trainer", "CC-4410 People", "full_time"),
        ("Health and Safety Trainer", "CC-4410 People", "contractor"),
    ]
    assert [u["roster"] for u in units] == ["full", "full"]
    assert state["watermark"] == TODAY.isoformat() and state["last_full_snapshot_date"] == "2026-11-28"


def test_merge_resumes_a_pull_of_the_same_day_only(httpserver, samples):
    page = serve_merge_pages(httpserver, samples)
    conn = merge(httpserver)
    empty = conn.state_type()
    unit, _ = next(iter(conn.extract(empty)))
    state = conn.advance(empty, unit, "load-1").to_json()  # page 1 committed, then the process died
    assert state["run"]["next"]["params"]["cursor"] == page["next"]
    units, _, final = drive(conn, state)
    assert [u["page"] for u in units] == [2] and httpserver.log[-1][0].args["cursor"] == page["next"]
    stale = {**state, "run": {**state["run"], "snapshot_date": "2026-11-27"}}
    units, _, _ = drive(conn, stale)
    assert [u["page"] for u in units] == [1, 2]  # yesterday's half pull is not continued today


def test_merge_incremental_asks_modified_after_watermark_minus_lookback(httpserver, samples):
    serve_merge_pages(httpserver, samples)
    conn = merge(httpserver, incremental=True, lookback="10m")
    state = {"watermark": "2026-11-27T06:30:00+00:00", "last_full_snapshot_date": "2026-11-25"}
    units, _, final = drive(conn, state)
    assert httpserver.log[0][0].args["modified_after"] == "2026-11-27T06:20:00.000000Z"
    assert [u["roster"] for u in units] == ["incremental", "incremental"]
    assert final["watermark"] == TODAY.isoformat() and final["last_full_snapshot_date"] == "2026-11-25"
    weekly = {**state, "last_full_snapshot_date": "2026-11-21"}
    units, _, _ = drive(conn, weekly)
    assert units[0]["roster"] == "full"  # full_refresh_days (7) elapsed


# -- Workday RaaS ---------------------------------------------------------------------------------

JOB_REPORT_FIELDS = {
    "employee_id": "Job_Profile_Ref_ID",
    "email": "Work_Email",
    "hire_date": "Hire_Date",
    "job_code": "Job_Family_Ref_ID",
    "job_title": "Job_Profile",
    "department": "Job_Family_Groups_for_Job_Profile_group.0.Job_Family_Group_Ref_ID",
}


def test_workday_sample_report_without_emails_is_rejected_row_by_row(samples):
    report = load(samples, "workday-airbyte-fixtures/raas_report_2.json")
    entry = report["Report_Entry"][0]
    assert report_value(entry, JOB_REPORT_FIELDS["department"]) == "Family 1"
    assert report_value(entry, "Job_Family_Groups_for_Job_Profile_group.Job_Family_Group_Ref_ID") == "Family 1"
    with pytest.raises(FieldError) as caught:
        record_from_report_entry(entry, JOB_REPORT_FIELDS)
    assert caught.value.message == "email, hire_date: required value(s) missing"


def test_workday_mapping_is_configuration():
    entry = {
        "Employee_ID": "21001",
        "Work_Email": "logan@example.com",
        "Hire_Date": "2019-04-01-07:00",
        "Termination_Date": "",
        "Worker_Status": "On Leave",
        "Supervisory_Organization": {"Descriptor": "Finance (Logan McNeil)", "ID": "SUP-1"},
        "Worker_Type": "Regular",
        "Last_Updated": "2026-11-27T17:02:11.123-08:00",
    }
    fields = {
        "employee_id": "Employee_ID",
        "email": "Work_Email",
        "hire_date": "Hire_Date",
        "termination_date": "Termination_Date",
        "status": "Worker_Status",
        "department": "Supervisory_Organization",
        "employment_type": "Worker_Type",
        "source_updated_at": "Last_Updated",
    }
    row = record_from_report_entry(entry, fields, snapshot_date=date(2026, 11, 28))
    assert (row["status"], row["hire_date"], row["department"]) == ("leave", date(2019, 4, 1), "Finance (Logan McNeil)")
    assert row["source_updated_at"] == datetime(2026, 11, 28, 1, 2, 11, 123000, tzinfo=UTC)
    terminated = record_from_report_entry(
        {**entry, "Termination_Date": "2026-11-01"}, fields, snapshot_date=date(2026, 11, 28)
    )
    assert (terminated["status"], terminated["termination_date"]) == ("terminated", date(2026, 11, 1))
    custom = record_from_report_entry(
        {**entry, "Worker_Status": "Garden Leave"}, fields, status_map={"garden leave": "leave"}
    )
    assert custom["status"] == "leave"
    with pytest.raises(FieldError, match="'Seconded' is not in status_map"):
        record_from_report_entry({**entry, "Worker_Status": "Seconded"}, fields)


def test_workday_connector_over_http_lands_every_entry(httpserver, samples):
    report = load(samples, "workday-airbyte-fixtures/raas_report_2.json")
    report["Report_Entry"].append(
        {"Job_Profile_Ref_ID": "P4", "Work_Email": "p4@example.com", "Hire_Date": "2024-02-29"}
    )
    path = "/ccx/service/customreport2/acme/ISU_trainops/Roster"
    prompts = {"format": "json", "Effective_as_of_Date": "2026-11-28"}
    httpserver.expect_request(path, query_string=prompts).respond_with_json(report)
    conn = WorkdayRaasConnector(
        "workday",
        WorkdayRaasOptions(
            url=httpserver.url_for(path),
            username_env="WD_USER",
            password_env="WD_PASSWORD",
            fields=JOB_REPORT_FIELDS,
            params={"Effective_as_of_Date": "2026-11-28"},
        ),
        env={"WD_USER": "ISU_trainops@acme", "WD_PASSWORD": "wd-PASS-31337"},
        now=lambda: TODAY,
    )
    units, results, state = drive(conn, {})
    assert httpserver.log[0][0].authorization.username == "ISU_trainops@acme"
    rows = employees(results)
    assert [(r["employee_id"], r["status"], r["job_title"]) for r in rows] == [("P4", "active", None)]
    assert len(results[0].rejects) == 3 and results[0].raw_rows == 4  # every entry: a record or a reject
    assert units[0]["request"] == f"GET {path}" and state["last_snapshot_date"] == "2026-11-28"


def test_workday_configuration_errors_point_at_the_option():
    base = {"url": "https://wd.example/ccx/r", "username_env": "U", "password_env": "P"}
    with pytest.raises(ValidationError, match=r"fields\n  map email, hire_date"):
        WorkdayRaasOptions.model_validate({**base, "fields": {"employee_id": "ID"}})
    with pytest.raises(ValidationError, match="unknown column"):
        WorkdayRaasOptions.model_validate({**base, "fields": {**JOB_REPORT_FIELDS, "salary": "Pay"}})
    with pytest.raises(ValidationError, match=r"status_map\n  values must be one of active, leave, terminated"):
        WorkdayRaasOptions.model_validate({**base, "fields": JOB_REPORT_FIELDS, "status_map": {"x": "gone"}})
