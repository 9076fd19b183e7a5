"""The one HTTP layer of the API connectors (STYLE: Connectors).

``HttpClient`` wraps a ``requests.Session`` for one configured source:

- connect and read timeouts, an overall ``deadline`` per request (body included: a trickle is a
  timeout) and a ``budget`` for all requests and retries of the client;
- on a redirect to another origin, every credential header is dropped (``_ALWAYS_CREDENTIALS`` and
  every header the connector set, e.g. Merge's ``X-Account-Token``), not only ``Authorization``;
- retries with exponential backoff and jitter on 429, 502, 503, 504, connection errors and
  timeouts, honouring ``Retry-After`` (seconds or HTTP-date), capped;
- a request-rate budget (a minimum interval between request starts);
- 401/403 fail at once with "credentials refused"; any other 4xx fails at once;
- after the last retry, a ``SourceError`` of one line naming the source, method, URL path (never
  the query) and the status or network problem;
- credentials (auth headers, basic-auth passwords, API keys, tokens in query strings) are redacted
  from every log line and exception, including urllib3's own debug lines.

Sleeping, the clock and the jitter are injectable, so tests never sleep for real.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import requests

from connectors.base import SourceError

log = logging.getLogger("trainops.http")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})
REDACTED = "***"

# Query parameters and headers whose values are credentials, whoever sends them.
_SENSITIVE_NAME = re.compile(
    r"token|key|secret|passw|pwd|signature|^sig$|auth|credential|session|cookie", re.IGNORECASE
)
_QUERY_SECRET = re.compile(
    r"(?P<name>[?&;](?:[^=&#\s'\"]*?)(?:token|key|secret|passw|pwd|signature|sig|auth|credential|session)"
    r"[^=&#\s'\"]*=)(?P<value>[^&#\s'\"]*)",
    re.IGNORECASE,
)
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s'\"]+@", re.IGNORECASE)

# Every credential any live client holds (with how many hold it): urllib3's debug lines are
# redacted against these too.
_SECRETS: Counter[str] = Counter()
_SECRETS_LOCK = threading.Lock()


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without credentials: known secret values, sensitive query values, URL userinfo."""
    with _SECRETS_LOCK:
        known = {secret for secret, holders in _SECRETS.items() if holders > 0}
    known.update(secret for secret in secrets if secret)
    for secret in sorted(known, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _QUERY_SECRET.sub(lambda match: match["name"] + REDACTED, text)
    return _USERINFO.sub(lambda match: match["scheme"] + REDACTED + "@", text)


class _RedactingFilter(logging.Filter):
    """Redacts records of third-party loggers (urllib3 logs full URLs, queries included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to fix
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = _RedactingFilter()
for _name in ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "urllib3.response", "requests"):
    logging.getLogger(_name).addFilter(_FILTER)


def path_of(url: str) -> str:
    """The path of a URL, without scheme, host, query or fragment: what errors may name."""
    return urlsplit(url).path or "/"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    backoff_max: float = 60.0
    retry_after_max: float = 300.0  # a longer Retry-After is waited this long, then retried

    def delay(self, attempt: int, jitter: float) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random (``jitter`` in [0, 1))."""
        ceiling = min(self.backoff_max, self.backoff * 2.0 ** (attempt - 1))
        return ceiling / 2 + ceiling / 2 * jitter


_ALWAYS_CREDENTIALS = ("Authorization", "Proxy-Authorization", "Cookie")


def _strip_credentials_across_origins(session: requests.Session, names: Iterable[str]) -> None:
    """Make ``session`` drop the credential headers ``names`` (and ``_ALWAYS_CREDENTIALS``) from a
    redirected request whose origin differs from the one redirecting; requests itself drops only
    ``Authorization``. Its own ``rebuild_auth`` hook is wrapped, so an injected session is covered."""
    own = session.rebuild_auth
    dropped = (*_ALWAYS_CREDENTIALS, *names)

    def rebuild_auth(prepared: requests.PreparedRequest, response: requests.Response) -> None:
        strips = cast(Callable[[str, str], bool], session.should_strip_auth)  # untyped in requests' stubs
        if strips(response.request.url or "", prepared.url or ""):
            for name in dropped:
                prepared.headers.pop(name, None)
        cast(Callable[[requests.PreparedRequest, requests.Response], None], own)(prepared, response)

    session.rebuild_auth = rebuild_auth  # type: ignore[method-assign]


class _Overdue(Exception):
    """An attempt that did not complete (response and body) within its deadline."""

    def __init__(self, seconds: float, what: str) -> None:
        super().__init__(f"no complete response within {seconds:g} s ({what})")


def _abort(response: requests.Response | None) -> None:
    """Shut the socket a streamed response is read from, so a thread blocked on it wakes up."""
    connection = getattr(getattr(response, "raw", None), "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class HttpError(SourceError):
    """A request that failed for good; ``status`` is None for network problems."""

    def __init__(self, message: str, *, method: str, path: str, status: int | None = None) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.status = status


class HttpClient:
    """A ``requests.Session`` for one source, with the policies of this module.

    ``auth`` is a (username, password) pair for basic auth; ``headers`` are sent on every request
    (credentials among them are redacted by name); ``secrets`` are further values never to show.
    ``auth_hint`` is appended to "credentials refused" errors, e.g. "check LRS_USER / LRS_PASSWORD".
    """

    def __init__(
        self,
        source: str,
        *,
        base_url: str | None = None,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        secrets: Iterable[str] = (),
        auth_hint: str = "",
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        deadline: float = 300.0,
        budget: float | None = None,
        retry: RetryPolicy | None = None,
        min_interval: float = 0.0,
        verify: bool | str = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        jitter: Callable[[], float] = random.random,
        session: requests.Session | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.budget = budget
        self._first_start: float | None = None
        self.retry = retry or RetryPolicy()
        self.min_interval = min_interval
        self.verify = verify
        self.auth_hint = auth_hint
        self.params = dict(params or {})
        self._sleep, self._clock, self._now, self._jitter = sleep, clock, now, jitter
        self._last_start: float | None = None
        self.requests_sent = 0

        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "trainops"})
        self.session.headers.update(dict(headers or {}))
        _strip_credentials_across_origins(self.session, (headers or {}).keys())
        secret_values = {secret for secret in secrets if secret}
        if auth is not None:
            user, password = auth
            self.session.auth = (user, password)
            secret_values.add(password)
            secret_values.add(base64.b64encode(f"{user}:{password}".encode()).decode())
        for name, value in (headers or {}).items():
            if _SENSITIVE_NAME.search(name) and value:
                secret_values.add(value)
                if " " in value:  # "Bearer abc": the token alone is a secret too
                    secret_values.add(value.split(" ", 1)[1])
        for name, value in self.params.items():
            if _SENSITIVE_NAME.search(name) and value:
                secret_values.add(str(value))
        self._secrets = frozenset(secret for secret in secret_values if len(secret) >= 4)
        with _SECRETS_LOCK:
            _SECRETS.update(self._secrets)
        self._closed = False

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        self.session.close()
        if self._closed:
            return
        self._closed = True
        with _SECRETS_LOCK:
            _SECRETS.subtract(self._secrets)
            for secret in self._secrets:
                if _SECRETS[secret] <= 0:
                    del _SECRETS[secret]

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers --------------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def url(self, url: str) -> str:
        """``url`` resolved against the base URL (an absolute URL is kept as it is)."""
        return urljoin(self.base_url, url) if self.base_url else url

    def _fail(self, method: str, path: str, message: str, status: int | None = None) -> HttpError:
        text = self.redact(f"source {self.source!r}: {method} {path}: {message}")
        return HttpError(text, method=method, path=path, status=status)

    def _throttle(self) -> None:
        if self.min_interval > 0 and self._last_start is not None:
            wait = self._last_start + self.min_interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_start = self._clock()

    def retry_after(self, response: requests.Response) -> float | None:
        """Seconds the server asks us to wait (``Retry-After`` as seconds or an HTTP-date), capped."""
        value = (response.headers.get("Retry-After") or "").strip()
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = (when - self._now()).total_seconds()
        return min(max(seconds, 0.0), self.retry.retry_after_max)

    def _describe(self, exc: requests.RequestException) -> str:
        if isinstance(exc, requests.ConnectTimeout):
            return f"connect timeout after {self.connect_timeout:g} s"
        if isinstance(exc, requests.ReadTimeout) or "Read timed out" in str(exc):
            return f"read timeout after {self.read_timeout:g} s"
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return "connection broken while reading the response"
        text = str(exc)
        if "Connection refused" in text:
            return "connection refused"
        if "RemoteDisconnected" in text or "Connection aborted" in text or "reset by peer" in text:
            return "connection closed by the server"
        if "Name or service not known" in text or "getaddrinfo" in text or "resolve" in text:
            return "host name not found"
        return f"connection error ({type(exc).__name__})"

    # -- requests -------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request, retrying what may succeed later; raise ``HttpError`` otherwise."""
        method = method.upper()
        target = self.url(url)
        path = path_of(target)
        merged = {**self.params, **(params or {})} or None
        attempt = 0
        while True:
            attempt += 1
            self._throttle()
            limit, what = self._limit(method, path)
            started = time.perf_counter()
            try:
                response = self._send(method, target, merged, json_body, headers, limit, what)
            except (requests.RequestException, _Overdue) as exc:
                self.requests_sent += 1
                problem = str(exc) if isinstance(exc, _Overdue) else self._describe(exc)
                if attempt >= self.retry.attempts:
                    raise self._fail(method, path, f"{problem}; gave up after {attempt} attempts") from None
                delay = self.retry.delay(attempt, self._jitter())
                log.warning(
                    "source %r: %s %s: %s; retry %d of %d in %.1f s",
                    self.source, method, path, problem, attempt, self.retry.attempts - 1, delay,
                )  # fmt: skip
                self._sleep(delay)
                continue
            self.requests_sent += 1
            status = response.status_code
            log.debug(
                "source %r: %s %s -> %d (%.2f s)", self.source, method, path, status, time.perf_counter() - started
            )
            if status < 400:
                return response
            reason = response.reason or ""
            if status in AUTH_STATUSES:
                response.close()
                hint = f"; {self.auth_hint}" if self.auth_hint else ""
                raise self._fail(method, path, f"credentials refused (HTTP {status}){hint}", status)
            if status in RETRY_STATUSES:
                response.close()
                if attempt >= self.retry.attempts:
                    raise self._fail(method, path, f"HTTP {status} {reason}; gave up after {attempt} attempts", status)
                asked = self.retry_after(response)
                delay = asked if asked is not None else self.retry.delay(attempt, self._jitter())
                log.warning(
                    "source %r: %s %s: HTTP %d%s; retry %d of %d in %.1f s",
                    self.source, method, path, status, " (Retry-After)" if asked is not None else "",
                    attempt, self.retry.attempts - 1, delay,
                )  # fmt: skip
                self._sleep(delay)
                continue
            excerpt = " ".join(response.text[:300].split())
            response.close()
            raise self._fail(method, path, f"HTTP {status} {reason}" + (f": {excerpt}" if excerpt else ""), status)

    def _limit(self, method: str, path: str) -> tuple[float, str]:
        """Seconds the next attempt may take: the request deadline, or what is left of the source's
        budget if that is less (none left: the source has run out of time)."""
        now = self._clock()
        if self._first_start is None:
            self._first_start = now
        if self.budget is None:
            return self.deadline, "request_deadline"
        left = self.budget - (now - self._first_start)
        if left <= 0:
            raise self._fail(method, path, f"source deadline of {self.budget:g} s reached (source_deadline)")
        return (self.deadline, "request_deadline") if self.deadline <= left else (left, "source_deadline")

    def _send(
        self,
        method: str,
        target: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
        limit: float,
        what: str,
    ) -> requests.Response:
        """One attempt, body read, in a worker thread given ``limit`` seconds in all (socket timeouts
        bound each wait, not a trickle); an overdue attempt's socket is shut, its thread left to end."""
        box: dict[str, Any] = {}

        def attempt() -> None:
            try:
                response = self.session.request(
                    method, target, params=params, json=json_body, headers=dict(headers) if headers else None,
                    timeout=(self.connect_timeout, self.read_timeout), verify=self.verify, stream=True,
                )  # fmt: skip
                box["response"] = response
                response.content  # noqa: B018 - reads the body, within this attempt's limit
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=attempt, name=f"http-{self.source}", daemon=True)
        worker.start()
        worker.join(limit)
        if worker.is_alive():
            _abort(box.get("response"))
            raise _Overdue(limit, what)
        if "error" in box:
            response = box.get("response")
            if response is not None:
                response.close()
            raise box["error"]
        return cast(requests.Response, box["response"])

    def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, requests.Response]:
        return self.json("GET", url, params=params, headers=headers)

    def json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, requests.Response]:
        """The decoded JSON body (None for 204 or an empty body) and the response."""
        response = self.request(method, url, params=params, json_body=json_body, headers=headers)
        path = path_of(response.url or self.url(url))
        if response.status_code == 204 or not response.content.strip():
            return None, response
        try:
            return json.loads(response.content), response
        except (ValueError, UnicodeDecodeError) as exc:
            size = len(response.content)
            kind = response.headers.get("Content-Type", "no Content-Type")
            where = f"{exc.msg} at byte {exc.pos} of {size}" if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise self._fail(
                method.upper(), path, f"response is not valid JSON ({where}; {kind}): truncated or not JSON"
            ) from None
