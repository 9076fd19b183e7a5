"""Shared fixtures: the sample documents in tests/fixtures, how a test says a service it needs is
missing, one Prefect test harness per session, and one small demo night per session that several
modules compare with. A run that skipped tests ends with one line saying how many and why."""

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


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    """The small generated enterprise (homes.SMALL_DEMO: seed 5, 80 employees, 3 months, 3 vendors)
    that the recovery, signal, Dask and layout tests run. A test that adds a file to its drops removes
    it again (try/finally): other modules read the same drops."""
    from homes import SMALL_AS_OF, SMALL_DEMO

    from demo import generate

    root = tmp_path_factory.mktemp("small-demo")
    generate(root / "demo", as_of=SMALL_AS_OF, **SMALL_DEMO)
    return root / "demo"


@pytest.fixture(scope="session")
def small_night(small_demo, tmp_path_factory, prefect_harness) -> dict:
    """One uninterrupted nightly run of ``small_demo`` in the canonical configuration
    (``homes.write_config``): the reference other runs of the same drops must equal. Read only: a test
    that runs more nights on a published home runs them on a copy (``homes.copy_home``). Its
    published marts are checked unchanged at the end of the session."""
    from homes import SMALL_AS_OF, write_config

    from flows.nightly import nightly_sync
    from pipeline.config import load_config
    from warehouse.duckdb_target import published_checksums

    path = write_config(small_demo, tmp_path_factory.mktemp("small-night"))
    record = nightly_sync(as_of=SMALL_AS_OF, config_path=str(path))
    assert record["status"] == "success", record.get("error")
    config = load_config(path)
    published = published_checksums(config.marts_db)
    yield {"path": path, "config": config, "record": record, "as_of": SMALL_AS_OF}
    assert published_checksums(config.marts_db) == published, "a test changed the shared small night's marts"
