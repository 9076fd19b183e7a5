"""`bamboohr`: the employee roster from BambooHR (docs/data-model.md, `hris.employee`).

Two endpoints, one mapping (``record_from_bamboohr``):

- ``custom_report`` (default): ``POST {url}/v1/reports/custom?format=JSON`` with the fields below.
  One request returns every employee, active and inactive, with hire and termination dates: the
  full roster a snapshot needs. Basic auth with the API key as user (password ``x``).
- ``employees``: ``GET {url}/v1/employees`` (cursor-paginated, ``fields=`` for email and hire date;
  OAuth bearer token). It has no termination date: an Inactive employee lands as terminated with
  ``termination_date`` empty.

The employee directory (``/v1/employees/directory``) is not offered: it lists active employees only
and has no hire date, so terminations would be lost and every row rejected.

Quirks handled: ``[]`` where an object or value is empty; ``0000-00-00`` for a blank date; 429 with
``Retry-After`` and, from older gateways, 503 (both retried by ``connectors/http.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import model_validator

from connectors.base import ParseResult, SourceError
from connectors.hris.common import (
    ROSTER_STREAMS,
    RosterPageUnit,
    RosterState,
    add_employees,
    advance_roster,
    blank,
    check_employee,
    hris_date,
    hris_timestamp,
    raw_json,
    roster_pages,
    roster_unit,
    terminated_by_date,
    text_value,
    utc_now,
    whole_roster_unit,
)
from connectors.http import HttpClient
from connectors.options import Count, HttpOptions, HttpUrl, SecretEnv, Text, TextList, TextMap, invalid
from connectors.pagination import CursorPaginator, PageRequest, dig
from connectors.parsing import FieldError

# Canonical column → BambooHR field id (custom report ids; the `employees` endpoint's own names
# are read as fallbacks in `record_from_bamboohr`). `fields:` in the config overrides or adds.
DEFAULT_FIELDS: dict[str, str] = {
    "employee_id": "id",
    "email": "workEmail",
    "given_name": "firstName",
    "family_name": "lastName",
    "status": "status",
    "hire_date": "hireDate",
    "termination_date": "terminationDate",
    "job_title": "jobTitle",
    "department": "department",
    "country": "country",
    "region": "division",
    "manager_id": "supervisorEId",
    "employment_type": "employmentHistoryStatus",
    "source_updated_at": "lastChanged",
}
# Asked for besides the mapped ones (kept in `raw`; email fallbacks, the employee number).
EXTRA_REPORT_FIELDS = ("employeeNumber", "preferredName", "homeEmail", "bestEmail", "location", "supervisorEmail")
# The `employees` endpoint: optional fields to ask for, and its names for the report's fields.
EMPLOYEES_ENDPOINT_FIELDS = (
    "workEmail",
    "homeEmail",
    "bestEmail",
    "hireDate",
    "departmentName",
    "divisionName",
    "locationName",
    "employmentStatusName",
    "reportsToId",
)
_ALIASES = {
    "id": ("employeeId",),
    "jobTitle": ("jobTitleName",),
    "department": ("departmentName",),
    "division": ("divisionName",),
    "location": ("locationName",),
    "supervisorEId": ("reportsToId",),
    "employmentHistoryStatus": ("employmentStatusName",),
}
_EMAIL_FALLBACKS = ("workEmail", "bestEmail", "homeEmail")
_LEAVE_WORDS = ("leave", "furlough", "sabbatical")


def _field(payload: dict[str, Any], name: str) -> Any:
    value = payload.get(name)
    if blank(value):
        for alias in _ALIASES.get(name, ()):
            if not blank(payload.get(alias)):
                return payload[alias]
        return None
    return value


def _employment_type(history_status: str | None) -> str | None:
    """``Full-Time`` → ``full_time``; statuses that are not a type of employment → None."""
    if history_status is None:
        return None
    lowered = history_status.lower()
    if "terminat" in lowered or any(word in lowered for word in _LEAVE_WORDS):
        return None
    return "_".join(lowered.replace("-", " ").split())


def record_from_bamboohr(
    payload: Any, *, fields: Mapping[str, str] | None = None, snapshot_date: date | None = None
) -> dict[str, Any]:
    """One BambooHR employee (custom report row or `employees` item) → `hris.employee` values.

    Status: terminated when BambooHR says Inactive, the employment status says Terminated, or a
    termination date in effect on ``snapshot_date`` is set (a later hire date means a rehire, and the
    old termination date is dropped); leave when the employment status names a leave; else active.
    Raises ``FieldError`` (rule ``parse.*``) for what cannot be mapped.
    """
    if isinstance(payload, list) and not payload:
        payload = {}
    if not isinstance(payload, dict):
        raise FieldError(
            "parse.invalid_record", None, None, f"expected an employee object, found {type(payload).__name__}"
        )
    mapping = {**DEFAULT_FIELDS, **(fields or {})}

    def get(column: str) -> Any:
        return _field(payload, mapping[column]) if column in mapping else None

    values: dict[str, Any] = {}
    for column in ("employee_id", "given_name", "family_name", "job_code", "job_title", "department",
                   "cost_center", "country", "region", "manager_id"):  # fmt: skip
        values[column] = text_value(get(column))
    email = text_value(get("email"))
    if email is None and mapping.get("email") == DEFAULT_FIELDS["email"]:
        email = next(
            (text_value(payload.get(name)) for name in _EMAIL_FALLBACKS if text_value(payload.get(name))), None
        )
    values["email"] = email
    hire = hris_date(get("hire_date"), mapping.get("hire_date"))
    termination = hris_date(get("termination_date"), mapping.get("termination_date"))
    history = text_value(get("employment_type"))
    values["employment_type"] = _employment_type(history)
    values["source_updated_at"] = hris_timestamp(get("source_updated_at"), mapping.get("source_updated_at"))

    status_text = (text_value(get("status")) or "").lower()
    history_text = (history or "").lower()
    if status_text == "inactive" or "terminat" in history_text or terminated_by_date(termination, hire, snapshot_date):
        status = "terminated"
    elif any(word in history_text for word in _LEAVE_WORDS):
        status = "leave"
    elif status_text == "active":
        status = "active"
    elif status_text:
        raise FieldError(
            "parse.invalid_status", "status", status_text, f"status: {status_text!r} is not Active/Inactive"
        )
    else:
        status = None
    if termination is not None and hire is not None and hire > termination:
        termination = None  # an earlier employment's: this is a rehire
    values.update(status=status, hire_date=hire, termination_date=termination, raw=raw_json(payload))
    return check_employee(values)


class BambooHrOptions(HttpOptions):
    url: HttpUrl | None = None  # API base incl. company, e.g. https://api.bamboohr.com/api/gateway.php/acme/
    company_domain: Text | None = None  # or just the company's subdomain (acme), when url is not given
    api_key_env: SecretEnv | None = None  # env var with the API key (basic auth); custom_report needs it
    token_env: SecretEnv | None = None  # env var with an OAuth access token (Bearer); for endpoint employees
    endpoint: Literal["custom_report", "employees"] = "custom_report"
    fields: TextMap = {}  # {canonical column: BambooHR field id}, over DEFAULT_FIELDS
    extra_fields: TextList = []  # more field ids to request (land in raw)
    page_size: Count = 500  # endpoint employees: page[limit] (at most 2500)

    @model_validator(mode="after")
    def _a_base_and_a_credential(self) -> Self:
        if self.url is None and not (self.company_domain or "").strip():
            raise invalid("give url (the API base, https://…) or company_domain")
        if self.api_key_env is None and self.token_env is None:
            raise invalid("give api_key_env (API key) or token_env (OAuth token)")
        return self

    @property
    def base_url(self) -> str:
        url = self.url or f"https://api.bamboohr.com/api/gateway.php/{(self.company_domain or '').strip()}/"
        return url.rstrip("/") + "/"


class BambooHrConnector:
    kind = "bamboohr"
    options_type: ClassVar[type[BambooHrOptions]] = BambooHrOptions
    streams = ROSTER_STREAMS
    state_type: ClassVar[type[RosterState]] = RosterState
    read_unit = staticmethod(RosterPageUnit.from_json)

    def __init__(
        self,
        name: str,
        options: BambooHrOptions,
        *,
        env: Mapping[str, str] = os.environ,
        now: Callable[[], datetime] = utc_now,
        **http: Any,
    ) -> None:
        self.name, self.options, self.env, self.now, self._http = name, options, env, now, http
        self.base_url = options.base_url
        self.endpoint = options.endpoint
        self.fields = {**DEFAULT_FIELDS, **options.fields}
        self.extra_fields = list(options.extra_fields)
        self.page_size = options.page_size

    def client(self) -> HttpClient:
        options = self.options
        if options.token_env is not None:
            token = options.token_env.resolve(self.name, "token_env", self.env).get_secret_value()
            return options.client(
                self.name, base_url=self.base_url, headers={"Authorization": f"Bearer {token}"},
                auth_hint=f"check the token in {options.token_env}", **self._http,
            )  # fmt: skip
        assert options.api_key_env is not None  # the options' validator asks for one of the two
        key = options.api_key_env.resolve(self.name, "api_key_env", self.env).get_secret_value()
        return options.client(
            self.name, base_url=self.base_url, auth=(key, "x"), secrets=[key],
            auth_hint=f"check the API key in {options.api_key_env}", **self._http,
        )  # fmt: skip

    def report_fields(self) -> list[str]:
        wanted = list(dict.fromkeys([*self.fields.values(), *EXTRA_REPORT_FIELDS, *self.extra_fields]))
        return wanted[:400]  # the API's maximum

    def mapper(self, snapshot_date: date) -> Callable[[Any], dict[str, Any]]:
        overrides = {column: field for column, field in self.fields.items() if DEFAULT_FIELDS.get(column) != field}
        return lambda payload: record_from_bamboohr(payload, fields=overrides, snapshot_date=snapshot_date)

    def extract(self, state: RosterState) -> Iterator[tuple[RosterPageUnit, ParseResult]]:
        snapshot_date = self.now().date()
        with self.client() as client:
            if self.endpoint == "custom_report":
                yield self._custom_report(client, snapshot_date)
                return
            paginator = CursorPaginator(cursor_path=("meta", "page", "nextCursor"), cursor_param="page[after]",
                                        items_path=("data",))  # fmt: skip
            fields = list(dict.fromkeys([*EMPLOYEES_ENDPOINT_FIELDS, *self.extra_fields]))
            start = PageRequest("v1/employees", {"page[limit]": self.page_size, "fields": ",".join(fields)})
            for page in roster_pages(self.name, client, paginator, start, state, snapshot_date):
                result = ParseResult()
                source_file = page.response.request.path_url.split("?")[0]
                add_employees(result, page.items, self.mapper(snapshot_date), source_file=source_file,
                              snapshot_date=snapshot_date)  # fmt: skip
                yield roster_unit(page, snapshot_date, result, client, endpoint="employees", roster="full"), result

    def _custom_report(self, client: HttpClient, snapshot_date: date) -> tuple[RosterPageUnit, ParseResult]:
        body = {"title": "trainops roster", "fields": self.report_fields(), "filterDuplicates": "yes"}
        data, response = client.json("POST", "v1/reports/custom", params={"format": "JSON"}, json_body=body)
        path = response.request.path_url.split("?")[0]
        if isinstance(data, list) and not data:
            data = {}  # BambooHR's empty object
        if not isinstance(data, dict):
            raise SourceError(f"source {self.name!r}: POST {path}: expected a report object, got {type(data).__name__}")
        employees = dig(data, ("employees",))
        if blank(employees):
            employees = []
        elif isinstance(employees, dict):
            employees = list(employees.values())  # keyed by id in some responses
        result = ParseResult()
        add_employees(result, employees, self.mapper(snapshot_date), source_file=path, snapshot_date=snapshot_date)
        unit = whole_roster_unit(
            f"POST {path}", response.status_code, snapshot_date, result, endpoint="custom_report", roster="full"
        )
        return unit, result

    def advance(self, state: RosterState, unit: RosterPageUnit, load_id: str) -> RosterState:
        return advance_roster(state, unit, load_id)
