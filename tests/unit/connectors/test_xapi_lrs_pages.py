"""`xapi_lrs` over loopback HTTP against a small spec-following fake LRS serving the real cmi5 and
ADL sample statements: units per page, resume from the saved `more`, the watermark and its lookback,
LRS quirks (204, `more` missing vs "", ordering, repeated ids, Consistent-Through)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from werkzeug import Request, Response

from connectors.base import SourceError
from connectors.http import HttpError
from connectors.lms.xapi_lrs import LrsState, XapiLrsConnector, XapiLrsOptions, map_page, since_param

ENV = {"LRS_USER": "key-1", "LRS_PASSWORD": "lrs-pw-S3CRET"}
CMI5 = "xapi/cmi5-spec-samples/14-completed_and_passed-multiple_sessions"
T0 = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.fixture
def statements(samples):
    """The cmi5 session's statements plus the ADL voiding example, as an LRS would store them."""
    found = [json.loads(path.read_text()) for path in sorted((samples / CMI5).glob("*_statement.json"))]
    voiding = json.loads((samples / "xapi/adl-xapi-spec/examples/xAPI-Data-L0285-example.json").read_text())
    voiding["id"] = "11111111-2222-4333-8444-555555555555"
    found.append(voiding)
    for index, statement in enumerate(found):
        statement["stored"] = iso(T0 + timedelta(seconds=index))
    return found


class FakeLrs:
    """Statements API semantics: `since` on stored (exclusive), `ascending`, `limit`, `more` paging."""

    def __init__(self, statements, *, end_more="", empty_status=200, consistent_through=None):
        self.statements = statements
        self.end_more = end_more  # "" or None (omit the key)
        self.empty_status = empty_status
        self.consistent_through = consistent_through
        self.requests: list[dict] = []

    def __call__(self, request: Request) -> Response:
        args = {key: values[0] for key, values in parse_qs(request.query_string.decode()).items()}
        self.requests.append({"args": args, "headers": dict(request.headers)})
        if request.headers.get("X-Experience-API-Version") != "1.0.3":
            return Response("missing version", status=400)
        rows = sorted(self.statements, key=lambda s: s["stored"], reverse=args.get("ascending") != "true")
        if "since" in args:
            rows = [s for s in rows if s["stored"] > args["since"]]
        offset, limit = int(args.get("offset", 0)), int(args.get("limit", 100))
        page = rows[offset : offset + limit]
        headers = {"X-Experience-API-Consistent-Through": self.consistent_through} if self.consistent_through else {}
        if not page and self.empty_status == 204:
            return Response(status=204, headers=headers)
        body: dict = {"statements": page}
        if offset + limit < len(rows):
            query = {**args, "offset": str(offset + limit)}
            body["more"] = "/xAPI/statements?" + "&".join(f"{key}={value}" for key, value in query.items())
        elif self.end_more is not None:
            body["more"] = self.end_more
        return Response(json.dumps(body), content_type="application/json", headers=headers)


def connector(httpserver, **options):
    settings = {"url": httpserver.url_for("/xAPI/"), "username_env": "LRS_USER", "password_env": "LRS_PASSWORD"}
    settings.update(options)
    return XapiLrsConnector("lrs", XapiLrsOptions.model_validate(settings), env=ENV, sleep=lambda s: None)


def drive(conn, state, *, stop_after=None):
    """Like pipeline/steps.extract_source, without landing: from ``state`` as stored, returns the
    units, the results and the state (units and state as they are stored)."""
    units, results, current = [], [], LrsState.from_json(state)
    for unit, result in conn.extract(current):
        units.append(unit.to_json())
        results.append(result)
        if stop_after is not None and len(units) > stop_after:
            break  # crash: this page was read but never committed
        current = conn.advance(current, unit, f"load-{len(units)}")
    return units, results, current.to_json()


def ids(results):
    return [record["record_id"] for result in results for record in result.records.get("lms.learning_record", [])]


def test_pages_become_units_and_the_last_moves_the_watermark(httpserver, statements):
    lrs = FakeLrs(statements)
    httpserver.expect_request("/xAPI/statements").respond_with_handler(lrs)
    units, results, state = drive(connector(httpserver, limit=4), {})
    assert [unit["statements"] for unit in units] == [4, 4, 2]
    assert [unit["done"] for unit in units] == [False, False, True]
    assert sorted(ids(results)) == sorted(s["id"] for s in statements)
    assert state["watermark"] == "2026-11-28T09:00:09.000000Z" and "run" not in state
    first = lrs.requests[0]
    assert first["args"] == {"limit": "4", "ascending": "true"}  # no since on a first run
    expected = "Basic " + base64.b64encode(b"key-1:lrs-pw-S3CRET").decode()
    assert first["headers"]["Authorization"] == expected
    voiding = [r for result in results for r in result.records["lms.learning_record"] if r["verb"] == "voided"]
    assert [(v["record_id"], v["voids_record_id"]) for v in voiding] == [
        ("11111111-2222-4333-8444-555555555555", "e05aa883-acaf-40ad-bf54-02c8ce485fb0")
    ]
    completed = next(r for result in results for r in result.records["lms.learning_record"] if r["verb"] == "completed")
    assert completed["learner_ref"] == "account:http://example.org/|Learner"
    assert completed["_source_file"] == "/xAPI/statements" and completed["occurred_at"].tzinfo is not None


def test_an_interrupted_run_resumes_at_the_saved_more(httpserver, statements):
    lrs = FakeLrs(statements)
    httpserver.expect_request("/xAPI/statements").respond_with_handler(lrs)
    conn = connector(httpserver, limit=4)
    units, results, state = drive(conn, {}, stop_after=1)  # page 1 committed, page 2 read, then a crash
    assert state["run"]["pages"] == 1 and state["run"]["next"]["url"].endswith("offset=4")
    assert "watermark" in state and state["watermark"] is None
    asked = len(lrs.requests)
    units2, results2, final = drive(conn, state)
    assert lrs.requests[asked]["args"]["offset"] == "4"  # straight to the saved position
    assert [unit["page"] for unit in units2] == [2, 3]
    # page 2, read before the crash but never committed, is read again: nothing lost, nothing skipped
    landed = ids(results[:1]) + ids(results2)
    assert sorted(landed) == sorted(s["id"] for s in statements)
    assert final["watermark"] == "2026-11-28T09:00:09.000000Z"


def test_the_next_run_asks_since_watermark_minus_lookback(httpserver, statements):
    lrs = FakeLrs(statements)
    httpserver.expect_request("/xAPI/statements").respond_with_handler(lrs)
    conn = connector(httpserver, limit=50, lookback="3s")
    state = {"watermark": "2026-11-28T09:00:09.000000Z"}
    units, results, final = drive(conn, state)
    assert lrs.requests[0]["args"]["since"] == "2026-11-28T09:00:06.000Z"
    assert len(ids(results)) == 3  # the overlap: stored at :07, :08, :09 (since is exclusive)
    assert final["watermark"] == state["watermark"]


def test_nothing_new_lands_nothing(httpserver, statements):
    httpserver.expect_request("/xAPI/statements").respond_with_handler(FakeLrs(statements, empty_status=204))
    conn = connector(httpserver, lookback=0)
    assert list(conn.extract(LrsState(watermark="2026-11-28T09:00:09.000000Z"))) == []


@pytest.mark.parametrize("end_more", ["", None], ids=["more-empty-string", "more-missing"])
def test_resumed_run_whose_last_page_is_empty_still_finishes(httpserver, statements, end_more):
    lrs = FakeLrs(statements, end_more=end_more, empty_status=204 if end_more is None else 200)
    httpserver.expect_request("/xAPI/statements").respond_with_handler(lrs)
    saved = {
        "watermark": None,
        "run": {
            "since": None,
            "next": {"url": httpserver.url_for("/xAPI/statements") + "?limit=5&ascending=true&offset=10", "params": {}},
            "max_stored": "2026-11-28T09:00:09.000000Z",
            "consistent_through": None,
            "pages": 2,
        },
    }
    units, results, final = drive(connector(httpserver), saved)
    assert [(unit["page"], unit["statements"], unit["done"]) for unit in units] == [(3, 0, True)]
    assert final["watermark"] == "2026-11-28T09:00:09.000000Z" and "run" not in final


def test_order_repeats_and_consistent_through(httpserver, statements):
    repeated = statements[:3] + [dict(statements[1])]
    lrs = FakeLrs(repeated, consistent_through="2026-11-28T09:00:01.500Z")
    httpserver.expect_request("/xAPI/statements").respond_with_handler(lrs)
    units, results, state = drive(connector(httpserver, ascending=False), {})
    assert units[0]["repeated_in_page"] == 1
    assert len(ids(results)) == 3 and len(set(ids(results))) == 3
    assert units[0]["max_stored"] == "2026-11-28T09:00:02.000000Z"  # a maximum, whatever the order
    # the LRS vouches only for statements stored up to 09:00:01.5: the watermark stops there
    assert state["watermark"] == "2026-11-28T09:00:01.500000Z"


def test_a_saved_more_the_lrs_no_longer_knows_restarts_from_since(httpserver, statements):
    lrs = FakeLrs(statements)
    httpserver.expect_request("/xAPI/statements", query_string={"cursor": "expired"}).respond_with_data(
        "unknown cursor", status=404
    )
    httpserver.expect_request("/xAPI/statements").respond_with_handler(lrs)
    saved = {
        "watermark": "2026-11-28T09:00:05.000000Z",
        "run": {
            "since": "2026-11-28T09:00:05.000Z",
            "next": {"url": httpserver.url_for("/xAPI/statements") + "?cursor=expired", "params": {}},
            "max_stored": None,
            "consistent_through": None,
            "pages": 4,
        },
    }
    units, results, final = drive(connector(httpserver), saved)
    assert lrs.requests[0]["args"]["since"] == "2026-11-28T09:00:05.000Z"
    assert len(ids(results)) == 4 and final["watermark"] == "2026-11-28T09:00:09.000000Z"


def test_a_malformed_statement_is_rejected_not_dropped(statements):
    broken = {"id": "x-1", "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}, "object": {"id": "http://c/1"}}
    result, highest, repeated = map_page([statements[0], broken, "not an object"], "/xAPI/statements")
    assert len(result.records["lms.learning_record"]) == 1
    assert [(r.rule, r.source_line) for r in result.rejects] == [
        ("parse.missing_required", 2),
        ("parse.invalid_statement", 3),
    ]
    assert json.loads(result.rejects[0].record)["id"] == "x-1"


def test_refused_credentials_and_missing_env(httpserver):
    httpserver.expect_request("/xAPI/statements").respond_with_data("no", status=401)
    with pytest.raises(HttpError, match=r"GET /xAPI/statements: credentials refused \(HTTP 401\); check the LRS"):
        list(connector(httpserver).extract(LrsState()))
    options = XapiLrsOptions(url="http://127.0.0.1:1/xAPI", username_env="LRS_USER", password_env="NOPE")
    with pytest.raises(SourceError, match="environment variable NOPE"):
        list(XapiLrsConnector("lrs", options, env=ENV).extract(LrsState()))


def test_since_is_floored_to_milliseconds():
    assert since_param(datetime(2026, 1, 2, 3, 4, 5, 999999, tzinfo=UTC)) == "2026-01-02T03:04:05.999Z"
