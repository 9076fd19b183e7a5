"""Shared fixtures: the real third-party samples, and one Prefect test harness per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import flows  # noqa: F401  (sets telemetry-off defaults before Prefect/dbt/GX are imported)

REPO = Path(__file__).resolve().parent.parent


def samples_dir() -> Path:
    return Path(os.environ.get("TRAINOPS_SAMPLES", REPO.parent / "shared" / "samples")).resolve()


@pytest.fixture(scope="session")
def samples() -> Path:
    """The real payloads in ../shared/samples; absent → skip, except under CI where it fails."""
    path = samples_dir()
    if not path.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"samples not found at {path} (set TRAINOPS_SAMPLES)")
        pytest.skip(f"samples not found at {path} (set TRAINOPS_SAMPLES)")
    return path


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect server and database, shared by the whole session (~15 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=None):
        yield
