"""`merge_hris`: employees from Merge's unified HRIS API (``GET /employees``).

Employees come with their employments, groups, team and work location expanded (``expand=``), so
one paged pass yields job title, employment type, department, cost center and country. Pages follow
Merge's ``next`` cursor; each page is one load, and an interrupted pull resumes at the saved cursor
the same day.

Deletions and terminations are kept, never dropped: ``remote_was_deleted`` (deleted in the
underlying HRIS) lands as status terminated with its termination date, or failing one the date
Merge recorded the change (``modified_at``), and ``source_updated_at`` = ``modified_at``;
``include_deleted_data=true`` asks Merge for records deleted by webhooks too.

Roster modes: by default every run pulls the full roster (a true snapshot, which is what the roster
history in dbt expects). With ``incremental: true`` a run asks only for employees Merge modified
after the last run's start (minus ``lookback``): a change set, marked ``roster: incremental`` in the
load's unit; a full pull still happens every ``full_refresh_days`` (default 7) to catch what the
change set misses (e.g. an employment changed without its employee's ``modified_at`` moving).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Literal, NamedTuple, cast

from connectors.base import ParseResult
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
)
from connectors.http import HttpClient
from connectors.options import Count, Duration, HttpOptions, HttpUrl, SecretEnv, Text, WholeNumber
from connectors.pagination import CursorPaginator, PageRequest
from connectors.parsing import FieldError

DEFAULT_URL = "https://api.merge.dev/api/hris/v1/"
DEFAULT_EXPAND = "employments,groups,team,work_location"


def _ref(value: Any, field: str = "id") -> str | None:
    """An expanded object's field, or a bare id string (only when the id itself is wanted)."""
    if isinstance(value, dict):
        return text_value(value.get(field))
    return text_value(value) if field == "id" else None


def _enum(value: Any) -> str | None:
    """``FULL_TIME`` / ``FULL TIME`` → ``full_time``."""
    text = text_value(value)
    return "_".join(text.lower().replace("-", " ").replace("_", " ").split()) if text else None


def current_employment(employments: Any, snapshot_date: date | None) -> dict[str, Any] | None:
    """The employment in effect: not deleted, effective on or before the snapshot, latest first."""
    objects = [item for item in employments or [] if isinstance(item, dict)]
    if not objects:
        return None
    live = [item for item in objects if not item.get("remote_was_deleted")] or objects

    def effective(item: dict[str, Any]) -> date:
        try:
            return hris_date(item.get("effective_date")) or date.min
        except FieldError:
            return date.min

    in_effect = [item for item in live if snapshot_date is None or effective(item) <= snapshot_date] or live
    return max(in_effect, key=effective)


def _group_name(groups: Any, kind: str) -> str | None:
    for group in groups or []:
        if (
            isinstance(group, dict)
            and str(group.get("type", "")).upper() == kind
            and not group.get("remote_was_deleted")
        ):
            return text_value(group.get("name"))
    return None


def record_from_merge(
    employee: Any, *, snapshot_date: date | None = None, employee_id_field: str = "id"
) -> dict[str, Any]:
    """One Merge ``Employee`` (with expanded relations or bare ids) → `hris.employee` values.

    Status: terminated when ``remote_was_deleted``, ``employment_status`` INACTIVE, or a termination
    date in effect on ``snapshot_date``; otherwise active (ACTIVE, PENDING, or no status). Date-only
    fields arrive as midnight-UTC datetimes: their date as written is kept.
    """
    if not isinstance(employee, dict):
        raise FieldError(
            "parse.invalid_record", None, None, f"expected an Employee object, found {type(employee).__name__}"
        )
    employment = current_employment(employee.get("employments"), snapshot_date) or {}
    hire = hris_date(employee.get("hire_date"), "hire_date") or hris_date(employee.get("start_date"), "start_date")
    termination = hris_date(employee.get("termination_date"), "termination_date")
    modified_at = hris_timestamp(employee.get("modified_at"), "modified_at")
    deleted = employee.get("remote_was_deleted") is True
    employment_status = (text_value(employee.get("employment_status")) or "").upper()
    status_known = employment_status in ("ACTIVE", "PENDING", "INACTIVE", "")
    if not status_known:
        raise FieldError(
            "parse.invalid_status", "employment_status", employment_status,
            f"employment_status: {employment_status!r} is not ACTIVE, PENDING or INACTIVE",
        )  # fmt: skip
    if deleted or employment_status == "INACTIVE" or terminated_by_date(termination, hire, snapshot_date):
        status = "terminated"
        if termination is None and deleted:
            termination = modified_at.date() if modified_at else snapshot_date
    else:
        status = "active"
    if termination is not None and hire is not None and hire > termination:
        termination = None  # an earlier employment's termination: a rehire
    email = text_value(employee.get("work_email")) or text_value(employee.get("personal_email"))
    groups = employee.get("groups")
    values = {
        "employee_id": text_value(employee.get(employee_id_field)),
        "email": email,
        "status": status,
        "hire_date": hire,
        "termination_date": termination,
        "given_name": text_value(employee.get("first_name")),
        "family_name": text_value(employee.get("last_name")),
        "job_code": None,
        "job_title": text_value(employment.get("job_title")),
        "department": _group_name(groups, "DEPARTMENT") or _ref(employee.get("team"), "name"),
        "cost_center": _group_name(groups, "COST_CENTER"),
        "country": _ref(employee.get("work_location"), "country"),
        "region": None,
        "manager_id": _ref(employee.get("manager"), employee_id_field),
        "employment_type": _enum(employment.get("employment_type")),
        "source_updated_at": modified_at,
        "raw": raw_json(employee),
    }
    if blank(values["employee_id"]):
        values["employee_id"] = None
    return check_employee(values)


class MergeHrisOptions(HttpOptions):
    api_key_env: SecretEnv  # env var with Merge's production API key (Authorization: Bearer)
    account_token_env: SecretEnv  # env var with the linked account's token (X-Account-Token)
    url: HttpUrl = DEFAULT_URL  # EU: https://api-eu.merge.dev/api/hris/v1/
    incremental: bool = False  # true: change sets by modified_after (default: full rosters)
    lookback: Duration = 300.0  # overlap below the watermark (5m)
    full_refresh_days: WholeNumber = 7  # incremental: a full roster at least this often (0 = never)
    page_size: Count = 100
    expand: Text = DEFAULT_EXPAND
    employee_id_field: Literal["id", "remote_id", "employee_number"] = "id"  # id: Merge's own
    include_deleted_data: bool = True


class MergeState(RosterState):
    """A roster state plus the last run's start (the next change set's bound) and last full pull."""

    watermark: str | None = None
    last_full_snapshot_date: date | None = None

    def position(self) -> list[str]:
        return ([f"watermark {self.watermark}"] if self.watermark else []) + super().position()


class Plan(NamedTuple):
    """What a run pulls: the whole roster, or the employees modified after a moment."""

    mode: Literal["full", "incremental"]
    modified_after: str | None
    started_at: str


class MergeHrisConnector:
    kind = "merge_hris"
    options_type: ClassVar[type[MergeHrisOptions]] = MergeHrisOptions
    streams = ROSTER_STREAMS
    state_type: ClassVar[type[MergeState]] = MergeState
    read_unit = staticmethod(RosterPageUnit.from_json)

    def __init__(
        self,
        name: str,
        options: MergeHrisOptions,
        *,
        env: Mapping[str, str] = os.environ,
        now: Callable[[], datetime] = utc_now,
        **http: Any,
    ) -> None:
        self.name, self.options, self.env, self.now, self._http = name, options, env, now, http
        self.base_url = options.url.rstrip("/") + "/"
        self.id_field = options.employee_id_field
        expand = [part.strip() for part in options.expand.split(",") if part.strip()]
        if self.id_field != "id" and "manager" not in expand:
            expand.append("manager")  # the manager's id in the same id space as employee_id
        self.expand = ",".join(expand)

    def client(self) -> HttpClient:
        options = self.options
        key = options.api_key_env.resolve(self.name, "api_key_env", self.env).get_secret_value()
        account = options.account_token_env.resolve(self.name, "account_token_env", self.env).get_secret_value()
        return options.client(
            self.name,
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {key}", "X-Account-Token": account},
            auth_hint=f"check {options.api_key_env} / {options.account_token_env}",
            **self._http,
        )

    def plan(self, state: MergeState, now: datetime) -> Plan:
        """Mode, ``modified_after`` and start time of this run (an unfinished run of today keeps its own)."""
        run = state.run
        if run and run.snapshot_date == now.date() and run.mode and run.started_at:
            return Plan(run.mode, run.modified_after, run.started_at)  # type: ignore[arg-type]
        last_full = state.last_full_snapshot_date
        refresh = timedelta(days=self.options.full_refresh_days)
        due_full = last_full is None or (refresh.days > 0 and now.date() - last_full >= refresh)
        if self.options.incremental and state.watermark and not due_full:
            since = cast(datetime, hris_timestamp(state.watermark)) - timedelta(seconds=self.options.lookback)
            return Plan("incremental", since.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), now.isoformat())
        return Plan("full", None, now.isoformat())

    def extract(self, state: MergeState) -> Iterator[tuple[RosterPageUnit, ParseResult]]:
        now = self.now()
        snapshot_date = now.date()
        plan = self.plan(state, now)
        params: dict[str, Any] = {"page_size": self.options.page_size}
        if self.expand:
            params["expand"] = self.expand
        if self.options.include_deleted_data:
            params["include_deleted_data"] = "true"
        if plan.modified_after:
            params["modified_after"] = plan.modified_after
        paginator = CursorPaginator(cursor_path=("next",), cursor_param="cursor", items_path=("results",))

        def mapper(employee: Any) -> dict[str, Any]:
            return record_from_merge(employee, snapshot_date=snapshot_date, employee_id_field=self.id_field)

        with self.client() as client:
            start = PageRequest("employees", params)
            for page in roster_pages(self.name, client, paginator, start, state, snapshot_date):
                result = ParseResult()
                source_file = page.response.request.path_url.split("?")[0]
                add_employees(result, page.items, mapper, source_file=source_file, snapshot_date=snapshot_date)
                unit = roster_unit(page, snapshot_date, result, client, roster=plan.mode, **plan._asdict())
                yield unit, result

    def advance(self, state: MergeState, unit: RosterPageUnit, load_id: str) -> MergeState:
        on_done: dict[str, Any] = {"watermark": unit.started_at}
        if unit.mode == "full":
            on_done["last_full_snapshot_date"] = unit.snapshot_date
        return advance_roster(state, unit, load_id, **on_done)
