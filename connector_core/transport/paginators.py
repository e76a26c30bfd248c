"""Stateless paginators: from one page's answer, the request for the next page (None: done).

Each paginator holds only its settings, so one instance serves any number of walks and threads.
The REST client hands them a `ResponsePage` (the parsed body, its list of items, headers, links).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

Params = Mapping[str, Any] | list[tuple[str, Any]] | None


@dataclass(frozen=True)
class ResponsePage:
    """One answer of a paginated (or single) GET: the parsed JSON body and what came with it.

    `items` is the page's list of rows: the body itself when it is a list, else the list the
    walk's `items` path names (e.g. `rollups`); empty for a single object.
    """

    url: str
    status: int
    headers: Mapping[str, str]
    body: Any
    items: list[Any] = field(default_factory=list)
    links: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class PageRequest:
    """The next request of a paginated walk: a path or absolute URL, and query parameters."""

    url: str
    params: Params = None


class Paginator(Protocol):
    """Says how to ask for the first page and, from a page, for the next one (None: done)."""

    def first(self, path: str, params: Params) -> PageRequest: ...

    def next(self, page: ResponsePage, current: PageRequest) -> PageRequest | None: ...


_MISSING = object()


def json_path(body: Any, path: str) -> Any:
    """The value at a dotted path (`meta.pagination.next`, `$.data.0.id`), or None where absent."""
    value = body
    for part in path.removeprefix("$").strip(".").split("."):
        if isinstance(value, Mapping):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
        if value is _MISSING:
            return None
    return value


def _with(params: Params, **extra: Any) -> dict[str, Any]:
    return {**dict(params or {}), **extra}


class _FirstAsGiven:
    def first(self, path: str, params: Params) -> PageRequest:
        return PageRequest(path, params)


class BodyLinkPaginator(_FirstAsGiven):
    """Follows a next-page URL the body carries at a JSON path (JSON:API `links.next`, ...)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def next(self, page: ResponsePage, current: PageRequest) -> PageRequest | None:
        url = json_path(page.body, self.path)
        return PageRequest(url) if isinstance(url, str) and url else None


class LinkHeaderPaginator(_FirstAsGiven):
    """Follows `Link: <url>; rel="next"` until absent; links are opaque, page numbers never computed.

    `body_next` is a JSON path to a next-page URL in the body, for answers that put it there
    instead (Canvas outcome rollups: `meta.pagination.next`); the header wins when both are present.
    """

    def __init__(self, body_next: str | None = None) -> None:
        self.body = BodyLinkPaginator(body_next) if body_next else None

    def next(self, page: ResponsePage, current: PageRequest) -> PageRequest | None:
        url = page.links.get("next", {}).get("url")
        if url:
            return PageRequest(url)
        return self.body.next(page, current) if self.body else None


class OffsetLimitPaginator:
    """Offset/limit paging (Ethos style) that trusts only what arrived.

    The server may cap `limit` silently (Ethos announces the cap in `x-max-page-size`), so the
    offset advances by the rows actually returned, and later pages ask for no more than the cap.
    The walk ends on an empty page, at the total-count header, or on a page shorter than a cap
    the server announced.
    """

    def __init__(
        self,
        limit: int = 100,
        *,
        offset_param: str = "offset",
        limit_param: str = "limit",
        total_header: str = "x-total-count",
        page_cap_header: str = "x-max-page-size",
    ) -> None:
        self.limit = limit
        self.offset_param = offset_param
        self.limit_param = limit_param
        self.total_header = total_header
        self.page_cap_header = page_cap_header

    def first(self, path: str, params: Params) -> PageRequest:
        return PageRequest(path, _with(params, **{self.offset_param: 0, self.limit_param: self.limit}))

    def next(self, page: ResponsePage, current: PageRequest) -> PageRequest | None:
        received = len(page.items)
        if received == 0:
            return None
        params = dict(current.params or {})
        offset = int(params[self.offset_param]) + received
        total = _number(page.headers.get(self.total_header))
        if total is not None and offset >= total:
            return None
        asked = int(params[self.limit_param])
        cap = _number(page.headers.get(self.page_cap_header))
        if cap is not None and received < min(asked, cap):
            return None
        limit = min(asked, cap) if cap else asked
        return PageRequest(current.url, {**params, self.offset_param: offset, self.limit_param: limit})


class PageNumberPaginator:
    """`?page=1,2,3…` paging: ends on an empty page, or a short one when the page size is known."""

    def __init__(self, *, page_param: str = "page", size_param: str | None = "per_page", size: int = 100) -> None:
        self.page_param = page_param
        self.size_param = size_param
        self.size = size

    def first(self, path: str, params: Params) -> PageRequest:
        sizing = {self.size_param: self.size} if self.size_param else {}
        return PageRequest(path, _with(params, **{self.page_param: 1}, **sizing))

    def next(self, page: ResponsePage, current: PageRequest) -> PageRequest | None:
        received = len(page.items)
        if received == 0 or (self.size_param and received < self.size):
            return None
        params = dict(current.params or {})
        return PageRequest(current.url, {**params, self.page_param: int(params[self.page_param]) + 1})


class CursorPaginator(_FirstAsGiven):
    """Token paging: the body (at a JSON path) or a header carries the token for the next page."""

    def __init__(self, *, param: str = "cursor", body_path: str | None = None, header: str | None = None) -> None:
        if (body_path is None) == (header is None):
            raise ValueError("CursorPaginator reads the token from exactly one of body_path or header")
        self.param = param
        self.body_path = body_path
        self.header = header

    def next(self, page: ResponsePage, current: PageRequest) -> PageRequest | None:
        token = page.headers.get(self.header) if self.header else json_path(page.body, self.body_path or "")
        if token in (None, ""):
            return None
        return PageRequest(current.url, _with(current.params, **{self.param: token}))


def _number(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None
