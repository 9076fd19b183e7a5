"""connectors/http.py over real loopback HTTP (pytest-httpserver): retries, Retry-After, timeouts,
bad JSON, refused credentials, the rate budget and redaction. Sleeping is recorded, never done."""

from __future__ import annotations

import json
import logging
import socket
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from pydantic import TypeAdapter, ValidationError
from werkzeug import Response

from connectors.base import SourceError
from connectors.http import HttpClient, HttpError, RetryPolicy, redact
from connectors.options import Duration, HttpOptions, SecretEnv

PASSWORD = "pw-S3CRET-4711"
TOKEN = "tok-ABCDEF-987654"
NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


class Sleeper:
    """Records requested sleeps and advances a fake monotonic clock by them."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.clock = 1000.0

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.clock += seconds

    def now(self) -> float:
        return self.clock


def make_client(sleeper: Sleeper, **settings) -> HttpClient:
    defaults = dict(
        retry=RetryPolicy(attempts=3, backoff=1.0, backoff_max=8.0, retry_after_max=120.0),
        sleep=sleeper,
        clock=sleeper.now,
        now=lambda: NOW,
        jitter=lambda: 0.5,
        read_timeout=5.0,
    )
    defaults.update(settings)
    return HttpClient("lrs", **defaults)


def test_429_with_retry_after_seconds_is_honoured(httpserver):
    httpserver.expect_ordered_request("/x").respond_with_data("slow down", status=429, headers={"Retry-After": "7"})
    httpserver.expect_ordered_request("/x").respond_with_json({"ok": True})
    sleeper = Sleeper()
    with make_client(sleeper) as client:
        data, response = client.get_json(httpserver.url_for("/x"))
    assert data == {"ok": True}
    assert sleeper.sleeps == [7.0]
    assert len(httpserver.log) == 2


def test_429_with_retry_after_http_date_is_honoured_and_capped(httpserver):
    in_30s = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    in_a_day = format_datetime(NOW + timedelta(days=1), usegmt=True)
    httpserver.expect_ordered_request("/x").respond_with_data("", status=429, headers={"Retry-After": in_30s})
    httpserver.expect_ordered_request("/x").respond_with_data("", status=429, headers={"Retry-After": in_a_day})
    httpserver.expect_ordered_request("/x").respond_with_json([1, 2])
    sleeper = Sleeper()
    with make_client(sleeper) as client:
        data, _ = client.get_json(httpserver.url_for("/x"))
    assert data == [1, 2]
    assert sleeper.sleeps == [30.0, 120.0]  # the day-long wait is capped at retry_after_max


def test_503_then_success_backs_off_with_jitter(httpserver):
    httpserver.expect_ordered_request("/x").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/x").respond_with_data("bad gateway", status=502)
    httpserver.expect_ordered_request("/x").respond_with_json({"ok": 1})
    sleeper = Sleeper()
    with make_client(sleeper, retry=RetryPolicy(attempts=5, backoff=1.0)) as client:
        data, _ = client.get_json(httpserver.url_for("/x"))
    assert data == {"ok": 1}
    # equal jitter at 0.5: half of 1 s + a quarter, then half of 2 s + a half
    assert sleeper.sleeps == [0.75, 1.5]


def test_gives_up_after_the_last_retry_with_one_clear_line(httpserver):
    httpserver.expect_request("/xAPI/statements").respond_with_data("busy", status=503)
    sleeper = Sleeper()
    with make_client(sleeper) as client, pytest.raises(HttpError) as caught:
        client.get_json(httpserver.url_for("/xAPI/statements"), params={"since": "2026-01-01", "token": TOKEN})
    message = str(caught.value)
    assert message == "source 'lrs': GET /xAPI/statements: HTTP 503 SERVICE UNAVAILABLE; gave up after 3 attempts"
    assert caught.value.status == 503 and "\n" not in message
    assert len(httpserver.log) == 3 and len(sleeper.sleeps) == 2


def test_read_timeout_is_retried_then_reported(httpserver):
    release = threading.Event()

    def slow(request):
        release.wait(0.6)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    sleeper = Sleeper()
    expected = r"GET /slow: read timeout after 0.2 s; gave up after 2 attempts"
    try:
        client = make_client(sleeper, read_timeout=0.2, retry=RetryPolicy(attempts=2))
        with client, pytest.raises(SourceError, match=expected):
            client.get_json(httpserver.url_for("/slow"))
    finally:
        release.set()
    assert len(sleeper.sleeps) == 1


def test_connection_refused_is_retried_then_reported():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    sleeper = Sleeper()
    with make_client(sleeper) as client, pytest.raises(HttpError, match="GET /gone: connection refused; gave up"):
        client.get_json(f"http://127.0.0.1:{port}/gone?api_key={TOKEN}")
    assert len(sleeper.sleeps) == 2


def test_truncated_json_names_the_path(httpserver):
    body = json.dumps({"statements": [{"id": "a"}, {"id": "b"}], "more": ""})[:30]
    httpserver.expect_request("/xAPI/statements").respond_with_data(body, content_type="application/json")
    with make_client(Sleeper()) as client, pytest.raises(SourceError) as caught:
        client.get_json(httpserver.url_for("/xAPI/statements"), params={"limit": 2})
    message = str(caught.value)
    assert "GET /xAPI/statements: response is not valid JSON" in message
    assert "of 30" in message and "truncated" in message


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_fail_at_once(httpserver, status):
    httpserver.expect_request("/xAPI/statements").respond_with_data("no", status=status)
    sleeper = Sleeper()
    client = make_client(sleeper, auth=("key", PASSWORD), auth_hint="check LRS_USER / LRS_PASSWORD")
    with client, pytest.raises(HttpError) as caught:
        client.get_json(httpserver.url_for("/xAPI/statements"))
    assert str(caught.value) == (
        f"source 'lrs': GET /xAPI/statements: credentials refused (HTTP {status}); check LRS_USER / LRS_PASSWORD"
    )
    assert len(httpserver.log) == 1 and sleeper.sleeps == []


def test_other_client_errors_fail_at_once_with_an_excerpt(httpserver):
    httpserver.expect_request("/x").respond_with_data('{"error": "Missing X-Experience-API-Version"}', status=400)
    sleeper = Sleeper()
    with make_client(sleeper) as client, pytest.raises(HttpError, match="HTTP 400 BAD REQUEST: .*Missing X-Exp"):
        client.get_json(httpserver.url_for("/x"))
    assert sleeper.sleeps == []


def test_204_and_empty_bodies_are_none(httpserver):
    httpserver.expect_ordered_request("/a").respond_with_data("", status=204)
    httpserver.expect_ordered_request("/b").respond_with_data("  ", status=200)
    with make_client(Sleeper()) as client:
        assert client.get_json(httpserver.url_for("/a"))[0] is None
        assert client.get_json(httpserver.url_for("/b"))[0] is None


def test_rate_budget_spaces_request_starts(httpserver):
    httpserver.expect_request("/x").respond_with_json({})
    sleeper = Sleeper()
    client = HttpOptions(requests_per_second=2).client("hr", sleep=sleeper, clock=sleeper.now)
    with client:
        for _ in range(3):
            client.get_json(httpserver.url_for("/x"))
    # the fake clock only moves when sleeping, so each later request waits the full 0.5 s
    assert sleeper.sleeps == [0.5, 0.5]
    assert client.requests_sent == 3


def test_no_credential_in_logs_or_errors(httpserver, caplog):
    """Basic-auth password, bearer token and a query-string API key never reach a log line or an
    exception, including urllib3's debug lines (which print the full request URL)."""
    httpserver.expect_ordered_request("/api/v1/reports").respond_with_data("", status=429, headers={"Retry-After": "1"})
    httpserver.expect_ordered_request("/api/v1/reports").respond_with_data(f"echo {PASSWORD}", status=500)
    caplog.set_level(logging.DEBUG)
    sleeper = Sleeper()
    client = make_client(
        sleeper,
        auth=("user", PASSWORD),
        headers={"X-Account-Token": TOKEN},
        params={"api_key": "qs-KEY-55555"},
    )
    with client, pytest.raises(SourceError) as caught:
        client.get_json(httpserver.url_for("/api/v1/reports"), params={"access_token": "qs-TOKEN-66666", "n": 1})
    client_side = [record for record in caplog.records if not record.name.startswith("werkzeug")]  # not the server
    logged = "\n".join(f"{record.name} {record.getMessage()} {record.args}" for record in client_side)
    assert "/api/v1/reports" in logged  # the lines are there…
    assert {"urllib3", "trainops"} <= {record.name.split(".")[0] for record in client_side}
    for secret in (PASSWORD, TOKEN, "qs-KEY-55555", "qs-TOKEN-66666"):  # …the credentials are not
        assert secret not in logged
        assert secret not in str(caught.value)
    assert "HTTP 500" in str(caught.value) and "***" in str(caught.value)


def test_redact_hides_query_secrets_and_userinfo():
    text = "GET https://bob:hunter22@h.example/p?apikey=abc&since=2026&access_token=xyz&page%5Bafter%5D=c1"
    assert redact(text) == "GET https://***@h.example/p?apikey=***&since=2026&access_token=***&page%5Bafter%5D=c1"
    assert redact("value my-secret-value here", ["my-secret-value"]) == "value *** here"


def test_missing_env_var_is_named_never_valued():
    variable = TypeAdapter(SecretEnv).validate_python("LRS_PASSWORD")
    with pytest.raises(SourceError, match=r"source 'lrs': environment variable LRS_PASSWORD \(option password_env\)"):
        variable.resolve("lrs", "password_env", {"OTHER": "x"})
    secret = variable.resolve("lrs", "password_env", {"LRS_PASSWORD": "pw-S3CRET"})
    assert secret.get_secret_value() == "pw-S3CRET" and "S3CRET" not in repr(secret) + str(secret)


@pytest.mark.parametrize("value", ["hunter2 hunter2", "https://hooks.example/T0/sEcReT", 1234567])
def test_a_secret_env_option_never_echoes_what_it_was_given(value):
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(SecretEnv).validate_python(value)
    (error,) = caught.value.errors()
    assert "NAME of an environment variable" in error["msg"] and str(value) not in error["msg"]


def test_http_options_defaults_and_bounds():
    client = HttpOptions(max_retries=2, backoff=0.5, timeout=5).client("hr")
    assert (client.retry.attempts, client.retry.backoff, client.read_timeout, client.min_interval) == (3, 0.5, 5.0, 0.0)
    for bad in ({"timeout": 0}, {"max_retries": 1.5}, {"max_retries": True}, {"verify_tls": 3}, {"colour": "red"}):
        with pytest.raises(ValidationError):
            HttpOptions.model_validate(bad)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(300, 300.0), ("90s", 90.0), ("5m", 300.0), ("2h", 7200.0), ("7d", 604800.0), ("PT5M", 300.0)],
)
def test_duration_options(value, seconds):
    assert TypeAdapter(Duration).validate_python(value) == seconds


def test_bad_duration_option_is_refused():
    with pytest.raises(ValidationError, match="expected a duration such as 300"):
        TypeAdapter(Duration).validate_python("soon")
