"""Pagination as a few small classes, one driver loop (STYLE: Connectors).

A paginator knows where a page's items are and how to ask for the next page; ``paginate`` does the
requesting. Each ``Page`` carries the request for the page after it (``next``), as plain JSON-able
data, so a connector can save it in its state and resume an interrupted extraction there.

- ``CursorPaginator``: the next cursor is in the body (Merge ``next``, BambooHR ``nextCursor``).
- ``OffsetPaginator``: ``offset``/``limit`` until a short page or the reported total.
- ``PageNumberPaginator``: ``page=1,2,…`` until an empty or short page or the reported page count.
- ``NextUrlPaginator``: a ``next`` URL in the body, or the ``Link: <…>; rel="next"`` header.
- ``XapiMorePaginator``: the xAPI ``more`` IRL, relative (to the LRS's root) or absolute; missing,
  null and ``""`` all mean "no more".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import requests

from connectors.base import SourceError
from connectors.http import HttpClient, path_of

Path = tuple[str | int, ...]


def dig(data: Any, path: Path) -> Any:
    """The value at ``path`` (keys and list indexes) or None; ``[]`` standing in for an empty
    object (BambooHR does that) is treated as an empty object."""
    for step in path:
        if isinstance(data, dict):
            data = data.get(step) if isinstance(step, str) else None
        elif isinstance(data, list) and isinstance(step, int) and -len(data) <= step < len(data):
            data = data[step]
        else:
            return None
    return data


@dataclass(frozen=True)
class PageRequest:
    """What to ask for one page: a URL (absolute, or relative to the client's base URL) and query."""

    url: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_state(self) -> dict[str, Any]:
        return {"url": self.url, "params": dict(self.params)}

    @classmethod
    def from_state(cls, value: dict[str, Any]) -> PageRequest:
        return cls(url=value["url"], params=dict(value.get("params") or {}))


@dataclass
class Page:
    number: int  # 1-based within this extraction (a resumed extraction counts on)
    request: PageRequest
    data: Any  # the decoded body (None for 204 / empty)
    items: list[Any]
    next: PageRequest | None  # None: this was the last page
    response: requests.Response


class Paginator:
    """Base class: ``items_path`` locates the page's items (``()``: the body is the list)."""

    items_path: Path = ()

    def items(self, data: Any) -> list[Any]:
        found = dig(data, self.items_path) if self.items_path else data
        if found is None or found == {}:
            return []
        if isinstance(found, dict):  # a single object where a list was expected
            return [found]
        if not isinstance(found, list):
            raise ValueError(f"expected a list of items at {'.'.join(map(str, self.items_path)) or 'the top'}")
        return found

    def first(self, request: PageRequest) -> PageRequest:
        """The first request (paginators that count add their parameters here)."""
        return request

    def next_request(self, request: PageRequest, data: Any, items: list[Any], response: Any) -> PageRequest | None:
        raise NotImplementedError


@dataclass
class CursorPaginator(Paginator):
    """The body names the next cursor; it goes into ``cursor_param`` of the same URL."""

    cursor_path: Path = ("next",)
    cursor_param: str = "cursor"
    items_path: Path = ("results",)

    def next_request(self, request: PageRequest, data: Any, items: list[Any], response: Any) -> PageRequest | None:
        cursor = dig(data, self.cursor_path)
        if cursor in (None, "", []):
            return None
        return PageRequest(request.url, {**request.params, self.cursor_param: cursor})


@dataclass
class OffsetPaginator(Paginator):
    limit: int = 100
    offset_param: str = "offset"
    limit_param: str = "limit"
    total_path: Path | None = None
    items_path: Path = ("results",)

    def first(self, request: PageRequest) -> PageRequest:
        params = {self.offset_param: 0, self.limit_param: self.limit, **request.params}
        return PageRequest(request.url, params)

    def next_request(self, request: PageRequest, data: Any, items: list[Any], response: Any) -> PageRequest | None:
        offset = int(request.params.get(self.offset_param, 0)) + len(items)
        total = dig(data, self.total_path) if self.total_path else None
        if not items or len(items) < int(request.params.get(self.limit_param, self.limit)):
            return None
        if isinstance(total, int) and offset >= total:
            return None
        return PageRequest(request.url, {**request.params, self.offset_param: offset})


@dataclass
class PageNumberPaginator(Paginator):
    page_param: str = "page"
    start: int = 1
    size: int | None = None  # page size, if the API takes one
    size_param: str = "per_page"
    total_pages_path: Path | None = None
    items_path: Path = ("results",)

    def first(self, request: PageRequest) -> PageRequest:
        params = {self.page_param: self.start, **request.params}
        if self.size is not None:
            params.setdefault(self.size_param, self.size)
        return PageRequest(request.url, params)

    def next_request(self, request: PageRequest, data: Any, items: list[Any], response: Any) -> PageRequest | None:
        page = int(request.params.get(self.page_param, self.start))
        pages = dig(data, self.total_pages_path) if self.total_pages_path else None
        if not items or (self.size is not None and len(items) < self.size):
            return None
        if isinstance(pages, int) and page - self.start + 1 >= pages:
            return None
        return PageRequest(request.url, {**request.params, self.page_param: page + 1})


@dataclass
class NextUrlPaginator(Paginator):
    """The next page's full URL (with its own query): at ``next_path`` in the body, or, when
    ``next_path`` is None, in the ``Link`` header. A relative URL resolves against the current one."""

    next_path: Path | None = ("next",)
    items_path: Path = ("results",)

    def next_request(self, request: PageRequest, data: Any, items: list[Any], response: Any) -> PageRequest | None:
        if self.next_path is None:
            target = (getattr(response, "links", None) or {}).get("next", {}).get("url")
        else:
            target = dig(data, self.next_path)
        if not isinstance(target, str) or not target.strip():
            return None
        return PageRequest(urljoin(response.url or request.url, target.strip()))


@dataclass
class XapiMorePaginator(NextUrlPaginator):
    """xAPI StatementResult: ``statements`` and ``more``. ``more`` is an IRL relative to the LRS's
    root ("/xAPI/statements?…") or absolute; missing, null and ``""`` all end the results."""

    next_path: Path | None = ("more",)
    items_path: Path = ("statements",)


def paginate(
    client: HttpClient,
    paginator: Paginator,
    start: PageRequest,
    *,
    resume: PageRequest | None = None,
    first_number: int = 1,
    method: str = "GET",
    json_body: Any = None,
) -> Iterator[Page]:
    """Every page from ``start`` (or from a saved ``resume`` request) to the last.

    Stops when the paginator finds no next page; a next request equal to the current one (a server
    handing back the same cursor) is an error rather than an endless loop.
    """
    request = resume if resume is not None else paginator.first(start)
    number = first_number
    while True:
        data, response = client.json(method, request.url, params=request.params or None, json_body=json_body)
        try:
            items = paginator.items(data)
        except ValueError as exc:
            raise SourceError(f"source {client.source!r}: {method} {path_of(client.url(request.url))}: {exc}") from None
        following = paginator.next_request(request, data, items, response)
        if following == request:
            raise SourceError(
                f"source {client.source!r}: {method} {path_of(client.url(request.url))}: page {number} "
                "points to itself as the next page; stopping rather than looping"
            )
        yield Page(number, request, data, items, following, response)
        if following is None:
            return
        request = following
        number += 1
