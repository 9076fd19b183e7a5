"""connectors/pagination.py over real loopback HTTP: each paginator walks to the last page (not just
the first), resumes from a saved request, and refuses to loop."""

from __future__ import annotations

import pytest

from connectors.base import SourceError
from connectors.http import HttpClient, RetryPolicy
from connectors.pagination import (
    CursorPaginator,
    NextUrlPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    PageRequest,
    XapiMorePaginator,
    dig,
    paginate,
)


@pytest.fixture
def client(httpserver):
    with HttpClient("src", base_url=httpserver.url_for("/"), retry=RetryPolicy(attempts=1)) as client:
        yield client


def items_of(pages):
    return [item for page in pages for item in page.items]


def test_cursor_in_body(httpserver, client):
    httpserver.expect_request("/employees", query_string={"page_size": "2"}).respond_with_json(
        {"next": "c2", "results": [1, 2]}
    )
    httpserver.expect_request("/employees", query_string={"page_size": "2", "cursor": "c2"}).respond_with_json(
        {"next": "c3", "results": [3, 4]}
    )
    httpserver.expect_request("/employees", query_string={"page_size": "2", "cursor": "c3"}).respond_with_json(
        {"next": None, "results": [5]}
    )
    pages = list(paginate(client, CursorPaginator(), PageRequest("employees", {"page_size": 2})))
    assert items_of(pages) == [1, 2, 3, 4, 5]
    assert [page.number for page in pages] == [1, 2, 3]
    assert pages[0].next == PageRequest("employees", {"page_size": 2, "cursor": "c2"}) and pages[-1].next is None


def test_cursor_nested_and_resumed_from_saved_state(httpserver, client):
    paginator = CursorPaginator(
        cursor_path=("meta", "page", "nextCursor"), cursor_param="page[after]", items_path=("data",)
    )
    httpserver.expect_request("/v1/employees", query_string={"page[after]": "B"}).respond_with_json(
        {"data": [{"employeeId": "3"}], "meta": {"page": {"nextCursor": None}}}
    )
    saved = PageRequest("v1/employees", {"page[after]": "B"}).to_state()  # as a connector saves it
    pages = list(
        paginate(client, paginator, PageRequest("v1/employees"), resume=PageRequest.from_state(saved), first_number=2)
    )
    assert [page.number for page in pages] == [2]
    assert items_of(pages) == [{"employeeId": "3"}]
    assert len(httpserver.log) == 1  # the first page was not asked for again


def test_offset_limit_until_total(httpserver, client):
    for offset, rows in ((0, [1, 2]), (2, [3, 4]), (4, [5, 6])):
        httpserver.expect_request("/rows", query_string={"offset": str(offset), "limit": "2"}).respond_with_json(
            {"total": 6, "results": rows}
        )
    pages = list(paginate(client, OffsetPaginator(limit=2, total_path=("total",)), PageRequest("rows")))
    assert items_of(pages) == [1, 2, 3, 4, 5, 6]
    assert len(httpserver.log) == 3  # stopped at the total, no request for an empty 4th page


def test_offset_stops_on_a_short_page(httpserver, client):
    httpserver.expect_request("/rows", query_string={"offset": "0", "limit": "3"}).respond_with_json(
        {"results": [1, 2, 3]}
    )
    httpserver.expect_request("/rows", query_string={"offset": "3", "limit": "3"}).respond_with_json({"results": [4]})
    assert items_of(paginate(client, OffsetPaginator(limit=3), PageRequest("rows"))) == [1, 2, 3, 4]


def test_page_number_until_an_empty_page(httpserver, client):
    httpserver.expect_request("/p", query_string={"page": "1"}).respond_with_json([{"a": 1}, {"a": 2}])
    httpserver.expect_request("/p", query_string={"page": "2"}).respond_with_json([{"a": 3}])
    httpserver.expect_request("/p", query_string={"page": "3"}).respond_with_json([])
    pages = list(paginate(client, PageNumberPaginator(items_path=()), PageRequest("p")))
    assert [page.number for page in pages] == [1, 2, 3]
    assert items_of(pages) == [{"a": 1}, {"a": 2}, {"a": 3}]


def test_next_url_in_the_link_header(httpserver, client):
    second = httpserver.url_for("/list") + "?after=x1"
    httpserver.expect_request("/list", query_string="").respond_with_json(
        {"results": [1]}, headers={"Link": f'<{second}>; rel="next", <{second}>; rel="last"'}
    )
    httpserver.expect_request("/list", query_string="after=x1").respond_with_json({"results": [2]})
    pages = list(paginate(client, NextUrlPaginator(next_path=None), PageRequest("list")))
    assert items_of(pages) == [1, 2]


def test_next_url_in_the_body(httpserver, client):
    httpserver.expect_request("/v1/employees", query_string="").respond_with_json(
        {"data": [1], "_links": {"next": {"href": httpserver.url_for("/v1/employees") + "?page%5Bafter%5D=Q"}}}
    )
    httpserver.expect_request("/v1/employees", query_string="page%5Bafter%5D=Q").respond_with_json(
        {"data": [2], "_links": []}  # BambooHR's [] for an empty object
    )
    paginator = NextUrlPaginator(next_path=("_links", "next", "href"), items_path=("data",))
    assert items_of(paginate(client, paginator, PageRequest("v1/employees"))) == [1, 2]


@pytest.mark.parametrize("last", [{"more": ""}, {}, {"more": None}], ids=["empty-string", "missing", "null"])
def test_xapi_more_relative_and_absolute(httpserver, client, last):
    absolute = httpserver.url_for("/lrs/xAPI/statements") + "?page=3"
    httpserver.expect_request("/lrs/xAPI/statements", query_string="limit=2").respond_with_json(
        {"statements": [{"id": "a"}, {"id": "b"}], "more": "/lrs/xAPI/statements?page=2"}
    )
    httpserver.expect_request("/lrs/xAPI/statements", query_string="page=2").respond_with_json(
        {"statements": [{"id": "c"}], "more": absolute}
    )
    httpserver.expect_request("/lrs/xAPI/statements", query_string="page=3").respond_with_json(
        {"statements": [], **last}
    )
    pages = list(paginate(client, XapiMorePaginator(), PageRequest("lrs/xAPI/statements", {"limit": 2})))
    assert [item["id"] for item in items_of(pages)] == ["a", "b", "c"]
    assert [len(page.items) for page in pages] == [2, 1, 0]  # an empty last page is a page
    assert pages[0].next.url == httpserver.url_for("/lrs/xAPI/statements") + "?page=2"


def test_xapi_204_is_an_empty_last_page(httpserver, client):
    httpserver.expect_request("/xAPI/statements").respond_with_data("", status=204)
    pages = list(paginate(client, XapiMorePaginator(), PageRequest("xAPI/statements")))
    assert len(pages) == 1 and pages[0].items == [] and pages[0].next is None


def test_a_cursor_pointing_to_itself_is_an_error_not_a_loop(httpserver, client):
    httpserver.expect_request("/e", query_string="cursor=same").respond_with_json({"next": "same", "results": [1]})
    httpserver.expect_request("/e", query_string="").respond_with_json({"next": "same", "results": [0]})
    with pytest.raises(SourceError, match="page 2 points to itself"):
        list(paginate(client, CursorPaginator(), PageRequest("e")))


def test_dig_tolerates_lists_standing_in_for_objects():
    assert dig({"meta": {"page": {"nextCursor": "x"}}}, ("meta", "page", "nextCursor")) == "x"
    assert dig({"meta": []}, ("meta", "page", "nextCursor")) is None
    assert dig({"a": [{"b": 1}, {"b": 2}]}, ("a", -1, "b")) == 2
