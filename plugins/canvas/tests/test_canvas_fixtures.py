"""The plugin's client and normalizer on the canvasapi fixture payloads in ../shared/sources/canvas/.

The payloads are served over loopback exactly as recorded (bodies, `Link` headers with the host
rewritten to the test server), so paging and unwrapping are exercised on third-party shapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from lerconnect_canvas import CanvasSource
from lerconnect_canvas.client import CanvasClient
from lerconnect_canvas.config import Config
from lerconnect_canvas.normalize import Normalizer
from werkzeug.wrappers import Request, Response

from connector_core import SourceContext
from connector_core.testing import serve_sandbox, shared_path

USED = {
    "account.json": ["get_enrollment_terms", "get_courses", "get_courses_page_2", "users", "users_page_2"],
    "course.json": ["list_enrollments", "list_enrollments_2"],
    "outcome.json": ["course_outcome_links_in_context", "course_get_outcome_result_rollups", "outcome_example"],
    "user.json": ["get_by_id_self"],
}
RECORDED_HOSTS = ("https://example.com", "https://canvas.instructure.com")


def exchanges() -> dict[str, dict[str, Any]]:
    fixtures = shared_path("sources", "canvas", "canvasapi-fixtures")
    out = {}
    for name, keys in USED.items():
        recorded = json.loads((fixtures / name).read_text())
        out.update({key: recorded[key] for key in keys})
    return out


@pytest.fixture
def recorded() -> Iterator[tuple[str, dict[str, Any]]]:
    found = exchanges()
    by_route: dict[tuple[str, str | None], dict[str, Any]] = {}
    for exchange in found.values():
        path, _, query = exchange["endpoint"].partition("?")
        page = dict(p.split("=") for p in query.split("&")).get("page") if query else None
        by_route[(f"/api/v1/{path}", page)] = exchange

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        exchange = by_route.get((request.path, request.args.get("page")))
        if exchange is None:
            return Response("{}", status=404)(environ, start_response)
        headers = {
            k: v.replace(host, base)
            for k, v in exchange.get("headers", {}).items()
            for host in RECORDED_HOSTS
            if host in v
        } or {}
        return Response(
            json.dumps(exchange["data"]),
            status=exchange.get("status_code", 200),
            headers=headers,
            content_type="application/json",
        )(environ, start_response)

    with serve_sandbox(app) as base:
        yield base, found


def client(base: str) -> CanvasClient:
    config = Config(plugin="canvas", base_url=base, token="fixture-token", account_id="1")
    return CanvasSource(config, SourceContext(name="canvas", plugin="canvas", plugin_version="test")).client


def test_wrapped_terms_and_link_paged_lists(recorded: tuple[str, dict[str, Any]]) -> None:
    base, _ = recorded
    canvas = client(base)
    assert [t["name"] for t in canvas.terms()] == ["Enrollment Term 1", "Enrollment Term 2"]
    assert [c["id"] for c in canvas.courses(1)] == [1, 2, 3, 4]
    # the recorded next link even points at another path (…/list_enrollments): it is followed as given
    assert [e["id"] for e in canvas.student_enrollments(1)] == [1, 2, 3, 4]
    assert [u["name"] for u in canvas.users()] == ["User 1", "User 2", "User 3", "User 4"]
    assert canvas.rest.requests_made == 7


def test_outcome_links_and_rollups(recorded: tuple[str, dict[str, Any]]) -> None:
    base, found = recorded
    canvas = client(base)
    links = canvas.outcome_links(1)
    assert [link["outcome"]["id"] for link in links] == [3, 4]
    rollups = canvas.rollups(1)
    assert [r["links"]["user"] for r in rollups] == ["1", "2"]
    outcome = found["outcome_example"]["data"]  # ratings are null here: no levels, mastery still decided
    user = {"id": 1, "name": "John Doe", "sis_user_id": "S1"}
    raw = {
        "kind": "outcome_rollup",
        "user": user,
        "course": {"id": 1},
        "outcome": outcome,
        "score": rollups[0]["scores"][0],
    }
    [record] = Normalizer(Config(plugin="canvas", base_url=base, token="t"))("competencies", raw)
    assert (record.result.score, record.result.mastered, record.result.level) == (3.0, True, None)
    assert record.achievement.code == "customid9000"


def test_check_reports_user_and_missing_sis_ids(recorded: tuple[str, dict[str, Any]]) -> None:

    base, _ = recorded
    config = Config(plugin="canvas", base_url=base, token="fixture-token", account_id="1")
    line = CanvasSource(config, SourceContext("canvas", "canvas", "0")).check()
    assert "John Doe (user 1)" in line and "SIS ids NOT visible" in line
