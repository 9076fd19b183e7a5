"""The GX suites themselves (one per entity, rules named and graded) and good batches passing them."""

from __future__ import annotations

import pytest
from gx_batches import GOOD, NOW, make_table

from connectors import schemas, vocabulary
from expectations import suites
from expectations.runner import validate_batch

# -- the suites themselves ---------------------------------------------------------------------


@pytest.mark.parametrize("entity", list(schemas.ENTITIES))
def test_every_entity_has_a_suite_with_severity_and_rule_on_each_expectation(entity: str) -> None:
    suite = suites.build_suite(entity)
    assert suite.name == entity
    assert suite.expectations
    rules = []
    for expectation in suite.expectations:
        meta = expectation.meta or {}
        assert meta.get("severity") in vocabulary.SEVERITIES, expectation
        assert meta.get("rule", "").startswith(suites.SHORT_NAMES[entity] + "."), expectation
        assert expectation.description, expectation
        rules.append(meta["rule"])
    assert len(rules) == len(set(rules)), "rule names are unique within a suite"


@pytest.mark.parametrize("entity", list(schemas.ENTITIES))
def test_every_suite_checks_its_natural_key_as_a_row_level_error(entity: str) -> None:
    suite = suites.build_suite(entity)
    keyed = [e for e in suite.expectations if suites.expectation_columns(e) == ["_source_file", *schemas.KEYS[entity]]]
    assert [e.meta["rule"] for e in keyed] == [f"{suites.SHORT_NAMES[entity]}.key_unique"]
    assert keyed[0].meta["severity"] == "error"


def test_suites_read_only_columns_of_their_entity_or_derived_helpers() -> None:
    for entity, schema in schemas.ENTITIES.items():
        helpers = {d.name for d in suites.DERIVED.get(entity, ())}
        for expectation in suites.build_suite(entity).expectations:
            for column in suites.expectation_columns(expectation):
                assert column in schema.names or column in helpers or column == "_source_file", (entity, column)


# -- good batches ------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", list(schemas.ENTITIES))
def test_good_batch_passes_with_no_quarantine(entity: str) -> None:
    report = validate_batch(entity, make_table(entity, GOOD[entity]), now=NOW)
    assert report.quarantine == []
    assert report.critical == []
    assert report.ok
    assert report.rows == len(GOOD[entity])
    assert report.quarantined_rows == 0
    assert [r["rule"] for r in report.results] == [e.meta["rule"] for e in suites.build_suite(entity).expectations]
    assert all(r["success"] and r["unexpected_count"] == 0 for r in report.results), report.results


def test_empty_batch_is_fine() -> None:
    report = validate_batch("lms.booking", make_table("lms.booking", []))
    assert (report.rows, report.quarantine, report.critical) == (0, [], [])
    assert all(r["success"] for r in report.results)
