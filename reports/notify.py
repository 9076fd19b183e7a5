"""The optional failure webhook: a Slack-compatible ``{"text": …}`` POST when a run fails or publishes
with a stale source.

``notify_webhook_env`` in ``trainops.yaml`` names the environment variable holding the URL (an
incoming-webhook URL carries its token, so it is a secret): the URL never appears in the config, a
log line, an artifact or an error. A webhook that cannot be reached is logged and never changes the
run's outcome. Slack, Mattermost, Rocket.Chat, Google Chat and Teams workflows accept this payload.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.http import HttpClient, HttpError, RetryPolicy, redact
from pipeline.config import Config

log = logging.getLogger("trainops.notify")

# The shared HTTP layer (connectors/http.py) with a webhook's budget: a page is worth two tries and
# a few seconds, never a night's run.
CONNECT_TIMEOUT, READ_TIMEOUT = 5.0, 10.0  # seconds
RETRY = RetryPolicy(attempts=2, backoff=1.0, backoff_max=2.0, retry_after_max=10.0)


def should_notify(record: dict[str, Any]) -> bool:
    return record.get("status") in ("failed", "stale")


def message(record: dict[str, Any]) -> str:
    flow, run, as_of = record.get("flow", "trainops"), record.get("run_id"), record.get("as_of")
    if record.get("status") == "stale":
        stale = record.get("stale_sources") or {}
        lines = [
            f":warning: *trainops {flow}* published marts with stale source(s) "
            f"{', '.join(sorted(stale))} (run {run}, as of {as_of}); their data is as of their last "
            "successful extraction."
        ]
        lines += [f"• {name}: {error}" for name, error in sorted(stale.items())]
    else:
        lines = [
            f":rotating_light: *trainops {flow}* failed (run {run}, as of {as_of}); the published marts are unchanged.",
            f"• {record.get('error', 'unknown error')}",
        ]
    lines.append("`trainops status` shows the details.")
    return "\n".join(lines)


def notify(config: Config, record: dict[str, Any], *, session: requests.Session | None = None) -> bool:
    """Post the run's outcome if it is worth a page; True when the webhook accepted it."""
    if not config.notify_webhook_env or not should_notify(record):
        return False
    url = os.environ.get(config.notify_webhook_env)
    if not url:
        log.warning("notify_webhook_env names %s, which is not set: no notification sent", config.notify_webhook_env)
        return False
    try:
        with _redacted_client(url, session) as client:
            client.request("POST", url, json_body={"text": message(record)})
    except HttpError as exc:  # already redacted: the URL and its path show as ***
        log.warning("the webhook in %s did not accept the notification (%s)", config.notify_webhook_env, exc)
        return False
    return True


class _Redact(logging.Filter):
    """The HTTP layer's own log lines name the request path, which for a webhook is its token."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


@contextmanager
def _redacted_client(url: str, session: requests.Session | None) -> Iterator[HttpClient]:
    """An ``HttpClient`` holding the webhook's URL and path as secrets: the shared layer redacts them
    from its errors and from urllib3's lines, and ``_Redact`` from its own."""
    parts = urlsplit(url)
    secrets = [url, parts.path + (f"?{parts.query}" if parts.query else ""), parts.path]
    guard = _Redact()
    http_log = logging.getLogger("trainops.http")
    http_log.addFilter(guard)
    try:
        with HttpClient(
            "notify", secrets=secrets, retry=RETRY, session=session,
            connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
        ) as client:  # fmt: skip
            yield client
    finally:
        http_log.removeFilter(guard)
