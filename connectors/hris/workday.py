"""`workday_raas`: a Workday tenant's custom report (Report-as-a-Service) as the roster.

``GET {url}`` with ``format=json`` returns ``{"Report_Entry": [...]}``: one object per worker, whose
field names are whatever the tenant's report designer chose. So the mapping from report fields to
canonical columns is configuration (``fields:``), not code:

```yaml
- name: workday
  kind: workday_raas
  url: https://wd2-impl-services1.workday.com/ccx/service/customreport2/acme/ISU_trainops/Roster
  username_env: WORKDAY_USER       # an integration system user (basic auth) …
  password_env: WORKDAY_PASSWORD
  fields:                          # canonical column: report field (dots reach into nested values)
    employee_id: Employee_ID
    email: Work_Email
    hire_date: Hire_Date
    termination_date: Termination_Date
    status: Worker_Status          # optional: without it, a termination date in effect = terminated
    department: Supervisory_Organization.Descriptor
  status_map: {"On Leave": leave}  # optional: report values → active/leave/terminated
```

Every run lands the whole report as one load (a full roster snapshot). A report prompt (e.g. an
effective date) goes in ``params``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Self

from pydantic import field_validator, model_validator

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
    terminated_by_date,
    text_value,
    utc_now,
    whole_roster_unit,
)
from connectors.http import HttpClient
from connectors.options import HttpOptions, HttpUrl, Params, SecretEnv, Text, TextMap, invalid
from connectors.parsing import FieldError
from connectors.vocabulary import EMPLOYEE_STATUSES

COLUMNS = (
    "employee_id", "email", "status", "hire_date", "termination_date", "given_name", "family_name",
    "job_code", "job_title", "department", "cost_center", "country", "region", "manager_id",
    "employment_type", "source_updated_at",
)  # fmt: skip
REQUIRED_FIELDS = ("employee_id", "email", "hire_date")  # status may be derived from termination_date
DEFAULT_STATUS_MAP = {
    "active": "active",
    "1": "active",
    "true": "active",
    "yes": "active",
    "employed": "active",
    "leave": "leave",
    "on leave": "leave",
    "leave of absence": "leave",
    "on leave of absence": "leave",
    "terminated": "terminated",
    "inactive": "terminated",
    "0": "terminated",
    "false": "terminated",
    "no": "terminated",
}


def report_value(entry: Any, path: str) -> Any:
    """The value at a dotted path (``Org.Descriptor``, ``Groups.0.Ref_ID``); a list met on the way
    (a multi-instance field) yields its first element unless the next step is an index."""
    value = entry
    for step in path.split("."):
        if isinstance(value, list):
            if step.isdigit():
                index = int(step)
                value = value[index] if index < len(value) else None
                continue
            value = value[0] if value else None
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):  # a Workday reference: {"Descriptor": …, "ID": …}
        value = value.get("Descriptor") or value.get("descriptor") or value.get("ID") or value.get("id")
    return value


def record_from_report_entry(
    entry: Any,
    fields: Mapping[str, str],
    *,
    status_map: Mapping[str, str] | None = None,
    snapshot_date: date | None = None,
) -> dict[str, Any]:
    """One ``Report_Entry`` object → `hris.employee` values, by the configured field mapping.

    Status: the mapped status field through ``status_map`` (case-insensitive; the defaults know
    Active/Terminated/On Leave/true/false/1/0); a termination date in effect on ``snapshot_date``
    makes it terminated whatever the field says. Raises ``FieldError`` for what cannot be mapped.
    """
    if not isinstance(entry, dict):
        raise FieldError(
            "parse.invalid_record", None, None, f"expected a report entry object, found {type(entry).__name__}"
        )
    statuses = {**DEFAULT_STATUS_MAP, **{str(k).strip().lower(): v for k, v in (status_map or {}).items()}}

    def get(column: str) -> Any:
        return report_value(entry, fields[column]) if column in fields else None

    values: dict[str, Any] = {column: text_value(get(column)) for column in COLUMNS}
    hire = values["hire_date"] = hris_date(get("hire_date"), fields.get("hire_date"))
    termination = hris_date(get("termination_date"), fields.get("termination_date"))
    values["source_updated_at"] = hris_timestamp(get("source_updated_at"), fields.get("source_updated_at"))
    if values["employment_type"]:
        values["employment_type"] = "_".join(values["employment_type"].lower().replace("-", " ").split())

    status_text = values["status"]
    status: str | None
    if terminated_by_date(termination, hire, snapshot_date):
        status = "terminated"
    elif status_text is not None:
        status = statuses.get(status_text.lower())
        if status is None:
            raise FieldError(
                "parse.invalid_status", "status", status_text,
                f"{fields['status']}: {status_text!r} is not in status_map (active/leave/terminated)",
            )  # fmt: skip
    elif "status" not in fields:
        status = "active"  # no status field configured: employed unless a termination is in effect
    else:
        status = None
    if termination is not None and hire is not None and hire > termination:
        termination = None  # an earlier employment's termination: a rehire
    values.update(status=status, termination_date=termination, raw=raw_json(entry))
    return check_employee(values)


class WorkdayRaasOptions(HttpOptions):
    url: HttpUrl  # the report's RaaS URL (…/ccx/service/customreport2/{tenant}/{owner}/{report})
    fields: TextMap  # {canonical column: report field path}; employee_id, email, hire_date required
    username_env: SecretEnv | None = None  # basic auth (integration system user) …
    password_env: SecretEnv | None = None
    token_env: SecretEnv | None = None  # … or an OAuth access token (Bearer)
    status_map: dict[str, str] = {}  # {report value: active|leave|terminated}, over the defaults
    params: Params = {}  # report prompts / extra query parameters
    entries_key: Text = "Report_Entry"  # where the rows are

    @field_validator("fields")
    @classmethod
    def _known_and_required_columns(cls, fields: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(fields) - set(COLUMNS))
        if unknown:
            raise invalid(f"unknown column(s) {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
        missing = [column for column in REQUIRED_FIELDS if column not in fields]
        if missing:
            raise invalid(f"map {', '.join(missing)} (required columns)")
        return fields

    @field_validator("status_map", mode="before")
    @classmethod
    def _statuses(cls, value: Any) -> Any:
        if isinstance(value, dict):
            bad = {key: status for key, status in value.items() if status not in EMPLOYEE_STATUSES}
            if bad:
                raise invalid(f"values must be one of {', '.join(EMPLOYEE_STATUSES)} (got {bad})")
            return {str(key): status for key, status in value.items()}
        return {} if value is None else value

    @model_validator(mode="after")
    def _one_way_to_sign_in(self) -> Self:
        basic = self.username_env is not None or self.password_env is not None
        if basic == (self.token_env is not None):
            raise invalid("give username_env and password_env, or token_env")
        if basic and (self.username_env is None or self.password_env is None):
            raise invalid("give both username_env and password_env")
        return self


class WorkdayRaasConnector:
    kind = "workday_raas"
    options_type: ClassVar[type[WorkdayRaasOptions]] = WorkdayRaasOptions
    streams = ROSTER_STREAMS
    state_type: ClassVar[type[RosterState]] = RosterState
    read_unit = staticmethod(RosterPageUnit.from_json)

    def __init__(
        self,
        name: str,
        options: WorkdayRaasOptions,
        *,
        env: Mapping[str, str] = os.environ,
        now: Callable[[], datetime] = utc_now,
        **http: Any,
    ) -> None:
        self.name, self.options, self.env, self.now, self._http = name, options, env, now, http
        self.url = options.url
        self.fields = dict(options.fields)
        self.status_map = dict(options.status_map)
        self.params = {"format": "json", **options.params}
        self.entries_key = options.entries_key

    def client(self) -> HttpClient:
        options = self.options
        if options.token_env is not None:
            token = options.token_env.resolve(self.name, "token_env", self.env).get_secret_value()
            return options.client(
                self.name, headers={"Authorization": f"Bearer {token}"},
                auth_hint=f"check the token in {options.token_env}", **self._http,
            )  # fmt: skip
        assert options.username_env is not None and options.password_env is not None  # the validator's
        user = options.username_env.resolve(self.name, "username_env", self.env).get_secret_value()
        password = options.password_env.resolve(self.name, "password_env", self.env).get_secret_value()
        return options.client(
            self.name, auth=(user, password),
            auth_hint=f"check {options.username_env} / {options.password_env}", **self._http,
        )  # fmt: skip

    def extract(self, state: RosterState) -> Iterator[tuple[RosterPageUnit, ParseResult]]:
        snapshot_date = self.now().date()
        with self.client() as client:
            data, response = client.get_json(self.url, params=self.params)
        path = response.request.path_url.split("?")[0]
        if not isinstance(data, dict) or self.entries_key not in data:
            found = ", ".join(list(data)[:5]) if isinstance(data, dict) else type(data).__name__
            raise SourceError(f"source {self.name!r}: GET {path}: no {self.entries_key} in the report (found: {found})")
        entries = data[self.entries_key]
        entries = [] if blank(entries) else entries if isinstance(entries, list) else [entries]
        result = ParseResult()

        def mapper(entry: Any) -> dict[str, Any]:
            return record_from_report_entry(entry, self.fields, status_map=self.status_map, snapshot_date=snapshot_date)

        add_employees(result, entries, mapper, source_file=path, snapshot_date=snapshot_date)
        unit = whole_roster_unit(f"GET {path}", response.status_code, snapshot_date, result, roster="full")
        yield unit, result

    def advance(self, state: RosterState, unit: RosterPageUnit, load_id: str) -> RosterState:
        return advance_roster(state, unit, load_id)
