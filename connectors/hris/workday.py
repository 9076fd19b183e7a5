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
from typing import Any

from connectors.api import (
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
)
from connectors.base import ParseResult, SourceError
from connectors.http import HTTP_OPTIONS, HttpClient, client_from_options, require_env
from connectors.parsing import FieldError

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


class WorkdayRaasConnector:
    kind = "workday_raas"
    OPTIONS: dict[str, bool] = {
        "url": True,  # the report's RaaS URL (…/ccx/service/customreport2/{tenant}/{owner}/{report})
        "fields": True,  # {canonical column: report field path}; employee_id, email, hire_date required
        "username_env": False,  # basic auth (integration system user) …
        "password_env": False,
        "token_env": False,  # … or an OAuth access token (Bearer)
        "status_map": False,  # {report value: active|leave|terminated}, over the defaults
        "params": False,  # report prompts / extra query parameters
        "entries_key": False,  # where the rows are (default Report_Entry)
        **HTTP_OPTIONS,
    }

    def __init__(
        self,
        name: str,
        options: dict[str, Any],
        *,
        env: Mapping[str, str] = os.environ,
        now: Callable[[], datetime] = utc_now,
        **http: Any,
    ) -> None:
        self.name, self.options, self.env, self.now, self._http = name, dict(options), env, now, http
        url = options.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise SourceError(f"source {name!r}: option url must be the report's https:// URL, got {url!r}")
        self.url = url
        fields = options.get("fields")
        if not isinstance(fields, dict) or not all(isinstance(value, str) for value in fields.values()):
            raise SourceError(f"source {name!r}: option fields must map canonical columns to report field names")
        unknown = sorted(set(fields) - set(COLUMNS))
        if unknown:
            raise SourceError(
                f"source {name!r}: fields: unknown column(s) {', '.join(unknown)} (known: {', '.join(COLUMNS)})"
            )
        missing = [column for column in REQUIRED_FIELDS if column not in fields]
        if missing:
            raise SourceError(f"source {name!r}: fields: map {', '.join(missing)} (required columns)")
        self.fields = dict(fields)
        status_map = options.get("status_map") or {}
        if not isinstance(status_map, dict):
            raise SourceError(f"source {name!r}: option status_map must map report values to statuses")
        bad = {key: value for key, value in status_map.items() if value not in ("active", "leave", "terminated")}
        if bad:
            raise SourceError(f"source {name!r}: status_map values must be active, leave or terminated (got {bad})")
        self.status_map = {str(key): value for key, value in status_map.items()}
        self.params = {"format": "json", **(options.get("params") or {})}
        self.entries_key = str(options.get("entries_key", "Report_Entry"))
        has_basic = "username_env" in options or "password_env" in options
        if has_basic == ("token_env" in options):
            raise SourceError(f"source {name!r}: give username_env and password_env, or token_env")

    def client(self) -> HttpClient:
        if "token_env" in self.options:
            token = require_env(self.name, "token_env", self.options["token_env"], self.env)
            return client_from_options(
                self.name, self.options, headers={"Authorization": f"Bearer {token}"},
                auth_hint=f"check the token in {self.options['token_env']}", **self._http,
            )  # fmt: skip
        user = require_env(self.name, "username_env", self.options.get("username_env"), self.env)
        password = require_env(self.name, "password_env", self.options.get("password_env"), self.env)
        return client_from_options(
            self.name, self.options, auth=(user, password),
            auth_hint=f"check {self.options['username_env']} / {self.options['password_env']}", **self._http,
        )  # fmt: skip

    def extract(self, state: dict[str, Any]) -> Iterator[tuple[dict[str, Any], ParseResult]]:
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
        unit = {
            "snapshot_date": snapshot_date.isoformat(),
            "page": 1,
            "request": f"GET {path}",
            "status": response.status_code,
            "employees": len(result.records.get("hris.employee", [])),
            "rejects": len(result.rejects),
            "next": None,
            "done": True,
            "roster": "full",
        }
        yield unit, result

    def advance(self, state: dict[str, Any], unit: dict[str, Any], load_id: str) -> dict[str, Any]:
        return advance_roster(state, unit, load_id)
