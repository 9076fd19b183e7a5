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
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import ParseResult, SourceError
from connectors.http import (
    HTTP_OPTIONS,
    HttpClient,
    HttpError,
    client_from_options,
    require_env,
    seconds_option,
    whole_number_option,
)
from connectors.lms.xapi_files import ENTITY, record_from_statement
from connectors.pagination import Page, PageRequest, XapiMorePaginator, paginate
from connectors.parsing import FieldError, compact_json, empty_record, parse_timestamp, reject_from

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


class XapiLrsConnector:
    """``kind: xapi_lrs`` — see the module docstring and ``OPTIONS``."""

    kind = "xapi_lrs"
    OPTIONS: dict[str, bool] = {
        "url": True,  # the xAPI endpoint, e.g. https://lrs.example.com/xAPI/ (statements are under it)
        "username_env": True,  # env var holding the basic-auth user (LRS key)
        "password_env": True,  # env var holding the basic-auth password (LRS secret)
        "lookback": False,  # overlap below the watermark: seconds or "5m", "2h", "7d" (default 5m)
        "limit": False,  # page size asked for (default 500; the LRS may return fewer)
        "ascending": False,  # ask for oldest first (default true)
        "since": False,  # first run only: start here instead of the beginning (ISO timestamp)
        "version": False,  # X-Experience-API-Version (default 1.0.3)
        "params": False,  # extra query filters, e.g. {activity: …, related_activities: true}
        **HTTP_OPTIONS,
    }

    def __init__(self, name: str, options: dict[str, Any], *, env: Mapping[str, str] = os.environ, **http: Any):
        self.name = name
        self.options = dict(options)
        self.env = env
        self._http = http  # test hooks for the client (sleep, clock, …)
        url = options.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise SourceError(f"source {name!r}: option url must be an http(s) URL, got {url!r}")
        self.statements_url = url.rstrip("/") + "/statements"
        self.lookback = seconds_option(name, options, "lookback", DEFAULT_LOOKBACK)
        self.limit = whole_number_option(name, options, "limit", DEFAULT_LIMIT, minimum=1)
        self.ascending = bool(options.get("ascending", True))
        self.initial_since = options.get("since")
        if self.initial_since is not None and _instant(str(self.initial_since)) is None:
            raise SourceError(f"source {name!r}: option since must be an ISO timestamp, got {self.initial_since!r}")
        self.version = str(options.get("version", "1.0.3"))
        extra = options.get("params") or {}
        if not isinstance(extra, dict):
            raise SourceError(f"source {name!r}: option params must be a mapping of query parameters")
        self.extra_params = {str(key): value for key, value in extra.items()}

    # -- HTTP -----------------------------------------------------------------------------------

    def client(self) -> HttpClient:
        user_var, password_var = self.options["username_env"], self.options["password_env"]
        user = require_env(self.name, "username_env", user_var, self.env)
        password = require_env(self.name, "password_env", password_var, self.env)
        return client_from_options(
            self.name,
            self.options,
            auth=(user, password),
            secrets=[user],  # an LRS "key": half of the credential
            headers={"X-Experience-API-Version": self.version},
            auth_hint=f"check the LRS credentials in {user_var} / {password_var}",
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

    def extract(self, state: dict[str, Any]) -> Iterator[tuple[dict[str, Any], ParseResult]]:
        run = state.get("run")
        if run:
            since = run.get("since")
            resume = PageRequest.from_state(run["next"])
            max_stored, consistent = run.get("max_stored"), run.get("consistent_through")
            number = int(run.get("pages", 0)) + 1
        else:
            since = self.since_for(state.get("watermark"))
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
                unit = {
                    "page": page.number,
                    "since": since,
                    "request": client.redact(page.response.request.path_url),
                    "status": page.response.status_code,
                    "statements": len(page.items),
                    "repeated_in_page": repeated,
                    "max_stored": max_stored,
                    "consistent_through": consistent,
                    "next": page.next.to_state() if page.next else None,
                    "done": done,
                }
                yield unit, result

    def extract_window(self, start: datetime, end: datetime) -> Iterator[tuple[dict[str, Any], ParseResult]]:
        """Backfills: the statements *stored* in ``[start, end)`` (``since``/``until``), one unit per
        page, ignoring and never moving the watermark (``WindowedConnector``)."""
        request = self.first_request(since_param(start))
        request.params["until"] = since_param(end)
        window = {"since": request.params["since"], "until": request.params["until"]}
        with self.client() as client:
            for page in paginate(client, XapiMorePaginator(), request):
                if not page.items:
                    continue
                source_file = client.redact(page.response.request.path_url.split("?", 1)[0])
                result, _, repeated = map_page(page.items, source_file)
                unit = {
                    "window": window,
                    "page": page.number,
                    "request": client.redact(page.response.request.path_url),
                    "status": page.response.status_code,
                    "statements": len(page.items),
                    "repeated_in_page": repeated,
                    "done": page.next is None,
                }
                yield unit, result

    def advance(self, state: dict[str, Any], unit: dict[str, Any], load_id: str) -> dict[str, Any]:
        """The state after ``unit``'s load committed: the next page's position, or (after the last
        page) the new watermark with the position cleared."""
        rest = {key: value for key, value in state.items() if key not in ("run", "watermark")}
        watermark = state.get("watermark")
        if not unit["done"]:
            run = {
                "since": unit["since"],
                "next": unit["next"],
                "max_stored": unit["max_stored"],
                "consistent_through": unit["consistent_through"],
                "pages": unit["page"],
                "load_id": load_id,
            }
            return {**rest, "watermark": watermark, "run": run}
        candidate = _instant(unit["max_stored"])
        consistent = _instant(unit["consistent_through"])
        if candidate is not None and consistent is not None and consistent < candidate:
            candidate = consistent  # statements stored after this may not be visible yet
        return {
            **rest,
            "watermark": _later(watermark, candidate),
            "last_run": {"since": unit["since"], "pages": unit["page"], "load_id": load_id},
        }
