"""A home onboarding a foreign HR export (Personio-like, cp1252, `;`) and a foreign LMS export
(TalentLMS-like, Pass/Fail, day-first dates) with configuration only: the nightly extract lands the
canonical rows, and validation quarantines the row whose status word the mapping lacks, with its
rule, file and line."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from connectors import landing
from pipeline.config import parse_config
from pipeline.quarantine import list_quarantine
from pipeline.steps import extract_source, validate_pending

pytestmark = pytest.mark.integration

FOREIGN = Path(__file__).resolve().parents[1] / "fixtures" / "foreign"
PERSONIO = "Personio_Export_Mitarbeiter_2026-10-28.csv"


def test_foreign_hr_and_lms_exports_land_as_canonical_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    (tmp_path / "hr").mkdir()
    (tmp_path / "lms").mkdir()
    text = (FOREIGN / "hris" / PERSONIO).read_bytes()
    retired = (
        "1005;Karl;Brandt;karl.brandt@example.de;Ruhestand;01.04.1990;;Meister;Produktion;4200;München;;Vollzeit\r\n"
    )
    (tmp_path / "hr" / PERSONIO).write_bytes(text + retired.encode("cp1252"))
    shutil.copy(FOREIGN / "lms" / "talentlms_test_results.csv", tmp_path / "lms")

    foreign = yaml.safe_load((FOREIGN / "trainops.yaml").read_text(encoding="utf-8"))
    sources = {source["name"]: source for source in foreign["sources"]}
    data = {
        "home": "./home",
        "reference_dir": ".",
        "timezone": "Europe/London",
        "sources": [
            {**sources["hr_personio"], "name": "hr", "path": "./hr"},
            {**sources["lms_talentlms"], "name": "lms", "path": "./lms"},
        ],
    }
    config = parse_config(data, tmp_path / "trainops.yaml", env={})
    hr = extract_source(config, config.source("hr"))
    lms = extract_source(config, config.source("lms"))
    assert (hr.files, hr.rows, hr.rejects) == (1, {"hris.employee": 4}, 1)
    assert (lms.files, lms.rows, lms.rejects) == (1, {"lms.learning_record": 3}, 0)

    [hr_load] = landing.list_loads(config.home, "hr")
    employees = landing.read_entity(hr_load, "hris.employee").to_pylist()
    assert [(e["employee_id"], e["family_name"], e["status"], e["hire_date"]) for e in employees] == [
        ("1001", "Müller", "active", date(2019, 3, 1)),
        ("1002", "Weiß", "active", date(2021, 8, 15)),
        ("1003", "Schäfer", "terminated", date(2018, 1, 2)),
        ("1004", "Groß", "leave", date(2022, 11, 11)),
    ]
    assert {e["snapshot_date"] for e in employees} == {date(2026, 10, 28)}
    [lms_load] = landing.list_loads(config.home, "lms")
    records = landing.read_entity(lms_load, "lms.learning_record").to_pylist()
    assert [(r["learner_ref"], r["verb"], r["success"], r["occurred_at"]) for r in records] == [
        ("juergen.mueller@example.de", "passed", True, datetime(2026, 10, 15, 13, 32, tzinfo=UTC)),
        ("zoe.weiss@example.de", "failed", False, datetime(2026, 10, 16, 8, 5, tzinfo=UTC)),
        ("anna.gross@example.de", "passed", True, datetime(2026, 11, 1, 8, 15, tzinfo=UTC)),
    ]

    validate_pending(config)
    [finding] = list_quarantine(config.home, rule="mapping.unmapped_value")
    assert (finding["_source"], finding["_source_file"], finding["_source_line"]) == ("hr", PERSONIO, 6)
    assert finding["value"] == "Ruhestand"
