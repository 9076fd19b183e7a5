"""Config-time checks of a source's ``mapping:``: one line naming ``sources[n].mapping...``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline.config import ConfigError, parse_config

HR_COLUMNS = {
    "employee_id": "Personalnummer",
    "email": "E-Mail",
    "status": {"column": "Status", "values": {"Aktiv": "active"}},
    "hire_date": "Eintrittsdatum",
}


def load(tmp_path: Path, mapping: dict[str, Any], kind: str = "hris_csv", timezone: str = "Europe/Berlin") -> Any:
    data = {
        "home": str(tmp_path / "home"),
        "reference_dir": str(tmp_path),
        "timezone": timezone,
        "sources": [
            {"name": "legacy", "kind": "lms_csv", "path": str(tmp_path)},
            {"name": "hr", "kind": kind, "path": str(tmp_path), "mapping": mapping},
        ],
    }
    return parse_config(data, tmp_path / "trainops.yaml", env={})


def error_of(tmp_path: Path, mapping: dict[str, Any], kind: str = "hris_csv") -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, mapping, kind)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_valid_mapping_loads_and_never_takes_the_configs_timezone(tmp_path: Path) -> None:
    config = load(tmp_path, {"columns": HR_COLUMNS, "snapshot_date": {"delivery_time": True}})
    mapping = config.source("hr").mapping
    assert mapping.timezone is None  # naive timestamps: assume_timezone or rejects, never the business zone
    assert mapping.columns["employee_id"].column == "Personalnummer"
    assert mapping.columns["status"].values == {"aktiv": "active"}  # keys are matched case-insensitively
    assert config.source("legacy").mapping is None


def test_an_unknown_canonical_field_is_named_with_the_valid_ones(tmp_path: Path) -> None:
    message = error_of(tmp_path, {"columns": {**HR_COLUMNS, "hire_dte": "x"}, "snapshot_date": {"delivery_time": True}})
    assert "sources[1].mapping.columns.hire_dte" in message
    assert "'hire_dte' is not a field of hris_csv" in message and "hire_date" in message


def test_a_required_field_left_unmapped(tmp_path: Path) -> None:
    columns = {key: value for key, value in HR_COLUMNS.items() if key != "email"}
    message = error_of(tmp_path, {"columns": columns, "snapshot_date": {"delivery_time": True}})
    assert "sources[1].mapping.columns" in message and "not mapped: email" in message


def test_a_roster_needs_a_snapshot_date(tmp_path: Path) -> None:
    message = error_of(tmp_path, {"columns": HR_COLUMNS})
    assert "snapshot_date" in message and "mapping.snapshot_date" in message


SNAPSHOT_NAME = "sources[1].mapping.snapshot_date.file_name"


@pytest.mark.parametrize(
    ("mapping", "key", "words"),
    [
        ({"snapshot_date": {"file_name": "(\\d{4"}}, SNAPSHOT_NAME, "not a valid regular"),
        ({"snapshot_date": {"file_name": "\\d{4}"}}, SNAPSHOT_NAME, "needs a group"),
        ({"date_format": "dd.mm.yyyy"}, "sources[1].mapping.date_format", "strptime format"),
        ({"timezone": "Mars/Olympus"}, "sources[1].mapping.timezone", "unknown IANA timezone"),
        ({"csv": {"encoding": "klingon"}}, "sources[1].mapping.csv.encoding", "unknown text encoding"),
        ({"csv": {"delimiter": ";;"}}, "sources[1].mapping.csv.delimiter", "one character"),
        ({"format": "json", "records": "data[*"}, "sources[1].mapping.records", "not a valid JMESPath"),
        ({"records": "data[*]"}, "sources[1].mapping", "only for format json"),
        ({"delimiter": ";"}, "sources[1].mapping", "delimiter"),
    ],
)
def test_bad_keys_name_their_key(tmp_path: Path, mapping: dict[str, Any], key: str, words: str) -> None:
    full = {"columns": HR_COLUMNS, "snapshot_date": {"delivery_time": True}, **mapping}
    message = error_of(tmp_path, full)
    assert key in message and words in message


def test_a_rule_takes_exactly_one_origin(tmp_path: Path) -> None:
    columns = {**HR_COLUMNS, "country": {"column": "Land", "const": "DE"}}
    message = error_of(tmp_path, {"columns": columns, "snapshot_date": {"delivery_time": True}})
    assert "sources[1].mapping.columns.country" in message and "exactly one of column, path, const or join" in message


def test_a_date_format_on_a_text_field(tmp_path: Path) -> None:
    columns = {**HR_COLUMNS, "department": {"column": "Abteilung", "date_format": "%d.%m.%Y"}}
    message = error_of(tmp_path, {"columns": columns, "snapshot_date": {"delivery_time": True}})
    assert "sources[1].mapping.columns.department" in message and "not a date" in message


def test_a_kind_without_mappings(tmp_path: Path) -> None:
    message = error_of(tmp_path, {"columns": {"x": "y"}}, kind="xapi_files")
    assert "sources[1].mapping" in message and "takes no mapping" in message


def test_a_mapping_timezone_and_a_different_assume_timezone_are_refused(tmp_path: Path) -> None:
    def with_zones(mapping_zone: str, assumed: str) -> Any:
        source = {"name": "s", "kind": "sessions_csv", "path": str(tmp_path), "assume_timezone": assumed}
        source["mapping"] = {
            "columns": {"session_id": "Id", "course_ref": "C", "starts_at": "S", "modality": "M", "capacity": "N"}
        }
        source["mapping"]["timezone"] = mapping_zone
        data = {"home": str(tmp_path / "home"), "reference_dir": str(tmp_path), "sources": [source]}
        return parse_config(data, tmp_path / "trainops.yaml", env={})

    assert with_zones("Europe/Rome", "Europe/Rome").sources[0].mapping.timezone == "Europe/Rome"
    with pytest.raises(ConfigError) as caught:
        with_zones("Europe/Rome", "UTC")
    message = str(caught.value)
    assert "\n" not in message and "sources[0].mapping.timezone" in message and "assume_timezone" in message
