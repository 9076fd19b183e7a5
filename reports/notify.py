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

from pipeline.config import Config

log = logging.getLogger("trainops.notify")
_HTTP_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "requests")

TIMEOUT = (5, 10)  # connect, read seconds
ATTEMPTS = 2


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


def notify(config: Config, record: dict[str, Any], *, session: Any = requests) -> bool:
    """Post the run's outcome if it is worth a page; True when the webhook accepted it."""
    if not config.notify_webhook_env or not should_notify(record):
        return False
    url = os.environ.get(config.notify_webhook_env)
    if not url:
        log.warning("notify_webhook_env names %s, which is not set: no notification sent", config.notify_webhook_env)
        return False
    payload = {"text": message(record)}
    problem = ""
    with _redacted(url):
        for _ in range(ATTEMPTS):
            try:
                response = session.post(url, json=payload, timeout=TIMEOUT)
            except requests.RequestException as exc:
                problem = type(exc).__name__  # the exception text would name the URL
                continue
            if response.status_code < 300:
                return True
            problem = f"HTTP {response.status_code}"
            if response.status_code < 500 and response.status_code != 429:
                break
    log.warning("the webhook in %s did not accept the notification (%s)", config.notify_webhook_env, problem)
    return False


class _Redact(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [secret for secret in secrets if secret and secret != "/"]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = message
        for secret in self.secrets:
            cleaned = cleaned.replace(secret, "***")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


@contextmanager
def _redacted(url: str) -> Iterator[None]:
    """urllib3 logs each request line at DEBUG: keep the webhook's URL (its token) out of them."""
    parts = urlsplit(url)
    guard = _Redact([url, parts.path + (f"?{parts.query}" if parts.query else ""), parts.path])
    loggers = [logging.getLogger(name) for name in _HTTP_LOGGERS]
    for logger in loggers:
        logger.addFilter(guard)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(guard)
