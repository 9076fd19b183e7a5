"""Great Expectations suites, one per canonical entity (``connectors/schemas.py``), built in code.

The layers split the work (docs/ARCHITECTURE.md): the parsers reject rows whose required fields are missing or
untypeable, these suites check each landed batch's *contract* (accepted values, plausible values, keys
unique within the load), and dbt tests check relations across entities. A rule lives in one layer.

Every expectation carries ``meta={"severity": ..., "rule": "<entity-short>.<name>"}``:

- ``critical``: blocks the whole run;
- ``error``: row-level; the failing rows are quarantined and kept out of staging, the load proceeds;
- ``warning``: reported (and listed in quarantine with severity ``warning``), the row stays.

Its ``description`` is the one-line message a quarantine row carries. No shipped expectation is
``critical``: every contract rule here concerns single rows, and a row-level rule that fails on most
of a batch already blocks the run through the runner's ``max_error_fraction``.

How the runner (``expectations/runner.py``) presents a batch to these suites: date columns arrive as
UTC-midnight timestamps (so their bounds below are timezone-aware datetimes), strings as Arrow-backed
strings, and the columns of ``DERIVED`` are added first. Only the columns the suite names are converted.

Importing this module is cheap; Great Expectations (≈8 s to import) is imported on the first
``build_suite`` call.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connectors import schemas
from connectors.vocabulary import (
    BOOKING_STATUSES,
    DOCUMENT_TYPES,
    EMPLOYEE_STATUSES,
    INVOICE_CURRENCIES,
    KNOWN_VERBS,
    SESSION_MODALITIES,
    SESSION_STATUSES,
    SEVERITIES,
)

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd

# Telemetry off before Great Expectations is first imported (lazily, below and in runner.py).
os.environ["GX_ANALYTICS_ENABLED"] = "false"

# Short entity names: the prefix of every rule name.
SHORT_NAMES: dict[str, str] = {
    "hris.employee": "employee",
    "lms.learning_record": "learning_record",
    "lms.session": "session",
    "lms.booking": "booking",
    "vendor.invoice": "invoice",
    "vendor.invoice_line": "invoice_line",
}

EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
EARLIEST_HIRE = datetime(1900, 1, 1, tzinfo=UTC)
EARLIEST_LEARNING = datetime(1990, 1, 1, tzinfo=UTC)  # older ones are zero-value dates (1970-01-01)
FUTURE_TOLERANCE = timedelta(days=1)  # clock skew and a local time stamped as UTC, not more
MAX_CAPACITY = 100_000

# Suite parameters (GX `{"$PARAMETER": name}`), filled in by the runner at validation time.
LATEST_PLAUSIBLE_AT = "latest_plausible_at"


def suite_parameters(now: datetime) -> dict[str, Any]:
    """The values of the suites' parameters for a validation run at ``now`` (UTC)."""
    return {LATEST_PLAUSIBLE_AT: now.astimezone(UTC) + FUTURE_TOLERANCE}


HELPER_PREFIX = "_gx_"  # derived columns: never reported as a quarantine row's column


@dataclass(frozen=True)
class DerivedColumn:
    """A column computed from a batch's frame before validation, for rules GX cannot state directly
    (a bound that depends on another column of the row)."""

    name: str
    inputs: tuple[str, ...]
    compute: Callable[[pd.DataFrame], pd.Series]


def _hire_date_limit(frame: pd.DataFrame) -> pd.Series:
    import pandas as pd

    return frame["snapshot_date"] + pd.DateOffset(years=1)


DERIVED: dict[str, tuple[DerivedColumn, ...]] = {
    "hris.employee": (DerivedColumn(f"{HELPER_PREFIX}hire_date_limit", ("snapshot_date",), _hire_date_limit),),
}


@dataclass(frozen=True)
class _Rules:
    """The expectation builders of one entity's suite: each names its rule ``<entity-short>.<name>``
    and sets its severity."""

    entity: str

    def meta(self, severity: str, name: str) -> dict[str, str]:
        if severity not in SEVERITIES:
            raise ValueError(f"severity {severity!r} is not one of {SEVERITIES}")
        return {"severity": severity, "rule": f"{SHORT_NAMES[self.entity]}.{name}"}

    def unique_key(self) -> gx.expectations.Expectation:
        """Rows sharing a natural key within one file (docs/data-model.md): every copy is
        quarantined, since which one is right cannot be told here."""
        import great_expectations as gx

        # Unique within one source file: a load may batch several files, and a later file (say, the
        # next bookings export) legitimately restates a key; staging keeps the last one.
        key = schemas.KEYS[self.entity]
        return gx.expectations.ExpectCompoundColumnsToBeUnique(
            column_list=["_source_file", *key],
            meta=self.meta("error", "key_unique"),
            description=f"the key ({', '.join(key)}) is not unique within its file",
        )

    def in_set(
        self,
        column: str,
        values: tuple[str, ...] | frozenset[str],
        name: str,
        *,
        severity: str = "error",
        description: str | None = None,
    ) -> gx.expectations.Expectation:
        import great_expectations as gx

        return gx.expectations.ExpectColumnValuesToBeInSet(
            column=column,
            value_set=sorted(values),
            meta=self.meta(severity, name),
            description=description or f"{column} is not one of {', '.join(values)}",
        )

    def between(self, column: str, name: str, description: str, **bounds: Any) -> gx.expectations.Expectation:
        import great_expectations as gx

        return gx.expectations.ExpectColumnValuesToBeBetween(
            column=column, meta=self.meta("error", name), description=description, **bounds
        )

    def not_before(
        self, column_a: str, column_b: str, name: str, description: str | None = None
    ) -> gx.expectations.Expectation:
        """``column_a`` >= ``column_b`` where both are set."""
        import great_expectations as gx

        return gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=column_a,
            column_B=column_b,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=self.meta("error", name),
            description=description or f"{column_a} is before {column_b}",
        )


def _employee(rules: _Rules) -> list[gx.expectations.Expectation]:
    import great_expectations as gx

    return [
        rules.in_set("status", EMPLOYEE_STATUSES, "status_accepted"),
        gx.expectations.ExpectColumnValuesToMatchRegex(
            column="email",
            regex=EMAIL_REGEX,
            # A warning, not an error: the employee still exists and still owes training; the
            # address only fails to match learners, which dbt reports as unresolved.
            meta=rules.meta("warning", "email_format"),
            description="email does not look like an email address",
        ),
        rules.between("hire_date", "hire_date_not_before_1900", "hire_date is before 1900", min_value=EARLIEST_HIRE),
        rules.not_before(
            f"{HELPER_PREFIX}hire_date_limit",
            "hire_date",
            "hire_date_within_year_of_snapshot",
            "hire_date is more than a year after the snapshot date",
        ),
        rules.not_before("termination_date", "hire_date", "termination_not_before_hire"),
    ]


def _learning_record(rules: _Rules) -> list[gx.expectations.Expectation]:
    return [
        rules.in_set(
            "verb", KNOWN_VERBS, "verb_known", severity="warning", description="verb is not a known xAPI/cmi5 verb"
        ),
        rules.between("score_scaled", "score_scaled_range", "score_scaled is outside -1..1", min_value=-1, max_value=1),
        rules.between(
            "occurred_at",
            "occurred_at_plausible",
            "occurred_at is in the future or before 1990",
            min_value=EARLIEST_LEARNING,
            max_value={"$PARAMETER": LATEST_PLAUSIBLE_AT},
        ),
    ]


def _session(rules: _Rules) -> list[gx.expectations.Expectation]:
    return [
        rules.in_set("modality", SESSION_MODALITIES, "modality_accepted"),
        rules.in_set("status", SESSION_STATUSES, "status_accepted"),
        rules.between(
            "capacity",
            "capacity_range",
            f"capacity is not between 1 and {MAX_CAPACITY - 1}",
            min_value=0,
            max_value=MAX_CAPACITY,
            strict_min=True,
            strict_max=True,
        ),
        rules.not_before("ends_at", "starts_at", "ends_not_before_start"),
    ]


def _booking(rules: _Rules) -> list[gx.expectations.Expectation]:
    return [rules.in_set("status", BOOKING_STATUSES, "status_accepted")]


def _invoice(rules: _Rules) -> list[gx.expectations.Expectation]:
    return [
        rules.in_set("document_type", DOCUMENT_TYPES, "document_type_accepted"),
        rules.in_set(
            "currency",
            INVOICE_CURRENCIES,
            "currency_iso4217",
            description="currency is not an active ISO 4217 code (3 upper-case letters)",
        ),
        rules.not_before("period_end", "period_start", "period_end_not_before_start"),
    ]


def _invoice_line(rules: _Rules) -> list[gx.expectations.Expectation]:
    return [rules.not_before("period_end", "period_start", "period_end_not_before_start")]


# Each entity's contract rules, after the natural key (which every suite checks first).
_SUITES: dict[str, Callable[[_Rules], list[gx.expectations.Expectation]]] = {
    "hris.employee": _employee,
    "lms.learning_record": _learning_record,
    "lms.session": _session,
    "lms.booking": _booking,
    "vendor.invoice": _invoice,
    "vendor.invoice_line": _invoice_line,
}


def _expectations(entity: str) -> list[gx.expectations.Expectation]:
    if entity not in _SUITES:
        raise KeyError(f"no expectation suite for entity {entity!r}")
    rules = _Rules(entity)
    return [rules.unique_key(), *_SUITES[entity](rules)]


def build_suite(entity: str) -> gx.ExpectationSuite:
    """A fresh suite for ``entity`` (not attached to any data context)."""
    import great_expectations as gx

    if entity not in schemas.ENTITIES:
        raise KeyError(f"unknown entity {entity!r}; known: {', '.join(schemas.ENTITIES)}")
    return gx.ExpectationSuite(name=entity, expectations=_expectations(entity))


def expectation_columns(expectation: gx.expectations.Expectation) -> list[str]:
    """The columns an expectation reads, in order (derived helper columns included)."""
    kwargs = expectation.configuration.kwargs
    if "column" in kwargs:
        return [kwargs["column"]]
    if "column_A" in kwargs:
        return [kwargs["column_A"], kwargs["column_B"]]
    return list(kwargs.get("column_list") or [])
