"""connectors/http.py against hostile endpoints, over real loopback HTTP: a redirect to another
origin (another port) never carries a credential; a server trickling its response fails as a timeout
within the request's deadline, and a source's retries end at its own deadline."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors.hris.merge import MergeHrisConnector, MergeHrisOptions
from connectors.hris.workday import WorkdayRaasConnector, WorkdayRaasOptions
from connectors.http import HttpClient, HttpError, RetryPolicy
from connectors.options import HttpOptions

MERGE_KEY = "merge-KEY-abcdef0123"
ACCOUNT_TOKEN = "acct-TOKEN-42424242"
PASSWORD = "wd-PASS-31415926"


@pytest.fixture
def other_origin() -> Iterator[HTTPServer]:
    """A second loopback server: same host, another port, so another origin."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def merge_client(httpserver: HTTPServer) -> HttpClient:
    options = MergeHrisOptions.model_validate(
        {"url": httpserver.url_for("/api/hris/v1/"), "api_key_env": "K", "account_token_env": "T", "max_retries": 0}
    )
    env = {"K": MERGE_KEY, "T": ACCOUNT_TOKEN}
    return MergeHrisConnector("merge", options, env=env, now=lambda: date(2026, 11, 28), sleep=lambda s: None).client()


def redirect_to(url: str) -> Response:
    return Response(status=302, headers={"Location": url})


def seen_headers(server: HTTPServer) -> dict[str, str]:
    request: Request = server.log[-1][0]
    return dict(request.headers)


def test_cross_origin_redirect_drops_every_credential_header(httpserver: HTTPServer, other_origin: HTTPServer):
    httpserver.expect_request("/api/hris/v1/employees").respond_with_response(
        redirect_to(other_origin.url_for("/elsewhere/employees"))
    )
    other_origin.expect_request("/elsewhere/employees").respond_with_json({"results": [], "next": None})
    with merge_client(httpserver) as client:
        data, _ = client.get_json("employees")
    assert data == {"results": [], "next": None}
    first, followed = seen_headers(httpserver), seen_headers(other_origin)
    assert first["Authorization"] == f"Bearer {MERGE_KEY}" and first["X-Account-Token"] == ACCOUNT_TOKEN
    assert "Authorization" not in followed and "X-Account-Token" not in followed  # requests kept the token
    assert not [value for value in followed.values() if MERGE_KEY in value or ACCOUNT_TOKEN in value]
    assert followed["User-Agent"] == "trainops"  # what is not a credential still goes


def test_same_origin_redirect_keeps_the_credentials(httpserver: HTTPServer):
    httpserver.expect_request("/api/hris/v1/employees").respond_with_response(redirect_to("/api/hris/v2/employees"))
    httpserver.expect_request("/api/hris/v2/employees").respond_with_json({"results": [], "next": None})
    with merge_client(httpserver) as client:
        client.get_json("employees")
    followed = seen_headers(httpserver)
    assert followed["X-Account-Token"] == ACCOUNT_TOKEN and followed["Authorization"] == f"Bearer {MERGE_KEY}"


def test_cross_origin_redirect_drops_basic_auth(httpserver: HTTPServer, other_origin: HTTPServer):
    httpserver.expect_request("/report").respond_with_response(redirect_to(other_origin.url_for("/report")))
    other_origin.expect_request("/report").respond_with_json({"Report_Entry": []})
    options = WorkdayRaasOptions.model_validate(
        {
            "url": httpserver.url_for("/report"), "username_env": "U", "password_env": "P", "max_retries": 0,
            "fields": {"employee_id": "id", "email": "mail", "hire_date": "hired"},
        }
    )  # fmt: skip
    conn = WorkdayRaasConnector("wd", options, env={"U": "isu", "P": PASSWORD}, now=lambda: date(2026, 11, 28))
    with conn.client() as client:
        client.get_json(httpserver.url_for("/report"))
    assert "Authorization" in seen_headers(httpserver) and "Authorization" not in seen_headers(other_origin)


class Trickle:
    """A loopback server that answers every connection a byte at a time, every ``interval`` seconds:
    ``body`` after complete headers, or the headers themselves (``headers_too``)."""

    def __init__(self, interval: float, headers_too: bool = False) -> None:
        self.interval, self.headers_too = interval, headers_too
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.stop = threading.Event()
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/stream"

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        body = b'{"results": [' + b" " * 400 + b"]}"
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        with conn:
            conn.recv(65536)
            slow = head + body if self.headers_too else body
            if not self.headers_too:
                conn.sendall(head)
            for byte in slow:
                if self.stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return  # the client gave up
                time.sleep(self.interval)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.fixture
def trickle() -> Iterator[Trickle]:
    server = Trickle(interval=0.05)
    yield server
    server.close()


def client(**settings) -> HttpClient:
    return HttpClient("lrs", read_timeout=1.0, sleep=lambda s: None, jitter=lambda: 0.0, **settings)


def test_a_trickled_body_fails_as_a_timeout_at_the_request_deadline(trickle: Trickle):
    started = time.monotonic()
    with pytest.raises(HttpError) as info, client(deadline=1.0, retry=RetryPolicy(attempts=2)) as http:
        http.get_json(trickle.url)  # each byte within the read timeout: 400+ bytes would take 20 s
    elapsed = time.monotonic() - started
    assert "GET /stream: no complete response within 1 s (request_deadline); gave up after 2 attempts" in str(
        info.value
    )
    assert 2.0 <= elapsed < 4.0 and trickle.connections == 2


def test_trickled_headers_fail_at_the_request_deadline_too():
    server = Trickle(interval=0.05, headers_too=True)
    try:
        started = time.monotonic()
        with (
            pytest.raises(HttpError, match=r"within 1 s \(request_deadline\); gave up after 1"),
            client(deadline=1.0, retry=RetryPolicy(attempts=1)) as http,
        ):
            http.request("GET", server.url)
        assert time.monotonic() - started < 3.0
    finally:
        server.close()


def test_a_source_deadline_ends_its_retries(trickle: Trickle):
    started = time.monotonic()
    reached = r"source deadline of 1.5 s reached \(source_deadline\)"
    with (
        client(deadline=1.0, budget=1.5, retry=RetryPolicy(attempts=10)) as http,
        pytest.raises(HttpError, match=reached),
    ):
        http.get_json(trickle.url)
    assert time.monotonic() - started < 3.5
    assert trickle.connections == 2  # 1 s, then the 0.5 s left of the budget, then no third attempt


def test_deadlines_are_http_options():
    options = HttpOptions(request_deadline="2m", source_deadline="1h")
    with options.client("lrs") as http:
        assert (http.deadline, http.budget) == (120.0, 3600.0)
    with HttpOptions().client("lrs") as http:
        assert (http.deadline, http.budget) == (300.0, None)
