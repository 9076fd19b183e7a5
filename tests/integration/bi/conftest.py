"""One small generated enterprise, run through the nightly flow once, for the BI-facing tests
(dashboard in a browser, metric definitions, BI reflection). Its reference data carries markup in a
course title and a vendor name: the dashboard must show them as text."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from demo import generate
from flows.nightly import nightly_sync
from pipeline.config import Config, load_config
from pipeline.demo_config import write_demo_config

AS_OF = date(2026, 11, 28)
COURSE_TITLE = "<script>alert(1)</script>"
VENDOR_NAME = "<img src=x onerror=alert(2)> Brightpath"


def _rename(path: Path, key: str, column: str, value: str) -> None:
    """Set one row's column (the first row whose first column is ``key``) of a reference CSV."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    next(row for row in rows if row[fields[0]] == key)[column] = value
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="session")
def published(tmp_path_factory, prefect_harness) -> Config:
    root = tmp_path_factory.mktemp("bi")
    demo = root / "demo"
    generate(demo, as_of=AS_OF, seed=5, employees=80, months=6, vendors=4)
    reference = demo / "reference"
    _rename(reference / "courses.csv", _courses_with_sessions(demo)[0], "title", COURSE_TITLE)
    _rename(reference / "vendors.csv", "V01", "name", VENDOR_NAME)
    config_path = write_demo_config(demo, home=root / "home")
    record = nightly_sync(as_of=AS_OF, config_path=str(config_path))
    assert record["status"] == "success", record.get("error")
    return load_config(config_path)


def _courses_with_sessions(demo: Path) -> list[str]:
    """Instructor-led courses the demo's session drops schedule."""
    with (demo / "reference" / "courses.csv").open(newline="") as handle:
        courses = [row["course_ref"] for row in csv.DictReader(handle) if row["modality"] != "self_paced"]
    scheduled = "\n".join(path.read_text() for path in (demo / "drops" / "sessions").iterdir() if path.is_file())
    return [course for course in courses if course in scheduled]
