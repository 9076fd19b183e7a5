"""`xapi_lrs`: statements from an xAPI Learning Record Store's Statements API (docs/data-model.md).

Incremental on ``stored``: each run asks for ``since`` = the last committed watermark (the highest
``stored`` seen by the last complete run, capped by the LRS's ``X-Experience-API-Consistent-Through``)
minus a ``lookback`` overlap, and follows ``more`` to exhaustion. Every page is one unit, so one
landing load: its unit carries the next page's request and the highest ``stored`` so far, and
``advance`` saves them, so an interrupted extraction resumes at the page after the last committed
one. The last page clears the position and moves the watermark.

Statements re-read by the overlap, or by a page repeated after a crash, arrive again under the same
statement id; staging deduplicates on it. Within one page a statement id is emitted once.

LRS differences tolerated: any ordering (the watermark is a maximum, not the last row), an empty
last page, ``more`` missing, null or ``""``, 204 instead of 200, relative or absolute ``more``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator

from connectors.base import ParseResult, streams
from connectors.http import HttpClient, HttpError
from connectors.lms.xapi_files import ENTITY, record_from_statement
from connectors.options import Count, Duration, HttpOptions, HttpUrl, Params, SecretEnv, Text, invalid, shown
from connectors.pagination import Page, PageRequest, XapiMorePaginator, paginate
from connectors.parsing import FieldError, compact_json, empty_record, parse_timestamp, reject_from
from connectors.state import LoadUnit, PagedRun, SourceState, Span, Stored, Window, WindowUnit, local_day

log = logging.getLogger("trainops.connectors.xapi_lrs")

DEFAULT_LOOKBACK = 300.0  # seconds of overlap below the watermark
DEFAULT_LIMIT = 500
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"
RESTART_STATUSES = frozenset({400, 404, 410})  # a saved `more` the LRS no longer knows


def iso_utc(moment: datetime) -> str:
    """``2026-11-28T18:50:00.014954Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def since_param(moment: datetime) -> str:
    """A ``since`` value, floored to milliseconds (every LRS parses that)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_timestamp(value)
    except FieldError:
        return None


def _later(a: str | None, b: datetime | None) -> str | None:
    if b is None:
        return a
    current = _instant(a)
    return iso_utc(b) if current is None or b > current else a


def _earlier(a: str | None, b: datetime | None) -> str | None:
    if b is None:
        return a
    current = _instant(a)
    return iso_utc(b) if current is None or b < current else a


def map_page(statements: list[Any], source_file: str) -> tuple[ParseResult, datetime | None, int]:
    """One page of statements → records and rejects, the page's highest ``stored``, and how many
    repeated statement ids were skipped (an id is emitted once per page)."""
    result = ParseResult()
    seen: set[str] = set()
    highest: datetime | None = None
    repeated = 0
    for index, statement in enumerate(statements, start=1):
        if isinstance(statement, dict):
            stored = _instant(statement.get("stored"))
            if stored is not None and (highest is None or stored > highest):
                highest = stored
            statement_id = statement.get("id")
            if isinstance(statement_id, str) and statement_id:
                if statement_id in seen:
                    repeated += 1
                    continue
                seen.add(statement_id)
        try:
            values = record_from_statement(statement)
        except FieldError as error:
            result.rejects.append(reject_from(error, ENTITY, source_file, index, compact_json(statement)))
            continue
        record = empty_record(ENTITY, source_file, index)
        record.update(values)
        result.add(ENTITY, record)
    return result, highest, repeated


def _timestamp(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):  # YAML reads an unquoted timestamp as one
        value = value.isoformat()
    if isinstance(value, str) and _instant(value) is not None:
        return value
    raise invalid(f"expected an ISO timestamp such as 2026-01-31T00:00:00Z, got {shown(value)}")


class XapiLrsOptions(HttpOptions):
    url: HttpUrl  # the xAPI endpoint, e.g. https://lrs.example.com/xAPI/ (statements are under it)
    username_env: SecretEnv  # env var holding the basic-auth user (LRS key)
    password_env: SecretEnv  # env var holding the basic-auth password (LRS secret)
    lookback: Duration = DEFAULT_LOOKBACK  # overlap below the watermark: seconds or "5m", "2h", "7d"
    limit: Count = DEFAULT_LIMIT  # page size asked for (the LRS may return fewer)
    ascending: bool = True  # ask for oldest first
    since: Annotated[str | None, BeforeValidator(_timestamp)] = None  # first run only: start here
    version: Text = "1.0.3"  # X-Experience-API-Version
    params: Params = {}  # extra query filters, e.g. {activity: …, related_activities: true}


# -- state and load units ----------------------------------------------------------------------------


class LrsPageUnit(LoadUnit):
    """One page of an incremental run, as landed."""

    page: int
    since: str | None  # the run's `since` (None: from the beginning)
    request: str  # the page's path and query, credentials redacted
    status: int
    statements: int
    repeated_in_page: int
    max_stored: str | None  # the highest `stored` of the run so far
    consistent_through: str | None  # the lowest X-Experience-API-Consistent-Through of the run so far
    next: PageRequest | None  # the next page's request; None on the last page
    done: bool

    def covered_span(self, timezone: str) -> Span | None:
        edges = [local_day(value, timezone) for value in (self.since, self.max_stored) if value]
        return (min(edges), max(edges)) if edges else None


class LrsWindowUnit(WindowUnit):
    """One page of a re-read window (backfills)."""

    page: int
    request: str
    status: int
    statements: int
    repeated_in_page: int
    done: bool


class LrsRun(PagedRun):
    """An unfinished run: its ``since``, and what the landed pages saw."""

    since: str | None
    max_stored: str | None = None
    consistent_through: str | None = None


class LrsLastRun(Stored):
    since: str | None
    pages: int
    load_id: str


class LrsState(SourceState):
    watermark: str | None = None  # the highest `stored` landed by a complete run (Consistent-Through capped)
    run: LrsRun | None = None
    last_run: LrsLastRun | None = None

    def position(self) -> list[str]:
        parts = [f"watermark {self.watermark}"] if self.watermark else []
        return parts + ([self.run.describe()] if self.run else [])


def read_unit(data: Mapping[str, Any]) -> LrsPageUnit | LrsWindowUnit:
    return LrsWindowUnit.from_json(data) if "window" in data else LrsPageUnit.from_json(data)


class XapiLrsConnector:
    """``kind: xapi_lrs`` — see the module docstring and ``XapiLrsOptions``."""

    kind = "xapi_lrs"
    options_type: ClassVar[type[XapiLrsOptions]] = XapiLrsOptions
    streams = streams("watermark", ENTITY)
    state_type: ClassVar[type[LrsState]] = LrsState
    read_unit = staticmethod(read_unit)

    def __init__(self, name: str, options: XapiLrsOptions, *, env: Mapping[str, str] = os.environ, **http: Any):
        self.name = name
        self.options = options
        self.env = env
        self._http = http  # test hooks for the client (sleep, clock, …)
        self.statements_url = options.url.rstrip("/") + "/statements"
        self.lookback = options.lookback
        self.limit = options.limit
        self.ascending = options.ascending
        self.initial_since = options.since
        self.version = options.version
        self.extra_params = {str(key): value for key, value in options.params.items()}

    # -- HTTP -----------------------------------------------------------------------------------

    def client(self) -> HttpClient:
        options = self.options
        user = options.username_env.resolve(self.name, "username_env", self.env).get_secret_value()
        password = options.password_env.resolve(self.name, "password_env", self.env).get_secret_value()
        return options.client(
            self.name,
            auth=(user, password),
            secrets=[user],  # an LRS "key": half of the credential
            headers={"X-Experience-API-Version": self.version},
            auth_hint=f"check the LRS credentials in {options.username_env} / {options.password_env}",
            **self._http,
        )

    def first_request(self, since: str | None) -> PageRequest:
        params: dict[str, Any] = {"limit": self.limit, **self.extra_params}
        if self.ascending:
            params["ascending"] = "true"
        if since is not None:
            params["since"] = since
        return PageRequest(self.statements_url, params)

    def since_for(self, watermark: str | None) -> str | None:
        moment = _instant(watermark)
        if moment is not None:
            return since_param(moment - timedelta(seconds=self.lookback))
        if self.initial_since is not None:
            return since_param(_instant(str(self.initial_since)))  # type: ignore[arg-type]
        return None

    def _pages(self, client: HttpClient, start: PageRequest, resume: PageRequest | None, number: int) -> Iterator[Page]:
        paginator = XapiMorePaginator()
        if resume is not None:
            pages = paginate(client, paginator, start, resume=resume, first_number=number)
            try:
                first = next(pages)
            except HttpError as error:
                if error.status not in RESTART_STATUSES:
                    raise
                log.warning(
                    "source %r: the LRS refused the saved `more` position (HTTP %s); restarting the run from "
                    "since=%s (pages already landed will arrive again, deduplicated downstream)",
                    self.name, error.status, start.params.get("since"),
                )  # fmt: skip
            else:
                yield first
                yield from pages
                return
        yield from paginate(client, paginator, start, first_number=number)

    # -- the Connector protocol ---------------------------------------------------------------------

    def extract(self, state: LrsState) -> Iterator[tuple[LrsPageUnit, ParseResult]]:
        run = state.run
        if run:
            since, resume, number = run.since, run.next, run.pages + 1
            max_stored, consistent = run.max_stored, run.consistent_through
        else:
            since = self.since_for(state.watermark)
            resume, max_stored, consistent, number = None, None, None, 1
        start = self.first_request(since)
        with self.client() as client:
            for page in self._pages(client, start, resume, number):
                source_file = client.redact(page.response.request.path_url.split("?", 1)[0])
                result, highest, repeated = map_page(page.items, source_file)
                max_stored = _later(max_stored, highest)
                consistent = _earlier(consistent, _instant(page.response.headers.get(CONSISTENT_THROUGH)))
                done = page.next is None
                if done and run is None and page.number == 1 and not page.items:
                    return  # nothing new since the watermark: no empty load, no state change
                unit = LrsPageUnit(
                    page=page.number,
                    since=since,
                    request=client.redact(page.response.request.path_url),
                    status=page.response.status_code,
                    statements=len(page.items),
                    repeated_in_page=repeated,
                    max_stored=max_stored,
                    consistent_through=consistent,
                    next=page.next,
                    done=done,
                )
                yield unit, result

    def extract_window(self, start: datetime, end: datetime) -> Iterator[tuple[LrsWindowUnit, ParseResult]]:
        """Backfills: the statements *stored* in ``[start, end)`` (``since``/``until``), one unit per
        page, ignoring and never moving the watermark (``WindowedConnector``)."""
        request = self.first_request(since_param(start))
        request.params["until"] = since_param(end)
        window = Window(since=request.params["since"], until=request.params["until"])
        with self.client() as client:
            for page in paginate(client, XapiMorePaginator(), request):
                if not page.items:
                    continue
                source_file = client.redact(page.response.request.path_url.split("?", 1)[0])
                result, _, repeated = map_page(page.items, source_file)
                unit = LrsWindowUnit(
                    window=window,
                    page=page.number,
                    request=client.redact(page.response.request.path_url),
                    status=page.response.status_code,
                    statements=len(page.items),
                    repeated_in_page=repeated,
                    done=page.next is None,
                )
                yield unit, result

    def advance(self, state: LrsState, unit: LrsPageUnit, load_id: str) -> LrsState:
        """The state after ``unit``'s load committed: the next page's position, or (after the last
        page) the new watermark with the position cleared."""
        if not unit.done and unit.next is not None:
            run = LrsRun(
                since=unit.since,
                next=unit.next,
                max_stored=unit.max_stored,
                consistent_through=unit.consistent_through,
                pages=unit.page,
                load_id=load_id,
            )
            return state.replace(watermark=state.watermark, run=run)
        candidate = _instant(unit.max_stored)
        consistent = _instant(unit.consistent_through)
        if candidate is not None and consistent is not None and consistent < candidate:
            candidate = consistent  # statements stored after this may not be visible yet
        return state.replace(
            drop=("run",),
            watermark=_later(state.watermark, candidate),
            last_run=LrsLastRun(since=unit.since, pages=unit.page, load_id=load_id),
        )
