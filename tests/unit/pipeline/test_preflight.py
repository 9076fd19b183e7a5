"""``trainops run`` checks config, paths and credentials and says so before Prefect is imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline import preflight
from pipeline.config import parse_config

# Runs `trainops run` in a child whose import of Prefect prints a marker and stops the process: the
# progress line must come before it (the order of output, not a timing).
CHILD = """
import importlib.abc, os, sys

class Stop(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "prefect":
            print("PREFECT IMPORTED", flush=True)
            os._exit(0)
        return None

sys.meta_path.insert(0, Stop())
from flows.cli import main
sys.exit(main(["run", "--config", sys.argv[1]]))
"""


def _config_file(tmp_path: Path, reference: str = "reference") -> Path:
    (tmp_path / "reference").mkdir(exist_ok=True)
    (tmp_path / "drops").mkdir(exist_ok=True)
    path = tmp_path / "trainops.yaml"
    path.write_text(
        f"home: ./home\nreference_dir: ./{reference}\nsources:\n"
        "  - {name: hr, kind: hris_csv, path: drops}\n"
        "  - {name: lrs, kind: xapi_lrs, url: 'https://lrs.example/xapi/', "
        "username_env: TEST_LRS_USER, password_env: TEST_LRS_PASSWORD}\n"
    )
    return path


def _run_child(config: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(config.parent)}
    return subprocess.run([sys.executable, "-c", CHILD, str(config)], capture_output=True, text=True, env=env,
                          cwd=Path(__file__).resolve().parents[3], timeout=120)  # fmt: skip


def test_first_progress_line_comes_before_prefect_is_imported(tmp_path: Path) -> None:
    done = _run_child(_config_file(tmp_path))
    lines = done.stdout.splitlines()
    assert "PREFECT IMPORTED" in lines, done.stdout + done.stderr
    first = lines.index("PREFECT IMPORTED")
    assert first >= 1 and lines[0].startswith("trainops: ") and "starting Prefect" in lines[0]
    assert "environment variable TEST_LRS_USER (option username_env) is not set" in done.stderr


def test_a_bad_path_stops_the_run_before_prefect(tmp_path: Path) -> None:
    done = _run_child(_config_file(tmp_path, reference="missing"))
    assert done.returncode == 2
    assert "PREFECT IMPORTED" not in done.stdout
    assert "reference_dir" in done.stderr and "missing" in done.stderr


def test_missing_credentials_are_named_never_valued(tmp_path: Path) -> None:
    config = parse_config(
        {"home": "home", "reference_dir": ".", "sources": [{"name": "lrs", "kind": "xapi_lrs",
         "url": "https://lrs.example/xapi/", "username_env": "U_ENV", "password_env": "P_ENV"}]},
        tmp_path / "trainops.yaml",
    )  # fmt: skip
    found = preflight.check(config, env={"U_ENV": "s3cret"})
    assert found.problems == []
    assert found.warnings == ["source 'lrs': environment variable P_ENV (option password_env) is not set"]
    assert "s3cret" not in " ".join(found.warnings)
