"""The vocabulary is defined once (connectors/vocabulary.py); dbt's literal copies of it — the
``accepted_values`` tests of the project's YAML and the seeds — must equal it."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors import vocabulary

DBT = Path(__file__).resolve().parents[3] / "dbt"

# Every dbt column whose values are one of the vocabularies, with that vocabulary.
VOCABULARY_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("stg_hris__employees", "status"): vocabulary.EMPLOYEE_STATUSES,
    ("dim_employees", "status"): vocabulary.EMPLOYEE_STATUSES,
    ("int_employee_periods_scoped_to_requirements", "employment_status"): vocabulary.EMPLOYEE_STATUSES_IN_SCOPE,
    ("stg_lms__sessions", "modality"): vocabulary.SESSION_MODALITIES,
    ("stg_reference__courses", "modality"): vocabulary.SESSION_MODALITIES,
    ("fct_session_utilization", "modality"): vocabulary.SESSION_MODALITIES,
    ("stg_lms__sessions", "status"): vocabulary.SESSION_STATUSES,
    ("stg_lms__bookings", "status"): vocabulary.BOOKING_STATUSES,
    ("stg_vendor__invoices", "document_type"): vocabulary.DOCUMENT_TYPES,
    ("fct_invoice_line_reconciliation", "document_type"): vocabulary.DOCUMENT_TYPES,
    ("fct_invoice_reconciliation", "document_type"): vocabulary.DOCUMENT_TYPES,
    ("stg_reference__vendor_contracts", "pricing_model"): vocabulary.PRICING_MODELS,
    ("fct_invoice_line_reconciliation", "pricing_model"): vocabulary.PRICING_MODELS,
    ("stg_quarantine__rows", "severity"): vocabulary.QUARANTINE_SEVERITIES,
}

VOCABULARIES: dict[str, tuple[str, ...]] = {
    name: tuple(value)
    for name, value in vars(vocabulary).items()
    if name.isupper() and isinstance(value, tuple | frozenset | dict)
}


def _accepted_values(test: Any) -> list[str] | None:
    """The value list of an ``accepted_values`` data test (``arguments:`` or the older flat form)."""
    if not isinstance(test, dict) or "accepted_values" not in test:
        return None
    spec = test["accepted_values"]
    return list((spec.get("arguments") or spec)["values"])


def accepted_values_tests() -> Iterator[tuple[str, str, list[str]]]:
    """(model or source table, column, values) of every ``accepted_values`` test in the project's YAML."""
    for path in sorted((DBT / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        nodes = list(document.get("models") or [])
        nodes += [table for source in document.get("sources") or [] for table in source.get("tables") or []]
        for node in nodes:
            for column in node.get("columns") or []:
                for test in column.get("data_tests") or column.get("tests") or []:
                    values = _accepted_values(test)
                    if values is not None:
                        yield node["name"], column["name"], values


def test_the_walker_finds_the_accepted_values_tests() -> None:
    found = {(model, column) for model, column, _ in accepted_values_tests()}
    assert len(found) >= 20 and ("stg_hris__employees", "status") in found


@pytest.mark.parametrize(("model", "column"), list(VOCABULARY_COLUMNS))
def test_accepted_values_equal_the_vocabulary(model: str, column: str) -> None:
    declared = [values for name, col, values in accepted_values_tests() if (name, col) == (model, column)]
    assert declared == [list(VOCABULARY_COLUMNS[model, column])], f"{model}.{column}"


def test_every_accepted_values_list_of_a_vocabulary_is_checked() -> None:
    """A new dbt column taking (two or more) values of a vocabulary must be listed above, so its
    literal list is checked too."""
    unlisted = [
        f"{model}.{column} {values} looks like {name}"
        for model, column, values in accepted_values_tests()
        if (model, column) not in VOCABULARY_COLUMNS
        for name, vocabulary_values in VOCABULARIES.items()
        if len(set(values) & set(vocabulary_values)) >= 2
    ]
    assert not unlisted, "\n".join(unlisted)


def test_a_changed_list_would_be_caught() -> None:
    """The comparison is on the lists themselves: order and spelling count."""
    assert list(vocabulary.EMPLOYEE_STATUSES) != ["active", "terminated", "leave"]
    assert _accepted_values({"accepted_values": {"arguments": {"values": ["a", "b"]}}}) == ["a", "b"]
    assert _accepted_values({"accepted_values": {"values": ["a"]}}) == ["a"]
    assert _accepted_values("not_null") is None


def test_compliance_verbs_are_known() -> None:
    assert {"completed", "passed", "satisfied", "failed", "voided", "waived", "attended"} <= set(vocabulary.KNOWN_VERBS)


def test_iso_4217_list_is_three_upper_case_letters_and_holds_the_usual_currencies() -> None:
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in vocabulary.ISO_4217_ACTIVE)
    assert {"EUR", "USD", "GBP", "JPY", "CHF", "INR", "XCG"} <= vocabulary.ISO_4217_ACTIVE
    assert not {"DEM", "HRK", "ANG", "ZWL"} & vocabulary.ISO_4217_ACTIVE  # withdrawn
    assert "XXX" not in vocabulary.INVOICE_CURRENCIES


def seed_rows(name: str) -> list[dict[str, str]]:
    with (DBT / "seeds" / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_pricing_models_seed_has_one_row_per_pricing_model():
    rows = seed_rows("pricing_models")
    assert [row["pricing_model"] for row in rows] == list(vocabulary.PRICING_MODELS)
    assert all(row["expectation_level"] in ("line", "vendor_period") for row in rows)


def test_the_retainer_periods_seed_is_the_vocabulary():
    rows = seed_rows("retainer_periods")
    assert {row["retainer_period"]: int(row["period_months"]) for row in rows} == vocabulary.RETAINER_PERIOD_MONTHS
