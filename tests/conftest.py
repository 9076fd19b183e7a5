"""Shared fixtures: the sample documents in tests/fixtures, how a test says a service it needs is
missing, and one Prefect test harness per session. A run that skipped tests ends with one line
saying how many and why."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import NoReturn

import pytest

import flows  # noqa: F401  (sets telemetry-off defaults before Prefect/dbt/GX are imported)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def samples() -> Path:
    """Third-party sample payloads and documents written for the tests (tests/fixtures/PROVENANCE.md)."""
    return FIXTURES


def missing_service(service: str, cause: str, detail: str = "") -> NoReturn:
    """A service the test needs (Postgres, an LRS, …) is not there: under ``CI=true`` the test fails,
    otherwise it is skipped with the reason ``need <service> (<cause>)``, counted in the run's last line."""
    reason = f"need {service} ({' '.join(cause.split())[:120]})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; under CI=true a missing service fails the test{': ' + detail if detail else ''}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def need_service():
    """``need_service("Postgres", "connection refused")``: see ``missing_service``."""
    return missing_service


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After pytest's own summary: ``skipped 12: 8 need an LRS (npm not found), 4 need Postgres (…)``."""
    result = yield
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        reasons = Counter(skip_reason(report) for report in skipped)
        listed = ", ".join(f"{count} {reason}" for reason, count in reasons.most_common())
        terminalreporter.write_line(f"skipped {len(skipped)}: {listed}", yellow=True, bold=True)
    return result


def skip_reason(report) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect server and database, shared by the whole session (~15 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=None):
        yield
