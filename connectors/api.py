"""The API connector kinds (``API_CONNECTORS``: kind → class) and what the HRIS ones share.

Every class takes ``(name, options, *, env=os.environ)`` and declares ``OPTIONS`` (option key →
required), which the config loader checks ``trainops.yaml`` entries against. Secrets are only ever
named by environment variable (``*_env`` options); a missing variable is a ``SourceError`` naming it.

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
from typing import TYPE_CHECKING, Any

from connectors.base import ParseResult
from connectors.http import HttpClient
from connectors.pagination import Page, PageRequest, Paginator, paginate
from connectors.parsing import FieldError, compact_json, empty_record, parse_timestamp, reject_from

if TYPE_CHECKING:  # the registry itself is built on first use (see __getattr__), after this module
    API_CONNECTORS: dict[str, type]

log = logging.getLogger("trainops.connectors")

EMPLOYEE = "hris.employee"
REQUIRED_EMPLOYEE = ("employee_id", "email", "status", "hire_date")
EMPLOYEE_STATUSES = ("active", "leave", "terminated")
# Never landed, even in `raw`: government ids and the like (L&D needs none of them).
SENSITIVE_FIELDS = frozenset(
    {"ssn", "sin", "nin", "nationalId", "national_id", "taxId", "tax_id", "passport", "bank_info", "remote_data"}
)

_REGISTRY = {
    "xapi_lrs": ("connectors.lms.xapi_lrs", "XapiLrsConnector"),
    "bamboohr": ("connectors.hris.bamboohr", "BambooHrConnector"),
    "workday_raas": ("connectors.hris.workday", "WorkdayRaasConnector"),
    "merge_hris": ("connectors.hris.merge", "MergeHrisConnector"),
}


def __getattr__(name: str) -> Any:
    if name == "API_CONNECTORS":
        import importlib

        registry = {kind: getattr(importlib.import_module(module), cls) for kind, (module, cls) in _REGISTRY.items()}
        globals()["API_CONNECTORS"] = registry
        return registry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


# -- roster runs -------------------------------------------------------------------------------------


def roster_pages(
    name: str,
    client: HttpClient,
    paginator: Paginator,
    start: PageRequest,
    state: dict[str, Any],
    snapshot_date: date,
    **request: Any,
) -> Iterator[Page]:
    """The pages of today's roster pull, resuming a pull of the same day that was interrupted."""
    run = state.get("run")
    resume, number = None, 1
    if run and run.get("snapshot_date") == snapshot_date.isoformat() and run.get("next"):
        resume, number = PageRequest.from_state(run["next"]), int(run.get("pages", 0)) + 1
        log.info("source %r: resuming the %s roster pull at page %d", name, snapshot_date, number)
    elif run:
        log.warning(
            "source %r: dropping the unfinished roster pull of %s; pulling today's roster from the start",
            name, run.get("snapshot_date"),
        )  # fmt: skip
    yield from paginate(client, paginator, start, resume=resume, first_number=number, **request)


def roster_unit(page: Page, snapshot_date: date, result: ParseResult, client: HttpClient, **extra: Any) -> dict:
    return {
        "snapshot_date": snapshot_date.isoformat(),
        "page": page.number,
        "request": client.redact(page.response.request.path_url),
        "status": page.response.status_code,
        "employees": len(result.records.get(EMPLOYEE, [])),
        "rejects": len(result.rejects),
        "next": page.next.to_state() if page.next else None,
        "done": page.next is None,
        **extra,
    }


def advance_roster(state: dict[str, Any], unit: dict[str, Any], load_id: str, **on_done: Any) -> dict[str, Any]:
    """The state after a roster page's load: the next page's position, or, after the last page, the
    finished snapshot (plus ``on_done``, e.g. a new watermark)."""
    rest = {key: value for key, value in state.items() if key != "run"}
    if not unit["done"]:
        run = {key: unit[key] for key in ("snapshot_date", "next") if key in unit}
        run.update({key: unit[key] for key in ("mode", "modified_after", "started_at") if key in unit})
        run.update(pages=unit["page"], load_id=load_id)
        return {**rest, "run": run}
    return {
        **rest,
        **on_done,
        "last_snapshot_date": unit["snapshot_date"],
        "last_load_id": load_id,
        "last_pages": unit["page"],
    }
