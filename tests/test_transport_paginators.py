"""Each paginator walks a real loopback API to the last row, no row twice, no request wasted."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from werkzeug.wrappers import Request, Response

from connector_core.sandbox import serve
from connector_core.transport import (
    BodyLinkPaginator,
    CursorPaginator,
    OffsetLimitPaginator,
    PageNumberPaginator,
    RestClient,
    json_path,
)

ROWS = [{"id": i} for i in range(23)]


@contextmanager
def api(handler: Callable[[Request], tuple[object, dict[str, str]]]) -> Iterator[tuple[RestClient, list[Request]]]:
    seen: list[Request] = []

    @Request.application
    def app(request: Request) -> Response:
        seen.append(request)
        body, headers = handler(request)
        return Response(json.dumps(body), headers=headers, content_type="application/json")

    with serve(app) as url, RestClient(url) as client:
        yield client, seen


def ids(pages) -> list[int]:  # type: ignore[no-untyped-def]
    return [row["id"] for page in pages for row in page.items]


def ethos(request: Request) -> tuple[object, dict[str, str]]:
    """Ethos: `limit` above the cap is silently cut to `x-max-page-size`; `x-total-count` on every page."""
    offset, limit = int(request.args["offset"]), min(int(request.args["limit"]), 5)
    return ROWS[offset : offset + limit], {"x-total-count": str(len(ROWS)), "x-max-page-size": "5"}


def test_offset_limit_honours_the_page_cap_and_the_total_count() -> None:
    with api(ethos) as (client, seen):
        assert ids(client.paginate("/api/persons", OffsetLimitPaginator(limit=500))) == list(range(23))
    assert [(r.args["offset"], r.args["limit"]) for r in seen] == [
        ("0", "500"),
        ("5", "5"),
        ("10", "5"),
        ("15", "5"),
        ("20", "5"),
    ]  # the total count ends the walk: no empty page asked for


def test_offset_limit_without_headers_advances_by_what_arrived_until_empty() -> None:
    def capped(request: Request) -> tuple[object, dict[str, str]]:
        offset, limit = int(request.args["offset"]), min(int(request.args["limit"]), 7)
        return ROWS[offset : offset + limit], {}

    with api(capped) as (client, seen):
        assert ids(client.paginate("/rows", OffsetLimitPaginator(limit=10))) == list(range(23))
    assert [r.args["offset"] for r in seen] == ["0", "7", "14", "21", "23"]


def test_offset_limit_stops_at_a_short_page_below_the_announced_cap() -> None:
    def short(request: Request) -> tuple[object, dict[str, str]]:
        offset = int(request.args["offset"])
        return ROWS[offset : min(offset + 5, 12)], {"x-max-page-size": "5"}  # no total count

    with api(short) as (client, seen):
        assert ids(client.paginate("/rows", OffsetLimitPaginator(limit=5))) == list(range(12))
    assert len(seen) == 3


def test_page_numbers_until_a_short_page() -> None:
    def numbered(request: Request) -> tuple[object, dict[str, str]]:
        page, size = int(request.args["page"]), int(request.args["per_page"])
        return ROWS[(page - 1) * size : page * size], {}

    with api(numbered) as (client, seen):
        assert ids(client.paginate("/rows", PageNumberPaginator(size=10))) == list(range(23))
    assert [r.args["page"] for r in seen] == ["1", "2", "3"]


def test_cursor_token_from_the_body_and_from_a_header() -> None:
    def tokens(request: Request) -> tuple[object, dict[str, str]]:
        start = int(request.args.get("cursor", 0))
        nxt = str(start + 10) if start + 10 < len(ROWS) else None
        return {"data": ROWS[start : start + 10], "meta": {"next_cursor": nxt}}, {"X-Next": nxt or ""}

    with api(tokens) as (client, _):
        body = CursorPaginator(body_path="meta.next_cursor")
        assert ids(client.paginate("/rows", body, items="data")) == list(range(23))
        header = CursorPaginator(header="X-Next")
        assert ids(client.paginate("/rows", header, items="data")) == list(range(23))
    with pytest.raises(ValueError, match="exactly one"):
        CursorPaginator()


def test_next_link_in_the_body_by_json_path() -> None:
    def linked(request: Request) -> tuple[object, dict[str, str]]:
        page = int(request.args.get("p", 0))
        nxt = f"{request.host_url}rows?p={page + 1}" if (page + 1) * 10 < len(ROWS) else None
        return {"links": {"next": nxt}, "rows": ROWS[page * 10 : page * 10 + 10]}, {}

    with api(linked) as (client, seen):
        assert ids(client.paginate("/rows", BodyLinkPaginator("$.links.next"), items="rows")) == list(range(23))
    assert len(seen) == 3


def test_json_path_reads_dotted_paths_and_indices() -> None:
    body = {"meta": {"pagination": {"next": "u"}}, "data": [{"id": 7}]}
    assert json_path(body, "meta.pagination.next") == "u"
    assert json_path(body, "$.data.0.id") == 7
    assert json_path(body, "data.3.id") is None and json_path(body, "meta.nope") is None
