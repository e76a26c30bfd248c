"""Offset and Link paging with silent caps and total-count headers, over real loopback HTTP."""

from __future__ import annotations

import json

import requests
from werkzeug.wrappers import Request, Response

from connector_core.sandbox.paging import (
    BadBookmark,
    bookmarked_page,
    link_header,
    numbered_page,
    offset_page,
)
from connector_core.sandbox.serve import serve

ROWS = [{"id": i} for i in range(1, 24)]


def app(environ, start_response):
    request = Request(environ)
    if request.path == "/offset":
        page = offset_page(request, ROWS, default=10, maximum=5)
        response = Response(json.dumps(page.rows), content_type="application/json", headers=page.headers)
    elif request.path == "/numbered":
        page = numbered_page(request, ROWS, default=10, maximum=4, last=True)
        response = Response(json.dumps(page.rows), headers={"Link": link_header(page.links)})
    else:
        try:
            page = bookmarked_page(request, ROWS, lambda r: r["id"], default=10, maximum=6)
        except BadBookmark:
            response = Response("invalid bookmark", status=400)
        else:
            response = Response(json.dumps(page.rows), headers={"Link": link_header(page.links)})
    return response(environ, start_response)


def test_offset_limit_is_silently_capped_and_reports_total_and_cap():
    with serve(app) as base:
        got, offset = [], 0
        while True:
            response = requests.get(f"{base}/offset", params={"offset": offset, "limit": 100}, timeout=5)
            rows = response.json()
            assert len(rows) <= 5  # asked 100, got the cap without a word
            assert response.headers["x-total-count"] == "23" and response.headers["x-max-page-size"] == "5"
            if not rows:
                break
            got += rows
            offset += len(rows)  # advance by what came back, not by what was asked
        assert got == ROWS


def follow(url: str) -> list[dict]:
    rows = []
    while url:
        response = requests.get(url, timeout=5)
        rows += response.json()
        url = response.links.get("next", {}).get("url")
    return rows


def test_numbered_link_paging_caps_per_page_and_links_every_page():
    with serve(app) as base:
        first = requests.get(f"{base}/numbered", params={"per_page": 50, "access_token": "secret"}, timeout=5)
        assert len(first.json()) == 4
        assert "per_page=4" in first.links["last"]["url"] and "page=6" in first.links["last"]["url"]
        assert "secret" not in first.headers["Link"]  # credentials never echoed into links
        assert follow(f"{base}/numbered?per_page=50") == ROWS
        past = requests.get(f"{base}/numbered", params={"page": 99}, timeout=5)
        assert past.json() == [] and "next" not in past.links


def test_bookmark_paging_is_opaque_and_refuses_forged_bookmarks():
    with serve(app) as base:
        first = requests.get(f"{base}/bookmarks", params={"per_page": 500}, timeout=5)
        assert len(first.json()) == 6 and "last" not in first.links
        assert "page=bookmark%3A" in first.links["next"]["url"]
        assert follow(f"{base}/bookmarks?per_page=500") == ROWS
        forged = requests.get(f"{base}/bookmarks", params={"page": "bookmark:!!not-ours"}, timeout=5)
        assert forged.status_code == 400
