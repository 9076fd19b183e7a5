"""The real nightly flow on a home whose HR and LMS drops are foreign exports, onboarded with
``mapping:`` only: the demo enterprise's roster rewritten as a Personio-like export (`;`, cp1252,
German headers and status words, dd.mm.yyyy dates, local times) and its LMS export as a
TalentLMS-like one (Title-case verbs, Yes/No, decimal commas, dd.mm.yyyy local times). Its published
marts must equal those of the same enterprise dropped in the canonical layout: the mapping changes
how files are read, never what they mean. Planted bad values stay bad (and are quarantined alike)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from homes import SMALL_AS_OF, comparable_marts

from flows.nightly import nightly_sync
from pipeline.config import load_config
from pipeline.demo_config import DEMO_SOURCES, demo_source_yaml

pytestmark = pytest.mark.e2e

AS_OF = SMALL_AS_OF  # the session's small_night
LONDON = ZoneInfo("Europe/London")
HR_HEADERS = {
    "employee_id": "Personalnummer", "email": "E-Mail", "given_name": "Vorname", "family_name": "Nachname",
    "status": "Status", "hire_date": "Eintrittsdatum", "termination_date": "Austrittsdatum",
    "job_code": "Stellenschlüssel", "job_title": "Position", "department": "Abteilung",
    "cost_center": "Kostenstelle", "country": "Land", "region": "Region", "manager_id": "Vorgesetzter",
    "employment_type": "Beschäftigungsart", "updated_at": "Zuletzt geändert",
}  # fmt: skip
GERMAN_STATUS = {"active": "Aktiv", "leave": "Abwesend", "terminated": "Inaktiv"}
LMS_HEADERS = {
    "record_id": "Attempt ID", "learner_ref": "User", "course_ref": "Course", "verb": "Result",
    "occurred_at": "Date", "success": "Passed", "score_scaled": "Score",
}  # fmt: skip


def german_date(text: str) -> str:
    try:
        return date.fromisoformat(text).strftime("%d.%m.%Y")
    except ValueError:
        return text  # a planted bad value stays bad


def local_time(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.astimezone(LONDON).strftime("%d.%m.%Y %H:%M:%S")


def rewrite(source: Path, target: Path, convert: dict[str, object], headers: dict[str, str], encoding: str) -> set:
    """A canonical CSV -> a foreign one (`;`); returns the distinct values of the status-like column."""
    seen: set[str] = set()
    with open(source, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([headers[name] for name in rows[0]])
    for row in rows:
        values = []
        for name, text in row.items():
            change = convert.get(name)
            if callable(change):
                text = change(text)
            elif isinstance(change, dict):
                seen.add(text)
                text = change.get(text, text.title())
            values.append(text)
        writer.writerow(values)
    target.write_bytes(out.getvalue().encode(encoding))
    return seen


def foreign_home(demo: Path, folder: Path) -> Path:
    hr_dir, lms_dir = folder / "drops" / "personio", folder / "drops" / "talentlms"
    hr_dir.mkdir(parents=True)
    lms_dir.mkdir(parents=True)
    statuses: set[str] = set()
    hr_convert = {"status": GERMAN_STATUS, "hire_date": german_date, "termination_date": german_date,
                  "updated_at": local_time}  # fmt: skip
    for file in sorted((demo / "drops" / "hris").glob("*.csv")):
        statuses |= rewrite(file, hr_dir / file.name, hr_convert, HR_HEADERS, "cp1252")
    verbs: set[str] = set()
    lms_convert = {"verb": {}, "occurred_at": local_time, "success": {"true": "Yes", "false": "No"},
                   "score_scaled": lambda text: text.replace(".", ",")}  # fmt: skip
    for file in sorted((demo / "drops" / "lms").glob("*.csv")):
        verbs |= rewrite(file, lms_dir / file.name, lms_convert, LMS_HEADERS, "utf-8")
    hr_columns = {field: header for field, header in HR_HEADERS.items() if field != "status"}
    hr_columns["status"] = {"column": "Status", "values": {GERMAN_STATUS.get(s, s.title()): s for s in statuses}}
    lms_columns = dict(LMS_HEADERS)
    lms_columns["verb"] = {"column": "Result", "values": {verb.title(): verb for verb in verbs}}
    lms_columns["success"] = {"column": "Passed", "values": {"Yes": "true", "No": "false"}}
    hr = {
        "name": "hr", "kind": "hris_csv", "path": str(hr_dir),
        "mapping": {
            "csv": {"delimiter": ";", "encoding": "cp1252"}, "date_format": "%d.%m.%Y", "timezone": "Europe/London",
            "columns": {**hr_columns, "updated_at": {"column": "Zuletzt geändert", "date_format": "%d.%m.%Y %H:%M:%S"}},
            "snapshot_date": {"file_name": r"employees_(\d{4}-\d{2}-\d{2})\.csv"},
        },
    }  # fmt: skip
    lms = {
        "name": "legacy_lms", "kind": "lms_csv", "path": str(lms_dir),
        "mapping": {
            "csv": {"delimiter": ";"}, "decimal_comma": True, "date_format": "%d.%m.%Y %H:%M:%S",
            "timezone": "Europe/London",  # the export's local times (naive)
            "columns": lms_columns,
        },
    }  # fmt: skip
    others = [
        yaml.safe_load(demo_source_yaml(name, demo / "drops" / folder_name).strip()[2:])
        for name, (_, folder_name) in DEMO_SOURCES.items()
        if name not in ("hr", "legacy_lms")
    ]
    data = {"home": str(folder / "home"), "reference_dir": str(demo / "reference"), "timezone": "Europe/London",
            "sources": [hr, lms, *others]}  # fmt: skip
    path = folder / "trainops.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_foreign_hr_and_lms_drops_publish_the_same_marts(small_demo, small_night, tmp_path) -> None:
    """The canonical layout's night is the session's ``small_night`` (the same drops, read as they are)."""
    foreign_path = foreign_home(small_demo, tmp_path / "foreign")
    foreign = nightly_sync(as_of=AS_OF, config_path=str(foreign_path))

    assert small_night["record"]["status"] == foreign["status"] == "success"
    assert load_config(foreign_path).source("hr").mapping is not None
    expected = comparable_marts(small_night["config"].marts_db)
    assert expected
    assert comparable_marts(load_config(foreign_path).marts_db) == expected
