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


# The demo's LRS export names some learners by an SSO account whose name is their employee id, so
# its configuration lets that source match account names (dbt var `learner_matching`). Until
# trainops.yaml's `learners:` settings reach dbt by configuration, the tests add the var themselves.
DEMO_LEARNER_MATCHING = {"lrs_export": ["employee_id", "email"]}


@pytest.fixture(scope="session", autouse=True)
def demo_learner_matching():
    """Every dbt build of the session (nightly flows, every target) gets the demo's learner matching."""
    from warehouse import dbt

    run_vars = dbt.run_vars
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            dbt, "run_vars", lambda config, as_of: run_vars(config, as_of) | {"learner_matching": DEMO_LEARNER_MATCHING}
        )
        yield
