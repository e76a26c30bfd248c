"""Sources that misbehave, over real loopback servers: each fails soon, saying what happened.

Trickling bodies, broken JSON, far-future Retry-After, endless next links, redirects to another
host, nothing listening, a name that does not resolve (issue 10 §7, issue 8 §10).
"""

from __future__ import annotations

import importlib.util
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.plugins import load_registry
from connector_core.sandbox import serve
from connector_core.source import SourceAuthError, SourceError, SourceUnavailable
from connector_core.transport import Backoff, BearerAuth, LinkHeaderPaginator, RestClient, RetryPolicy

FAST = Backoff(initial=0.01, maximum=0.05)
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "engage_plugin.py"


class Hits:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def count(self, path: str) -> int:
        return self.paths.count(path)


@contextmanager
def api(routes: dict[str, Callable[[Request, int], Response]]) -> Iterator[tuple[str, Hits]]:
    hits = Hits()

    @Request.application
    def app(request: Request) -> Response:
        hits.paths.append(request.path)
        handler = routes.get(request.path)
        return handler(request, hits.count(request.path)) if handler else Response("no route", 404)

    with serve(app) as url:
        yield url, hits


def client(url: str, *, max_retries: int = 3, max_wait: float = 600.0, **kwargs) -> RestClient:  # type: ignore[no-untyped-def]
    retry = RetryPolicy(max_retries=max_retries, backoff=FAST, max_wait=max_wait)
    return RestClient(url, auth=BearerAuth("tok"), retry=retry, **kwargs)


def as_json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_body_trickling_a_byte_at_a_time_hits_the_total_deadline() -> None:
    def trickle(request: Request, n: int) -> Response:
        def body() -> Iterator[bytes]:
            for byte in b'{"data": "' + b"x" * 40 + b'"}':
                time.sleep(0.1)
                yield bytes([byte])

        return Response(body(), content_type="application/json", headers={"Content-Length": "52"})

    with api({"/slow": trickle}) as (url, _), client(url, max_retries=0, timeout=1.0) as c:
        started = time.monotonic()
        with pytest.raises(SourceUnavailable, match=r"GET /slow: the answer was still arriving after 1s"):
            c.get("/slow")
        assert time.monotonic() - started < 2.5  # each byte came well within a read timeout


def test_truncated_json_is_asked_for_once_more_then_named() -> None:
    routes = {
        "/hiccup": lambda req, n: Response('[{"id": 1', content_type="application/json") if n == 1 else as_json([1]),
        "/broken": lambda req, n: Response('[{"id": 1', content_type="application/json"),
    }
    with api(routes) as (url, hits), client(url) as c:
        assert c.get("/hiccup").body == [1]
        with pytest.raises(SourceError) as info:
            list(c.paginate("/broken", LinkHeaderPaginator()))
    assert hits.count("/broken") == 2
    message = str(info.value)
    assert message.startswith("GET /broken: the answer is not valid JSON") and "twice in a row" in message
    assert not isinstance(info.value, SourceUnavailable | SourceAuthError)


def test_an_html_page_with_status_200_is_a_clear_error() -> None:
    page = "<html><body>Please sign in</body></html>"
    html = {"/me": lambda req, n: Response(page, content_type="text/html")}
    with (
        api(html) as (url, hits),
        client(url) as c,
        pytest.raises(SourceError, match=r"GET /me: the answer is not valid JSON \(text/html"),
    ):
        c.get("/me")
    assert hits.count("/me") == 2


def test_a_body_of_the_wrong_shape_is_a_clear_error() -> None:
    routes = {"/list": lambda req, n: as_json({"error": "maintenance"}), "/one": lambda req, n: as_json([1, 2])}
    with api(routes) as (url, _), client(url) as c:
        missing = r"GET /list: expected a list at rollups, got nothing: the answer is an object with keys error"
        with pytest.raises(SourceError, match=missing):
            list(c.paginate("/list", LinkHeaderPaginator(), items="rollups"))
        with pytest.raises(SourceError, match=r"GET /list: expected a list at the items, got nothing"):
            list(c.paginate("/list", LinkHeaderPaginator(), items=lambda body: body.get("rows")))
        with pytest.raises(SourceError, match=r"GET /one: expected a JSON object, got a JSON list"):
            c.get("/one", expect=dict)


def test_retry_after_a_day_gives_up_at_once_and_says_so() -> None:
    next_year = format_datetime(datetime.now(UTC) + timedelta(days=365), usegmt=True)
    busy = {
        "/x": lambda req, n: Response("busy", 503, headers={"Retry-After": "86400"}),
        "/y": lambda req, n: Response("busy", 429, headers={"Retry-After": next_year}),
    }
    with api(busy) as (url, hits), client(url) as c:
        with pytest.raises(SourceUnavailable) as info:
            c.get("/x")
        with pytest.raises(SourceUnavailable, match=r"GET /y: throttled \(HTTP 429\): the server asked to wait 315"):
            c.get("/y")
    assert hits.count("/x") == 1 and hits.count("/y") == 1 and c.retry.waited == 0
    assert "asked to wait 86400s (Retry-After)" in str(info.value) and "max_wait_seconds" in str(info.value)


def test_the_total_retry_after_wait_of_a_client_is_capped() -> None:
    busy = {"/x": lambda req, n: Response("slow down", 429, headers={"Retry-After": "1"})}
    with api(busy) as (url, hits), client(url, max_retries=8, max_wait=1.5) as c:
        started = time.monotonic()
        with pytest.raises(SourceUnavailable, match=r"at most 2s in all .*1s already spent"):
            c.get("/x")
        waited = time.monotonic() - started
    assert hits.count("/x") == 2 and 1.0 <= waited < 2.5


def test_a_next_link_that_never_ends_stops_at_the_page_limit() -> None:
    def endless(request: Request, n: int) -> Response:
        return as_json([n], headers={"Link": f'<{request.host_url}feed?page={n + 1}>; rel="next"'})

    with api({"/feed": endless}) as (url, hits), client(url, max_pages=5) as c:
        pages = c.paginate("/feed", LinkHeaderPaginator())
        with pytest.raises(SourceError, match=r"GET /feed: still sending a next page after 5 pages.*raise max_pages"):
            list(pages)
    assert hits.count("/feed") == 5


def test_a_redirect_to_another_host_is_refused_as_a_redirect_not_a_bad_token() -> None:
    elsewhere_routes = {"/api/me": lambda req, n: Response("unauthorized", 401)}
    with api(elsewhere_routes) as (elsewhere, other_hits):
        moved = elsewhere.replace("127.0.0.1", "localhost") + "/api/me"
        routes = {
            "/me": lambda req, n: Response("", 301, headers={"Location": moved}),
            "/old": lambda req, n: Response("", 302, headers={"Location": "/new"}),
            "/new": lambda req, n: as_json({"ok": True}),
        }
        with api(routes) as (url, _), client(url) as c:
            assert c.get("/old").body == {"ok": True}  # the same host: followed
            with pytest.raises(SourceError) as info:
                c.get("/me")
    assert not isinstance(info.value, SourceAuthError)
    message = str(info.value)
    assert "GET /me: the server redirected (HTTP 301) to http://localhost:" in message
    assert "does not follow redirects to another host" in message and "set base_url" in message
    assert other_hits.paths == []  # the token never went there


def test_nothing_listening_fails_at_once_without_retries() -> None:
    port = free_port()
    with client(f"http://127.0.0.1:{port}", max_retries=5) as c, pytest.raises(SourceUnavailable) as info:
        c.get("/api/v1/users/self")
    assert str(info.value).startswith(f"nothing is listening at http://127.0.0.1:{port}")
    assert "concurrency" not in str(info.value)
    assert c.requests_made == 1 and c.retries == 0


def test_a_name_that_does_not_resolve_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # `.invalid` never resolves (RFC 6761), but glibc here would still ask the configured name
    # server (seen with strace in an empty network namespace), so the refusal a local resolver
    # gives is played here instead: the client code above it is real.
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    unresolved = r"GET /me: the host name school.invalid does not resolve"
    with client("https://school.invalid", max_retries=5) as c, pytest.raises(SourceUnavailable, match=unresolved):
        c.get("/me")
    assert c.requests_made == 1 and c.retries == 0


def test_a_sync_against_an_unreachable_source_fails_in_seconds(store) -> None:  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("engage_plugin", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    port = free_port()
    settings = settings_from_dict(
        {"sources": {"engage": {"plugin": "engage", "base_url": f"http://127.0.0.1:{port}", "token": "t"}}}
    )
    engine = SyncEngine(store, load_registry(extra_modules=(module,)), settings)
    started = time.monotonic()
    (result,) = engine.sync("engage")
    assert time.monotonic() - started < 5.0
    assert result.status == "failed"
    assert f"nothing is listening at http://127.0.0.1:{port}" in result.error


def test_an_unverifiable_certificate_is_named_and_not_retried() -> None:
    server = make_server("127.0.0.1", 0, Response("{}"), ssl_context="adhoc")  # a self-signed certificate
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with client(f"https://127.0.0.1:{server.server_port}") as c, pytest.raises(SourceError) as info:
            c.get("/me")
    finally:
        server.shutdown()
        thread.join(5)
    assert not isinstance(info.value, SourceUnavailable) and c.requests_made == 1
    assert f"GET /me: the TLS certificate of https://127.0.0.1:{server.server_port} could not be verified" in str(
        info.value
    )
