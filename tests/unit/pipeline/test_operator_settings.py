"""Operator settings of trainops.yaml (pipeline/settings.py): defaults, validation naming the key,
and what reaches dbt (warehouse/dbt.py ``dbt_vars``) and the environment of its build."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.config import ConfigError, parse_config
from pipeline.settings import DEFAULT_CHECKS, schedule_env
from warehouse.check_messages import CheckFinding, Conflicts, explain_checks
from warehouse.dbt import dbt_env, dbt_vars

BASE = {"reference_dir": ".", "timezone": "Europe/Berlin", "sources": [{"name": "hr", "kind": "hris_csv", "path": "."}]}
PATH = Path("/etc/trainops/trainops.yaml")


def config(**settings):
    return parse_config({**BASE, **settings}, PATH, env={})


def test_defaults_reach_dbt_as_today():
    built = dbt_vars(config(), date(2026, 11, 28))
    assert built["due_soon_days"] == 30
    assert (built["compliance_history_start"], built["compliance_history_grain"]) == ("2024-11-01", "month")
    learners = built["cross_system_thresholds"]["learning_record_learner_unknown_to_hr"]
    assert learners == {"warn_above": 0.0, "warn_above_rows": None, "error_above": 0.10, "error_above_rows": 3}
    assert set(built["cross_system_thresholds"]) == set(DEFAULT_CHECKS)


def test_settings_reach_dbt_and_a_named_check_replaces_only_its_own_defaults():
    custom = config(
        due_soon_days=14,
        compliance_history={"months": 3, "grain": "day"},
        checks={"booking_for_unknown_session": {"warn": {"count": 2}, "error": {"rate": 0.5, "count": 10}}},
    )
    built = dbt_vars(custom, date(2026, 11, 28))
    assert built["due_soon_days"] == 14
    assert (built["compliance_history_start"], built["compliance_history_grain"]) == ("2026-08-01", "day")
    thresholds = built["cross_system_thresholds"]
    assert thresholds["booking_for_unknown_session"] == {
        "warn_above": None,
        "warn_above_rows": 2,
        "error_above": 0.5,
        "error_above_rows": 10,
    }
    assert thresholds["employee_manager_missing_from_roster"]["error_above"] == 0.20  # untouched default
    explicit = dbt_vars(config(compliance_history={"start": "2025-02-03"}), date(2026, 11, 28))
    assert explicit["compliance_history_start"] == "2025-02-03"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"checks": {"unknown_check": {}}}, "checks: unknown check 'unknown_check'"),
        ({"checks": {"booking_for_unknown_session": {"warn": {}, "error": {"rate": 0.1}}}},
         "checks.booking_for_unknown_session.warn: expected rate and/or count"),
        ({"checks": {"booking_for_unknown_session": {"warn": {"rate": 0}, "error": {"rate": 2}}}},
         "checks.booking_for_unknown_session.error.rate: expected a number between 0 and 1, got 2"),
        ({"compliance_history": {"grain": "week"}}, "compliance_history.grain"),
        ({"build": {"memory_limit": "lots"}}, "build.memory_limit: expected a size such as 1GB or 512MB, got 'lots'"),
        ({"postgres": {"bi_role": "BI Users"}}, "postgres.bi_role: expected a lowercase role name"),
        ({"schedule": {"cron": "nightly"}}, "schedule.cron: expected a five-field cron expression"),
        ({"schedule": {"timezone": "Mars/Olympus"}}, "schedule.timezone: unknown IANA timezone 'Mars/Olympus'"),
        ({"sources": [{"name": "hr", "kind": "hris_csv", "path": ".", "xapi": {"occurred_at": "stored"}}]},
         "sources[0].xapi: only for kind xapi_files"),
        ({"sources": [{"name": "lrs", "kind": "xapi_files", "path": ".", "xapi": {"occurred_at": "2026-01-01"}}]},
         "sources[0].xapi.occurred_at: expected timestamp, stored or an ISO timestamp with a zone"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_one_line_naming_the_key(settings, message):
    with pytest.raises(ConfigError) as error:
        config(**settings)
    assert str(error.value).startswith(f"{PATH}: {message}")


def test_the_schedule_timezone_defaults_to_the_configs_timezone():
    assert schedule_env(config().schedule, "UTC") == {
        "TRAINOPS_SCHEDULE_CRON": "30 2 * * *",
        "TRAINOPS_SCHEDULE_TIMEZONE": "Europe/Berlin",
    }
    own = config(schedule={"cron": "0 4 * * 1-5", "timezone": "Asia/Tokyo"}).schedule
    assert (own.cron, own.timezone) == ("0 4 * * 1-5", "Asia/Tokyo")


def test_memory_limit_and_bi_role_come_from_the_file_unless_the_environment_says(monkeypatch, tmp_path):
    from warehouse.postgres_target import BI_ROLE_ENV, bi_role

    custom = config(build={"memory_limit": "3GB"}, postgres={"bi_role": "reporting"})
    monkeypatch.delenv("TRAINOPS_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv(BI_ROLE_ENV, raising=False)
    assert dbt_env(custom, tmp_path / "b.duckdb")["TRAINOPS_DUCKDB_MEMORY_LIMIT"] == "3GB"
    assert dbt_env(config(), tmp_path / "b.duckdb")["TRAINOPS_DUCKDB_MEMORY_LIMIT"] == "1GB"
    assert (bi_role(custom), bi_role(config())) == ("reporting", "trainops_bi")
    monkeypatch.setenv("TRAINOPS_DUCKDB_MEMORY_LIMIT", "512MB")
    monkeypatch.setenv(BI_ROLE_ENV, "ci_bi")
    assert dbt_env(custom, tmp_path / "b.duckdb")["TRAINOPS_DUCKDB_MEMORY_LIMIT"] == "512MB"
    assert bi_role(custom) == "ci_bi"


def test_a_failing_check_replaces_dbts_got_n_results_and_a_warning_is_added():
    error = CheckFinding("booking_for_unknown_session", "error", 40, 6, 0.15, 0.05, None, ("S9", "S7", "S1"))
    warn = CheckFinding("employee_manager_missing_from_roster", "warn", 9, 1, 0.1111, 0.0, None, ("E42",))
    failures, warnings = explain_checks(
        ([error, warn], Conflicts(0, ())),
        ["test.trainops.assert_no_cross_system_check_in_error: Got 1 result, configured to fail if != 0"],
        ["test.trainops.assert_no_ambiguous_learner_alias: Got 1 result"],
    )
    assert failures == [
        "cross-system check booking_for_unknown_session error: 6 of 40 rows failing (15.00%), over its error "
        "threshold (rate > 5.00%); first refs: S9, S7, S1, …; to change it, set "
        "checks.booking_for_unknown_session.error in trainops.yaml"
    ]
    assert warnings[0].startswith("test.trainops.assert_no_ambiguous_learner_alias")
    assert warnings[1] == (
        "cross-system check employee_manager_missing_from_roster warn: 1 of 9 rows failing (11.11%), over its "
        "warn threshold (rate > 0.00%); first refs: E42; to change it, set "
        "checks.employee_manager_missing_from_roster.warn in trainops.yaml"
    )


def test_a_check_given_one_level_keeps_the_default_of_the_other():
    custom = config(checks={"learning_record_learner_unknown_to_hr": {"warn": {"rate": 0.2}}})
    learners = custom.checks["learning_record_learner_unknown_to_hr"]
    assert (learners.warn.rate, learners.warn.count) == (0.2, None)
    assert learners.error == DEFAULT_CHECKS["learning_record_learner_unknown_to_hr"].error
    only_error = config(checks={"booking_for_unknown_session": {"error": {"count": 5}}}).checks
    assert only_error["booking_for_unknown_session"].warn == DEFAULT_CHECKS["booking_for_unknown_session"].warn
    assert (
        only_error["booking_for_unknown_session"].error.rate,
        only_error["booking_for_unknown_session"].error.count,
    ) == (None, 5)


def test_the_default_thresholds_agree_with_the_dbt_project_vars():
    import yaml

    project = yaml.safe_load((Path(__file__).parents[3] / "dbt" / "dbt_project.yml").read_text())
    in_dbt = project["vars"]["cross_system_thresholds"]
    in_python = dbt_vars(config(), date(2026, 11, 28))["cross_system_thresholds"]
    assert set(in_dbt) == set(in_python)
    for name, levels in in_python.items():
        assert {key: in_dbt[name].get(key) for key in levels} == levels, name


def test_a_check_query_that_fails_drops_only_its_own_part(tmp_path, caplog):
    import duckdb

    from warehouse.check_messages import read_findings

    build = tmp_path / "build.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create schema marts; create schema staging")  # no restricted.rpt_cross_system_check_refs
        con.execute(
            "create table marts.rpt_cross_system_checks as select 'booking_for_unknown_session' as check_name, "
            "'error' as check_status, 40 as checked_rows, 6 as failing_rows, 0.15 as failing_share, "
            "0.0 as warn_above_share, null::int as warn_above_rows, 0.05 as error_above_share, "
            "null::int as error_above_rows"
        )
        con.execute(
            "create table staging.stg_lms__learning_record_conflicts as select 'R1' as record_id, 'b.json' as "
            "_source_file, 2 as _source_line, 'a.json' as kept_source_file, 1 as kept_source_line, 'L2' as _load_id"
        )
    caplog.set_level("DEBUG", logger="warehouse.check_messages")
    findings, conflicts = read_findings(config(), build)
    assert [(finding.check_name, finding.status, finding.refs) for finding in findings] == [
        ("booking_for_unknown_session", "error", ())
    ]
    assert conflicts.count == 1 and conflicts.first == (("R1", "b.json", 2, "a.json", 1),)
    assert "could not read the cross-system check refs" in caplog.text  # at debug level: a missing table
