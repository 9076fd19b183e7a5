"""Great Expectations suites, one per canonical entity (``connectors/schemas.py``), built in code.

The layers split the work (STYLE.md): the parsers reject rows whose required fields are missing or
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

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd

# Telemetry off before Great Expectations is first imported (lazily, below and in runner.py).
os.environ["GX_ANALYTICS_ENABLED"] = "false"

SEVERITIES = ("critical", "error", "warning")

# Short entity names: the prefix of every rule name.
SHORT_NAMES: dict[str, str] = {
    "hris.employee": "employee",
    "lms.learning_record": "learning_record",
    "lms.session": "session",
    "lms.booking": "booking",
    "vendor.invoice": "invoice",
    "vendor.invoice_line": "invoice_line",
}

EMPLOYEE_STATUSES = ("active", "leave", "terminated")
SESSION_MODALITIES = ("ilt", "vilt", "self_paced")
SESSION_STATUSES = ("scheduled", "delivered", "cancelled_by_vendor", "cancelled_by_client")
BOOKING_STATUSES = ("booked", "attended", "no_show", "cancelled")
DOCUMENT_TYPES = ("invoice", "credit_note")

# xAPI verbs as canonical short names: the ADL vocabulary (adlnet.gov/expapi/verbs), the cmi5 verbs,
# and what LMS exports use. An unknown verb is a warning: the record stays, and a verb that counts
# for compliance (completed/passed) is always in the list.
KNOWN_VERBS = (
    # cmi5 "defined" verbs
    "launched",
    "initialized",
    "completed",
    "passed",
    "failed",
    "abandoned",
    "waived",
    "terminated",
    "satisfied",
    # ADL vocabulary
    "answered",
    "asked",
    "attempted",
    "attended",
    "commented",
    "exited",
    "experienced",
    "imported",
    "interacted",
    "mastered",
    "preferred",
    "progressed",
    "registered",
    "responded",
    "resumed",
    "scored",
    "shared",
    "suspended",
    "voided",
    # LMS exports
    "unregistered",
    "enrolled",
    "viewed",
)

# ISO 4217 List One: the active alphabetic codes (currencies, funds and the X-codes), 2025 edition
# (XCG replaced ANG, ZWG replaced ZWL, SLE replaced SLL, VED is Venezuela's digital bolívar).
ISO_4217_ACTIVE: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN
    BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH
    UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD
    XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 — a table of codes reads better than 180 quoted strings
)
# What an invoice may be in: the list without the testing and "no currency" codes.
INVOICE_CURRENCIES: frozenset[str] = ISO_4217_ACTIVE - {"XTS", "XXX"}

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


def _meta(entity: str, severity: str, name: str) -> dict[str, str]:
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity!r} is not one of {SEVERITIES}")
    return {"severity": severity, "rule": f"{SHORT_NAMES[entity]}.{name}"}


def _unique_key(entity: str) -> gx.expectations.Expectation:
    """Rows sharing a natural key within one load (docs/data-model.md): every copy is quarantined, since which
    one is right cannot be told here."""
    import great_expectations as gx

    # Unique within one source file: a load may batch several files, and a later file (say, the next
    # bookings export) legitimately restates a key; staging keeps the last one.
    key = schemas.KEYS[entity]
    meta = _meta(entity, "error", "key_unique")
    description = f"the key ({', '.join(key)}) is not unique within its file"
    column_list = ["_source_file", *key]
    return gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=column_list, meta=meta, description=description)


def _expectations(entity: str) -> list[gx.expectations.Expectation]:
    import great_expectations as gx

    E = gx.expectations

    def m(severity: str, name: str) -> dict[str, str]:
        return _meta(entity, severity, name)

    def in_set(
        column: str,
        values: tuple[str, ...] | frozenset[str],
        name: str,
        *,
        severity: str = "error",
        description: str | None = None,
    ) -> gx.expectations.Expectation:
        return E.ExpectColumnValuesToBeInSet(
            column=column,
            value_set=sorted(values),
            meta=m(severity, name),
            description=description or f"{column} is not one of {', '.join(values)}",
        )

    def not_before(column_a: str, column_b: str, name: str) -> gx.expectations.Expectation:
        return E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=column_a,
            column_B=column_b,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=m("error", name),
            description=f"{column_a} is before {column_b}",
        )

    if entity == "hris.employee":
        return [
            _unique_key(entity),
            in_set("status", EMPLOYEE_STATUSES, "status_accepted"),
            E.ExpectColumnValuesToMatchRegex(
                column="email",
                regex=EMAIL_REGEX,
                # A warning, not an error: the employee still exists and still owes training; the
                # address only fails to match learners, which dbt reports as unresolved.
                meta=m("warning", "email_format"),
                description="email does not look like an email address",
            ),
            E.ExpectColumnValuesToBeBetween(
                column="hire_date",
                min_value=EARLIEST_HIRE,
                meta=m("error", "hire_date_not_before_1900"),
                description="hire_date is before 1900",
            ),
            E.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=f"{HELPER_PREFIX}hire_date_limit",
                column_B="hire_date",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                meta=m("error", "hire_date_within_year_of_snapshot"),
                description="hire_date is more than a year after the snapshot date",
            ),
            not_before("termination_date", "hire_date", "termination_not_before_hire"),
        ]
    if entity == "lms.learning_record":
        return [
            _unique_key(entity),
            in_set(
                "verb",
                KNOWN_VERBS,
                "verb_known",
                severity="warning",
                description="verb is not a known xAPI/cmi5 verb",
            ),
            E.ExpectColumnValuesToBeBetween(
                column="score_scaled",
                min_value=-1,
                max_value=1,
                meta=m("error", "score_scaled_range"),
                description="score_scaled is outside -1..1",
            ),
            E.ExpectColumnValuesToBeBetween(
                column="occurred_at",
                min_value=EARLIEST_LEARNING,
                max_value={"$PARAMETER": LATEST_PLAUSIBLE_AT},
                meta=m("error", "occurred_at_plausible"),
                description="occurred_at is in the future or before 1990",
            ),
        ]
    if entity == "lms.session":
        return [
            _unique_key(entity),
            in_set("modality", SESSION_MODALITIES, "modality_accepted"),
            in_set("status", SESSION_STATUSES, "status_accepted"),
            E.ExpectColumnValuesToBeBetween(
                column="capacity",
                min_value=0,
                max_value=MAX_CAPACITY,
                strict_min=True,
                strict_max=True,
                meta=m("error", "capacity_range"),
                description=f"capacity is not between 1 and {MAX_CAPACITY - 1}",
            ),
            not_before("ends_at", "starts_at", "ends_not_before_start"),
        ]
    if entity == "lms.booking":
        return [
            _unique_key(entity),
            in_set("status", BOOKING_STATUSES, "status_accepted"),
        ]
    if entity == "vendor.invoice":
        return [
            _unique_key(entity),
            in_set("document_type", DOCUMENT_TYPES, "document_type_accepted"),
            in_set(
                "currency",
                INVOICE_CURRENCIES,
                "currency_iso4217",
                description="currency is not an active ISO 4217 code (3 upper-case letters)",
            ),
            not_before("period_end", "period_start", "period_end_not_before_start"),
        ]
    if entity == "vendor.invoice_line":
        return [
            _unique_key(entity),
            not_before("period_end", "period_start", "period_end_not_before_start"),
        ]
    raise KeyError(f"no expectation suite for entity {entity!r}")


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
