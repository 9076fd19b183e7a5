"""The manifest ``dbt parse`` writes (offline: the project's own profiles, no database opened), parsed
once per session for the tests that check the dbt project's documentation and layers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from warehouse.dbt import DBT_PROJECT_DIR


@pytest.fixture(scope="session")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("dbt-parse")
    env = {"TRAINOPS_BUILD_DB": str(target / "parse.duckdb"), "DO_NOT_TRACK": "1", "PATH": "/usr/bin:/bin"}
    process = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "parse", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target), "--log-path", str(target)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert process.returncode == 0, process.stdout[-2000:]
    manifest: dict[str, Any] = json.loads((target / "manifest.json").read_text())
    return manifest
