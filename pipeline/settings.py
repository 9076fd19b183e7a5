"""Operator settings of ``trainops.yaml`` (README "Configuration reference"): cross-system check
thresholds, the compliance history window, the DuckDB build's memory limit, the BI role of the
Postgres target and the nightly schedule. Each has a default, so a file without them behaves as
documented; ``dbt_settings_vars`` is the one place the check thresholds become dbt vars.

A cross-system check (``rpt_cross_system_checks``) reaches a level (``warn``, ``error``) when its
failing rows exceed **every** bound given for that level: a ``rate`` (failing ÷ checked rows) and/or
a ``count`` (failing rows). With both, a small company is not blocked by one unknown contractor (1 of
9 is 11 %, but not more than 3 rows) and a big one is not blocked by a handful of stray rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, field_validator, model_validator

from connectors.options import StrictModel, WholeNumber, invalid, number, shown

_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
Rate = Annotated[float, BeforeValidator(number(0.0, maximum=1.0))]

# The checks rpt_cross_system_checks computes (dbt/models/marts/quality/rpt_cross_system_checks.sql).
CHECK_NAMES = (
    "learning_record_learner_unknown_to_hr",
    "booking_for_unknown_session",
    "invoice_line_for_unknown_session_or_course",
    "employee_manager_missing_from_roster",
)
DEFAULT_BI_ROLE = "trainops_bi"  # postgres.bi_role when the file does not set it
CHECKS_KEY = "checks"  # the trainops.yaml key a failing check's message names


class CheckLimit(StrictModel):
    """One level of a check: reached when the failing rows exceed every bound given."""

    rate: Rate | None = None  # share of checked rows, 0..1
    count: WholeNumber | None = None  # failing rows

    @model_validator(mode="after")
    def _some_bound(self) -> Self:
        if self.rate is None and self.count is None:
            raise invalid("expected rate and/or count")
        return self

    def describe(self) -> str:
        parts = ([f"rate > {self.rate:.2%}"] if self.rate is not None else []) + (
            [f"count > {self.count}"] if self.count is not None else []
        )
        return " and ".join(parts)


class CheckThresholds(StrictModel):
    """``checks.<name>``: when the check warns and when it fails the build (a level the file does
    not give keeps its default, ``_checks``)."""

    warn: CheckLimit
    error: CheckLimit


def _limits(warn: float, error: float, error_count: int | None = None) -> CheckThresholds:
    return CheckThresholds(warn=CheckLimit(rate=warn), error=CheckLimit(rate=error, count=error_count))


# Defaults: every check warns on any failing row; errors above a rate — and, for learners, above 3
# rows too (one contractor in a 9-person company warns, it does not stop the night).
DEFAULT_CHECKS: dict[str, CheckThresholds] = {
    "learning_record_learner_unknown_to_hr": _limits(0, 0.10, 3),
    "booking_for_unknown_session": _limits(0, 0.05),
    "invoice_line_for_unknown_session_or_course": _limits(0, 0.10),
    "employee_manager_missing_from_roster": _limits(0, 0.20),
}


def _checks(value: Any) -> Any:
    """Merge the file's checks over the defaults, per level: a check not named keeps its default, and
    a named check keeps the default of a level (``warn`` or ``error``) it does not give; a level given
    replaces that level's default bounds whole."""
    if value is None:
        return dict(DEFAULT_CHECKS)
    if not isinstance(value, Mapping):
        raise invalid(f"expected a mapping of check names ({', '.join(CHECK_NAMES)}) to warn / error")
    for name in value:
        if name not in CHECK_NAMES:
            raise invalid(f"unknown check {shown(name)} (known: {', '.join(CHECK_NAMES)})")
    merged: dict[str, Any] = dict(DEFAULT_CHECKS)
    for name, levels in value.items():
        merged[name] = {**DEFAULT_CHECKS[name].model_dump(), **levels} if isinstance(levels, Mapping) else levels
    return merged


Checks = Annotated[dict[str, CheckThresholds], BeforeValidator(_checks)]


class ComplianceHistory(StrictModel):
    """``compliance_history:`` — the dates fct_compliance_history is computed for
    (pipeline/compliance_window.py): from ``start`` if given, else ``months`` back; ``grain``
    ``month`` (month-ends plus the as-of date) or ``day``."""

    months: WholeNumber = 24
    start: date | None = None
    grain: Literal["month", "day"] = "month"


class BuildSettings(StrictModel):
    """``build:`` — the DuckDB build (dbt profile ``duckdb``)."""

    # DuckDB's memory_limit for the build; above it DuckDB spills to disk (README "Memory and the dbt build")
    memory_limit: str = "1GB"

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, value: str) -> str:
        if not _SIZE.match(value):
            raise invalid(f"expected a size such as 1GB or 512MB, got {shown(value)}")
        return value.replace(" ", "")


class PostgresSettings(StrictModel):
    """``postgres:`` — the Postgres target (warehouse/postgres_target.py)."""

    bi_role: str = DEFAULT_BI_ROLE  # the role granted read access to the published marts

    @field_validator("bi_role")
    @classmethod
    def _role(cls, value: str) -> str:
        if not _ROLE.match(value):
            raise invalid(f"expected a lowercase role name such as trainops_bi, got {shown(value)}")
        return value


class Schedule(StrictModel):
    """``schedule:`` — when the nightly-sync deployment runs (``trainops deploy``, prefect.yaml)."""

    cron: str = "30 2 * * *"
    timezone: str | None = None  # default: the config's ``timezone``

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        try:
            return value if value is None else ZoneInfo(value).key
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid(f"unknown IANA timezone {shown(value)} (e.g. Europe/London)") from None

    @model_validator(mode="after")
    def _cron(self) -> Self:
        if len(self.cron.split()) != 5:
            message = f"expected a five-field cron expression such as '30 2 * * *', got {shown(self.cron)}"
            raise invalid(message, field="cron")
        return self


SCHEDULE_ENV = ("TRAINOPS_SCHEDULE_CRON", "TRAINOPS_SCHEDULE_TIMEZONE")  # what prefect.yaml reads


def schedule_env(schedule: Schedule, timezone: str) -> dict[str, str]:
    """The nightly schedule as the environment ``prefect deploy`` templates prefect.yaml with."""
    return dict(zip(SCHEDULE_ENV, (schedule.cron, schedule.timezone or timezone), strict=True))


def dbt_settings_vars(checks: Mapping[str, CheckThresholds]) -> dict[str, Any]:
    """The check thresholds as the dbt var ``cross_system_thresholds`` (rate and count per level;
    an absent bound is null, i.e. not a condition)."""
    return {
        "cross_system_thresholds": {
            name: {
                "warn_above": limits.warn.rate,
                "warn_above_rows": limits.warn.count,
                "error_above": limits.error.rate,
                "error_above_rows": limits.error.count,
            }
            for name, limits in checks.items()
        }
    }


class XapiFileSettings(StrictModel):
    """``xapi:`` of an ``xapi_files`` source (connectors/lms/xapi_files.py)."""

    # where occurred_at comes from: `timestamp` (else stored), `stored`, or an ISO timestamp with a
    # zone used when a statement has no timestamp (some LMS log exports omit it); said in
    # occurred_at_from
    occurred_at: str = "timestamp"

    @field_validator("occurred_at")
    @classmethod
    def _occurred_at(cls, value: str) -> str:
        if value in ("timestamp", "stored"):
            return value
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise invalid(f"expected timestamp, stored or an ISO timestamp with a zone, got {shown(value)}")
        return value
