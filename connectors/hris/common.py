"""What the HRIS API connectors (``bamboohr``, ``workday_raas``, ``merge_hris``) share: value
parsing, the employee check, and roster runs with their state and load units.

HRIS pulls are roster snapshots: every record carries ``snapshot_date`` = the UTC date the roster
was observed (the day the run started). A paged pull lands one load per page and saves the next
page's request after each, so an interrupted pull resumes the same day's snapshot where it stopped;
a position saved on an earlier day is dropped and the pull starts over (it would mix two days).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from connectors.base import ParseResult, streams
from connectors.http import HttpClient
from connectors.pagination import Page, PageRequest, Paginator, paginate
from connectors.parsing import FieldError, compact_json, empty_record, parse_timestamp, reject_from
from connectors.state import LoadUnit, PagedRun, SourceState, Span
from connectors.vocabulary import EMPLOYEE_STATUSES

log = logging.getLogger("trainops.connectors")

EMPLOYEE = "hris.employee"
ROSTER_STREAMS = streams("snapshot", EMPLOYEE)
REQUIRED_EMPLOYEE = ("employee_id", "email", "status", "hire_date")
# Never landed, even in `raw`: government ids and the like (L&D needs none of them).
SENSITIVE_FIELDS = frozenset(
    {"ssn", "sin", "nin", "nationalId", "national_id", "taxId", "tax_id", "passport", "bank_info", "remote_data"}
)


def utc_now() -> datetime:
    return datetime.now(UTC)


# -- values ----------------------------------------------------------------------------------------

_DATE_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:$|[T ]|[+-]\d{2}:?\d{2}$|Z$)")
_EMPTY_DATES = {"", "0000-00-00", "0000-00-00 00:00:00", "0000-00-00T00:00:00"}


def blank(value: Any) -> bool:
    """None, empty or whitespace text, and ``[]``/``{}`` (BambooHR's empty values) are blank."""
    return value is None or value == [] or value == {} or (isinstance(value, str) and not value.strip())


def text_value(value: Any) -> str | None:
    if blank(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def hris_date(value: Any, column: str | None = None) -> date | None:
    """A calendar date as HR systems send it: ``2020-10-10``, ``2020-10-10T00:00:00Z`` (Merge's
    midnight-UTC datetimes), ``2020-10-10-08:00`` (an XML date with offset, Workday). The date as
    written is kept (an offset never moves it to another day). ``0000-00-00`` is BambooHR's blank."""
    if blank(value):
        return None
    text = str(value).strip()
    if text in _EMPTY_DATES:
        return None
    match = _DATE_PREFIX.match(text)
    if match:
        try:
            return date.fromisoformat(match[1])
        except ValueError:
            pass
    raise FieldError("parse.invalid_date", column, text, f"{column or 'value'}: {text!r} is not a date (YYYY-MM-DD)")


def hris_timestamp(value: Any, column: str | None = None) -> datetime | None:
    if blank(value) or str(value).strip() in _EMPTY_DATES:
        return None
    return parse_timestamp(str(value), column)


def raw_json(payload: Any) -> str:
    """The source record as compact JSON, less the fields in ``SENSITIVE_FIELDS``."""
    if isinstance(payload, dict):
        payload = {key: value for key, value in payload.items() if key not in SENSITIVE_FIELDS}
    return compact_json(payload)


def check_employee(values: dict[str, Any]) -> dict[str, Any]:
    """Raise ``FieldError`` unless the required columns have values and the status is canonical."""
    missing = [column for column in REQUIRED_EMPLOYEE if values.get(column) is None]
    if missing:
        raise FieldError("parse.missing_required", missing[0], None, f"{', '.join(missing)}: required value(s) missing")
    if values["status"] not in EMPLOYEE_STATUSES:
        raise FieldError(
            "parse.invalid_status",
            "status",
            values["status"],
            f"status: {values['status']!r} is not one of {', '.join(EMPLOYEE_STATUSES)}",
        )
    return values


def add_employees(
    result: ParseResult,
    payloads: list[Any],
    mapper: Callable[[Any], dict[str, Any]],
    *,
    source_file: str,
    snapshot_date: date,
    first_line: int = 1,
) -> None:
    """Map each payload into ``result``: a record, or a ``Reject`` with its raw JSON (never dropped)."""
    for line, payload in enumerate(payloads, start=first_line):
        try:
            values = mapper(payload)
        except FieldError as error:
            result.rejects.append(reject_from(error, EMPLOYEE, source_file, line, raw_json(payload)))
            continue
        record = empty_record(EMPLOYEE, source_file, line)
        record.update(values)
        record["snapshot_date"] = snapshot_date
        result.add(EMPLOYEE, record)


def terminated_by_date(termination: date | None, hire: date | None, snapshot: date | None) -> bool:
    """A termination date in effect on the snapshot date (and not an earlier employment's, which a
    later hire date supersedes)."""
    if termination is None:
        return False
    if hire is not None and hire > termination:
        return False
    return snapshot is None or termination <= snapshot


# -- roster state and load units ------------------------------------------------------------------

_PLAN_KEYS = ("mode", "modified_after", "started_at")


class RosterPageUnit(LoadUnit):
    """One page (or the single response) of a roster pull, as landed."""

    snapshot_date: date
    page: int
    request: str  # method and path, credentials redacted
    status: int
    employees: int
    rejects: int
    next: PageRequest | None  # the next page's request; None on the last page
    done: bool
    endpoint: str | None = None  # bamboohr: custom_report | employees
    roster: str | None = None  # full | incremental (a change set)
    mode: str | None = None  # merge_hris: the run's plan (full | incremental) …
    modified_after: str | None = None  # … the change set's lower bound …
    started_at: str | None = None  # … and when the run started (its watermark once done)

    def covered_span(self, timezone: str) -> Span | None:
        return self.snapshot_date, self.snapshot_date

    def plan(self) -> dict[str, Any]:
        """The run's plan as the unit carries it (Merge's mode, modified_after, started_at)."""
        return {key: getattr(self, key) for key in _PLAN_KEYS if key in self.model_fields_set}


class RosterRun(PagedRun):
    """An unfinished roster pull: its day, and Merge's plan for it."""

    snapshot_date: date
    mode: str | None = None
    modified_after: str | None = None
    started_at: str | None = None


class RosterState(SourceState):
    run: RosterRun | None = None
    last_snapshot_date: date | None = None
    last_load_id: str | None = None
    last_pages: int | None = None

    def position(self) -> list[str]:
        parts = [f"snapshot {self.last_snapshot_date}"] if self.last_snapshot_date else []
        return parts + ([self.run.describe()] if self.run else [])


R = TypeVar("R", bound=RosterState)


# -- roster runs -------------------------------------------------------------------------------------


def roster_pages(
    name: str,
    client: HttpClient,
    paginator: Paginator,
    start: PageRequest,
    state: RosterState,
    snapshot_date: date,
    **request: Any,
) -> Iterator[Page]:
    """The pages of today's roster pull, resuming a pull of the same day that was interrupted."""
    run = state.run
    resume, number = None, 1
    if run and run.snapshot_date == snapshot_date:
        resume, number = run.next, run.pages + 1
        log.info("source %r: resuming the %s roster pull at page %d", name, snapshot_date, number)
    elif run:
        log.warning(
            "source %r: dropping the unfinished roster pull of %s; pulling today's roster from the start",
            name, run.snapshot_date,
        )  # fmt: skip
    yield from paginate(client, paginator, start, resume=resume, first_number=number, **request)


def roster_unit(
    page: Page, snapshot_date: date, result: ParseResult, client: HttpClient, **extra: Any
) -> RosterPageUnit:
    return RosterPageUnit(
        snapshot_date=snapshot_date,
        page=page.number,
        request=client.redact(page.response.request.path_url),
        status=page.response.status_code,
        employees=len(result.records.get(EMPLOYEE, [])),
        rejects=len(result.rejects),
        next=page.next,
        done=page.next is None,
        **extra,
    )


def whole_roster_unit(
    request: str, status: int, snapshot_date: date, result: ParseResult, **extra: Any
) -> RosterPageUnit:
    """The unit of a roster pulled in one response (a report)."""
    return RosterPageUnit(
        snapshot_date=snapshot_date,
        page=1,
        request=request,
        status=status,
        employees=len(result.records.get(EMPLOYEE, [])),
        rejects=len(result.rejects),
        next=None,
        done=True,
        **extra,
    )


def advance_roster(state: R, unit: RosterPageUnit, load_id: str, **on_done: Any) -> R:
    """The state after a roster page's load: the next page's position, or, after the last page, the
    finished snapshot (plus ``on_done``, e.g. a new watermark)."""
    if not unit.done and unit.next is not None:
        run = RosterRun(
            snapshot_date=unit.snapshot_date, next=unit.next, **unit.plan(), pages=unit.page, load_id=load_id
        )
        return state.replace(run=run)
    return state.replace(
        drop=("run",), **on_done, last_snapshot_date=unit.snapshot_date, last_load_id=load_id, last_pages=unit.page
    )
