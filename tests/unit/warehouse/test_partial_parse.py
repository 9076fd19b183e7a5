"""dbt parses the project partially from one night to the next: the values that change every night
(the as-of date, the compliance history window, an incremental night's new loads, a noop night's
new_dates_only) are run parameters
in the environment, not --vars (warehouse/dbt.py ``RUN_PARAMS``), the build file's path stays the same,
and the parsed project is kept between runs. Real ``dbt parse`` runs, as a build invokes dbt."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Config, parse_config
from warehouse import dbt

FULL_PARSE = "Unable to do partial parsing"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "reference").mkdir()
    (tmp_path / "drops").mkdir()
    data = {"home": "home", "reference_dir": "reference",
            "sources": [{"name": "lrs", "kind": "xapi_files", "path": "drops"}]}  # fmt: skip
    config = parse_config(data, tmp_path / "trainops.yaml")
    config.warehouse.mkdir(parents=True)
    return config


def _parse(config: Config, run_id: str, build_vars: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``dbt parse`` as a build runs dbt: its debug log and the parsed stg_lms__learning_records."""
    target = config.warehouse / "dbt" / run_id
    command, env = dbt.dbt_command(config, "parse", target, build_vars)
    process = subprocess.run([*command, "--log-level-file", "debug"], env=env, capture_output=True, text=True)
    assert process.returncode == 0, process.stdout[-3000:]
    dbt.keep_parsed_project(config, target)
    manifest = json.loads((target / "manifest.json").read_text())
    return (target / "dbt.log").read_text(), manifest["nodes"]["model.trainops.stg_lms__learning_records"]


def test_a_new_as_of_date_keeps_partial_parsing_and_a_changed_rule_var_does_not(config: Config) -> None:
    first, _ = _parse(config, "r1", dbt.dbt_vars(config, date(2026, 11, 30)))
    assert f"{FULL_PARSE} because saved manifest not found" in first
    assert dbt.partial_parse_file(config).exists()

    next_night, staged = _parse(config, "r2", dbt.dbt_vars(config, date(2026, 12, 1)))
    assert FULL_PARSE not in next_night
    assert "Partial parsing enabled" in next_night
    assert staged["config"]["materialized"] == "incremental"  # on DuckDB (dbt/macros/incremental.sql)

    incremental_night = _parse(config, "r3", {**dbt.dbt_vars(config, date(2026, 12, 2)), "new_loads": ["l1", "l2"]})[0]
    assert FULL_PARSE not in incremental_night and "Partial parsing enabled" in incremental_night

    noop_night = _parse(config, "r3b", {**dbt.dbt_vars(config, date(2026, 12, 3)), "new_dates_only": True})[0]
    assert FULL_PARSE not in noop_night and "Partial parsing enabled" in noop_night

    changed_rule = _parse(config, "r4", {**dbt.dbt_vars(config, date(2026, 12, 2)), "due_soon_days": 14})[0]
    assert f"{FULL_PARSE} because config vars, config profile, or config target have changed" in changed_rule


def test_run_parameters_go_to_the_environment_and_the_rest_stay_vars(config: Config) -> None:
    build_vars = dbt.dbt_vars(config, date(2026, 11, 30))
    arguments, env = dbt.dbt_arguments(build_vars)
    passed = json.loads(arguments[1])
    assert arguments[0] == "--vars" and not set(passed) & set(dbt.RUN_PARAMS)
    assert passed["due_soon_days"] == build_vars["due_soon_days"]
    assert env["TRAINOPS_PARAM_AS_OF"] == "2026-11-30"
    assert "TRAINOPS_PARAM_NEW_DATES_ONLY" not in env  # set on a noop night only
    assert dbt.dbt_arguments({**build_vars, "new_dates_only": True})[1]["TRAINOPS_PARAM_NEW_DATES_ONLY"] == "true"
    assert env["TRAINOPS_PARAM_COMPLIANCE_HISTORY_START"] == build_vars["compliance_history_start"]
    assert env["TRAINOPS_PARAM_COMPLIANCE_HISTORY_GRAIN"] == build_vars["compliance_history_grain"]
