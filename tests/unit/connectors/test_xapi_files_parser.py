"""xapi_files: xAPI statements → lms.learning_record, on hand-made statements and the real samples."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import ParseContext, SourceError
from connectors.lms.xapi_files import (
    XapiFilesParser,
    agent_ref,
    duration_seconds,
    last_segment,
    record_from_statement,
)
from connectors.parsing import FieldError
from connectors.schemas import ENTITIES

CTX = ParseContext()
ENTITY = "lms.learning_record"


def statement(**overrides):
    stmt = {
        "id": "6f0d0b2e-0000-4000-8000-000000000001",
        "actor": {"objectType": "Agent", "mbox": "mailto:Ann.Lee@Example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": "https://lms.example.com/courses/FIRE-101/"},
        "result": {"completion": True, "success": True, "score": {"scaled": 0.9}, "duration": "PT1H2M3.5S"},
        "context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"},
        "timestamp": "2024-03-01T23:30:00.123-02:00",
        "stored": "2024-03-02T01:31:00.654321Z",
    }
    stmt.update(overrides)
    return stmt


def test_record_from_statement_maps_every_column() -> None:
    stmt = statement()
    record = record_from_statement(stmt)
    assert set(record) == set(ENTITIES[ENTITY].names)
    assert record["record_id"] == stmt["id"]
    assert record["learner_ref"] == "ann.lee@example.com"  # mailto: stripped, lower-cased
    assert record["course_ref"] == "FIRE-101"  # last path segment, trailing slash stripped
    assert record["activity_id"] == "https://lms.example.com/courses/FIRE-101/"
    assert record["verb"] == "completed"
    assert record["occurred_at"] == datetime(2024, 3, 2, 1, 30, 0, 123000, tzinfo=UTC)
    assert record["stored_at"] == datetime(2024, 3, 2, 1, 31, 0, 654321, tzinfo=UTC)
    assert (record["success"], record["completion"], record["score_scaled"]) == (True, True, 0.9)
    assert record["duration_seconds"] == 3723.5
    assert record["registration"] == "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
    assert record["voids_record_id"] is None
    assert record["source_system"] == "xapi"
    raw = json.loads(record["raw"])
    assert raw == stmt  # the whole statement, source timestamps as they were
    assert raw["timestamp"] == "2024-03-01T23:30:00.123-02:00"
    assert record["raw"] == json.dumps(stmt, separators=(",", ":"), ensure_ascii=False)  # compact


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ({"mbox": "mailto:Bob@X.com"}, "bob@x.com"),
        (
            {"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"},
            "mbox_sha1sum:ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
        ),
        ({"account": {"homePage": "http://example.org/", "name": "Learner"}}, "account:http://example.org/|Learner"),
        ({"openid": "http://toby.openid.example.org/"}, "http://toby.openid.example.org/"),
        ({"objectType": "Group", "member": [{"mbox": "mailto:a@x.com"}]}, None),  # anonymous group
    ],
)
def test_agent_refs(actor, expected) -> None:
    assert agent_ref(actor) == expected


def test_course_ref_drops_query_and_fragment() -> None:
    assert last_segment("http://example.com/courses/ABC?lang=en#part2") == "ABC"
    assert last_segment("urn:course:abc") == "urn:course:abc"


def test_voiding_statement() -> None:
    stmt = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"},
        result={},
    )
    record = record_from_statement(stmt)
    assert record["verb"] == "voided"
    assert record["voids_record_id"] == "e05aa883-acaf-40ad-bf54-02c8ce485fb0"
    assert record["course_ref"] is None  # allowed for voided only


def test_statement_ref_that_does_not_void_needs_a_course() -> None:
    stmt = statement(
        verb={"id": "http://example.com/commented"},
        object={"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
    )
    with pytest.raises(FieldError) as info:
        record_from_statement(stmt)
    assert (info.value.rule, info.value.column) == ("parse.missing_required", "course_ref")


def test_occurred_at_falls_back_to_stored() -> None:
    stmt = statement()
    del stmt["timestamp"]
    record = record_from_statement(stmt)
    assert record["occurred_at"] == record["stored_at"] == datetime(2024, 3, 2, 1, 31, 0, 654321, tzinfo=UTC)


def test_source_system_from_platform_or_authority() -> None:
    with_platform = statement(context={"platform": "Moodle"})
    assert record_from_statement(with_platform)["source_system"] == "xapi:Moodle"
    with_authority = statement(authority={"account": {"homePage": "https://lrs.example.com", "name": "lms-a"}})
    assert record_from_statement(with_authority)["source_system"] == "xapi:account:https://lrs.example.com|lms-a"


@pytest.mark.parametrize(
    ("overrides", "rule", "column"),
    [
        ({"id": 42}, "parse.invalid_statement_id", "record_id"),
        ({"actor": {"name": "No IFI"}}, "parse.missing_required", "learner_ref"),
        ({"verb": "completed"}, "parse.missing_required", "verb"),
        ({"timestamp": "last tuesday"}, "parse.invalid_timestamp", "timestamp"),
        ({"timestamp": None, "stored": None}, "parse.missing_required", "occurred_at"),
        ({"result": {"success": "yes"}}, "parse.invalid_bool", "result.success"),
        ({"result": {"score": {"scaled": "high"}}}, "parse.invalid_number", "result.score.scaled"),
        ({"result": {"duration": "P1M"}}, "parse.invalid_duration", "result.duration"),
    ],
)
def test_untypeable_statements_raise(overrides, rule, column) -> None:
    with pytest.raises(FieldError) as info:
        record_from_statement(statement(**overrides))
    assert (info.value.rule, info.value.column) == (rule, column)


def test_durations() -> None:
    assert duration_seconds("PT13.59S") == 13.59
    assert duration_seconds("P1DT2H") == 93600
    assert duration_seconds("P2W") == 1209600


def test_jsonl_is_read_line_by_line(write) -> None:
    lines = [
        json.dumps(statement(id="s-1")),
        "",
        '{"id": "s-2", "actor": ',
        json.dumps(statement(id="s-3", timestamp="2024-03-01T12:00:00+0530")),
        "[1, 2]",
    ]
    path = write("statements.jsonl", "\n".join(lines) + "\n")
    result = XapiFilesParser().parse(path, CTX)
    records = result.records[ENTITY]
    assert [(r["record_id"], r["_source_line"]) for r in records] == [("s-1", 1), ("s-3", 4)]
    assert records[1]["occurred_at"] == datetime(2024, 3, 1, 6, 30, tzinfo=UTC)
    assert [(r.source_line, r.rule) for r in result.rejects] == [
        (3, "parse.malformed_json"),
        (5, "parse.invalid_statement"),
    ]
    assert result.rejects[0].record == '{"id": "s-2", "actor":'
    assert result.raw_rows == 4  # the blank line is not a row


def test_json_array_and_lrs_response(write) -> None:
    array = write("a.json", json.dumps([statement(id="a-1"), statement(id="a-2", actor={})]))
    result = XapiFilesParser().parse(array, CTX)
    assert [(r["record_id"], r["_source_line"]) for r in result.records[ENTITY]] == [("a-1", 1)]
    assert [(r.source_line, r.column_name) for r in result.rejects] == [(2, "learner_ref")]

    response = write("r.json", json.dumps({"statements": [statement(id="r-1")], "more": "/xapi/statements?x"}))
    assert [r["record_id"] for r in XapiFilesParser().parse(response, CTX).records[ENTITY]] == ["r-1"]


def test_not_utf8_json_is_a_source_error(write) -> None:
    path = write("s.json", '{"id": "caf\xe9"}', encoding="latin-1")
    with pytest.raises(SourceError, match="s.json: not UTF-8"):
        XapiFilesParser().parse(path, CTX)


# --- the real samples --------------------------------------------------------------------------------


def parse_sample(samples: Path, relative: str):
    return XapiFilesParser().parse(samples / "xapi" / relative, CTX)


def only_record(samples: Path, relative: str) -> dict:
    result = parse_sample(samples, relative)
    assert result.rejects == []
    (record,) = result.records[ENTITY]
    return record


def test_cmi5_failed_then_completed_then_satisfied(samples: Path) -> None:
    folder = "cmi5-spec-samples/05-completed_or_passed-failed_completed"
    failed = only_record(samples, f"{folder}/04-failed_statement.json")
    assert failed["verb"] == "failed"
    assert failed["success"] is False
    assert failed["learner_ref"] == "account:http://example.org/|Learner"
    assert failed["course_ref"] == "4756b42214cb0cb4825b3c9b5c15053d6a6cf7f5"
    assert failed["activity_id"] == "http://example.org/cmi5/au-lms-id/4756b42214cb0cb4825b3c9b5c15053d6a6cf7f5"
    assert failed["occurred_at"] == datetime(2016, 6, 9, 17, 13, 40, 13000, tzinfo=UTC)
    assert failed["duration_seconds"] == 13.59
    assert failed["registration"] == "b6cbbce3-516b-478d-9ff8-a62b1dfdc431"

    completed = only_record(samples, f"{folder}/05-completed_statement.json")
    assert (completed["verb"], completed["completion"]) == ("completed", True)

    satisfied = only_record(samples, f"{folder}/06-satisfied_statement.json")
    assert satisfied["verb"] == "satisfied"  # cmi5's course-level verb stays as it is
    assert satisfied["course_ref"] == "5d1be4c3-f2e6-4dbf-ad61-0c9774ffec2b"


def test_cmi5_passed(samples: Path) -> None:
    passed = only_record(samples, "cmi5-spec-samples/07-passed-passed/04-passed_statement.json")
    assert (passed["verb"], passed["success"]) == ("passed", True)


def test_cmi5_allowed_statements_with_score_and_authority(samples: Path) -> None:
    passed = only_record(samples, "cmi5-spec-samples/19-cmi5-allowed-test-questions/12-passed_statement.json")
    assert passed["verb"] == "passed"
    assert passed["score_scaled"] == 1.0
    assert passed["source_system"] == "xapi:account:https://www.example.com/demo/|6606cdd6-6095-4c22-8496-9ed8112aa67f"


def test_every_cmi5_file_becomes_records_or_rejects(samples: Path) -> None:
    files = sorted((samples / "xapi" / "cmi5-spec-samples").rglob("*.json"))
    assert len(files) > 100
    verbs = set()
    for file in files:
        result = XapiFilesParser().parse(file, CTX)
        assert result.raw_rows == 1, file
        verbs |= {record["verb"] for record in result.records.get(ENTITY, [])}
        for reject in result.rejects:  # launch data, learner preferences, the broken file: not statements
            assert reject.rule in {"parse.invalid_statement", "parse.malformed_json"}, file
    assert {"launched", "initialized", "completed", "passed", "failed", "satisfied", "terminated"} <= verbs


def test_malformed_cmi5_sample_is_rejected_not_crashed(samples: Path) -> None:
    result = parse_sample(samples, "cmi5-spec-samples/16-not_applicable-no_launch/05-initialized_statement.json")
    assert result.records == {}
    (reject,) = result.rejects
    assert reject.rule == "parse.malformed_json"
    assert reject.source_line == 38 and "line 38" in reject.message  # the document's own line, not None
    assert '"id": "2c738870-7852-4d2b-a5c4-c3999373838e"' in reject.record  # nothing lost


def test_not_strict_json_samples_are_rejected(samples: Path) -> None:
    files = sorted((samples / "xapi" / "adl-xapi-spec" / "not-strict-json").glob("*.json"))
    assert files
    for file in files:
        result = XapiFilesParser().parse(file, CTX)
        assert [reject.rule for reject in result.rejects] == ["parse.malformed_json"]
        assert result.records == {}


def test_spec_example_voiding_statement_lacks_an_id(samples: Path) -> None:
    # the spec's voiding example is a request body: no id (one is derived) and no timestamp nor
    # stored, so it cannot land as is
    result = parse_sample(samples, "adl-xapi-spec/examples/xAPI-Data-L0285-example.json")
    (reject,) = result.rejects
    assert (reject.rule, reject.column_name) == ("parse.missing_required", "occurred_at")
    stmt = json.loads(reject.record)
    assert stmt["verb"]["id"] == "http://adlnet.gov/expapi/verbs/voided"
    stmt.update(id="0a1b2c3d-0000-4000-8000-000000000000", stored="2013-05-18T05:32:34Z")
    record = record_from_statement(stmt)
    assert (record["verb"], record["voids_record_id"]) == ("voided", "e05aa883-acaf-40ad-bf54-02c8ce485fb0")
    assert record["learner_ref"] == "admin@example.adlnet.gov"


def test_spec_example_group_actor_platform_and_offsets(samples: Path) -> None:
    record = only_record(samples, "adl-xapi-spec/examples/xAPI-Data-L2190-appendix-a-example-statements.json")
    assert record["learner_ref"] == "teampb@example.com"  # an identified Group
    assert record["verb"] == "attended"
    assert record["course_ref"] == "34534"
    assert record["occurred_at"] == datetime(2013, 5, 18, 5, 32, 34, 804000, tzinfo=UTC)
    assert record["duration_seconds"] == 3600
    assert record["source_system"] == "xapi:Example virtual meeting software"
    assert json.loads(record["raw"])["timestamp"] == "2013-05-18T05:32:34.804+00:00"


def test_spec_example_with_authority_account(samples: Path) -> None:
    record = only_record(samples, "adl-xapi-spec/examples/xAPI-Communication-L2012-example.json")
    assert record["learner_ref"] == "joe@example.com"
    assert record["source_system"] == "xapi:account:http://www.example.com|unknown"
    assert record["stored_at"] == datetime(2012, 6, 29, 15, 41, 39, 165000, tzinfo=UTC)


def test_every_adl_json_file_becomes_records_or_rejects(samples: Path) -> None:
    files = sorted((samples / "xapi" / "adl-xapi-spec").rglob("*.json"))
    assert files
    for file in files:
        result = XapiFilesParser().parse(file, CTX)
        assert result.raw_rows >= 1, file
        assert all(reject.rule.startswith("parse.") and reject.message for reject in result.rejects)
