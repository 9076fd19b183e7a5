"""xAPI statements without ``id`` get a deterministic id (UUID v5 over their canonical content), and
files without ``timestamp`` take occurred_at from the source's ``xapi.occurred_at`` setting; both
are said in the lineage columns (record_id_derived, occurred_at_from), on the per-record and the
columnar path alike."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from connectors.base import ParseContext
from connectors.lms.xapi_files import STATEMENT_NAMESPACE, XapiFilesParser, derived_id

ENTITY = "lms.learning_record"


def statement(**overrides) -> dict:
    stmt = {
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "stutest"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": "https://lms.example/courses/COC-101"},
        "timestamp": "2026-10-02T09:00:00Z",
        "stored": "2026-10-02T09:05:00Z",
    }
    stmt.update(overrides)
    return {key: value for key, value in stmt.items() if value is not None}


def records(path, columnar: bool = True, occurred_at: str = "timestamp") -> list[dict]:
    result = XapiFilesParser(columnar=columnar).parse(path, ParseContext(xapi_occurred_at=occurred_at))
    assert result.rejects == []
    rows: list[dict] = []
    for chunk in result.records.get(ENTITY, []):
        rows += chunk.to_pylist() if isinstance(chunk, pa.Table) else [chunk]
    return rows


def test_the_derived_id_is_uuid5_of_the_canonical_content() -> None:
    stmt = statement()
    content = {k: v for k, v in stmt.items() if k != "stored"}
    expected = uuid.uuid5(STATEMENT_NAMESPACE, json.dumps(content, sort_keys=True, separators=(",", ":")))
    assert derived_id(stmt) == str(expected)
    assert uuid.UUID(derived_id(stmt)).version == 5


def test_the_same_statement_stored_elsewhere_gets_the_same_id_and_other_content_another() -> None:
    base = derived_id(statement())
    reordered = dict(reversed(list(statement().items())))
    restored = statement(stored="2026-11-30T00:00:00Z", authority={"mbox": "mailto:lrs@lms.example"})
    assert derived_id(reordered) == derived_id(restored) == base
    assert derived_id(statement(verb={"id": "http://adlnet.gov/expapi/verbs/failed"})) != base
    assert derived_id(statement(timestamp="2026-10-02T09:00:01Z")) != base


@pytest.mark.parametrize("columnar", [True, False])
def test_two_deliveries_of_an_id_less_statement_get_one_id_marked_derived(tmp_path, columnar) -> None:
    """The same statement in a JSON Lines file and, stored again by another LRS, in a JSON file."""
    first = tmp_path / "statements_1.jsonl"
    first.write_text(json.dumps(statement()) + "\n" + json.dumps(statement(id="a-real-id")) + "\n")
    second = tmp_path / "statements_2.json"
    second.write_text(json.dumps([statement(stored="2026-11-01T00:00:00Z")]))
    one, given = records(first, columnar)
    (again,) = records(second, columnar)
    assert one["record_id"] == again["record_id"] == derived_id(statement())
    assert (one["record_id_derived"], again["record_id_derived"], given["record_id_derived"]) == (True, True, False)
    assert given["record_id"] == "a-real-id"


@pytest.mark.parametrize("columnar", [True, False])
@pytest.mark.parametrize(
    ("setting", "expected", "source"),
    [
        ("timestamp", datetime(2026, 10, 2, 9, 5, tzinfo=UTC), "stored"),  # no timestamp: stored
        ("stored", datetime(2026, 10, 2, 9, 5, tzinfo=UTC), "stored"),
        ("2026-09-30T00:00:00Z", datetime(2026, 9, 30, tzinfo=UTC), "constant"),
    ],
)
def test_occurred_at_without_timestamp_follows_the_source_setting(tmp_path, columnar, setting, expected, source):
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(statement(id="s1", timestamp=None)) + "\n" + json.dumps(statement(id="s2")) + "\n")
    without, with_timestamp = records(path, columnar, setting)
    assert (without["occurred_at"], without["occurred_at_from"]) == (expected, source)
    if setting == "stored":
        assert (with_timestamp["occurred_at"], with_timestamp["occurred_at_from"]) == (expected, "stored")
    else:
        assert with_timestamp["occurred_at_from"] == "timestamp"
        assert with_timestamp["occurred_at"] == datetime(2026, 10, 2, 9, tzinfo=UTC)
