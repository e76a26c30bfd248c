"""The shared REST client against a real HTTP server on 127.0.0.1: retries, waits, paging, errors."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connector_core.source import SourceAuthError, SourceError, SourcePermissionError, SourceUnavailable
from connector_core.transport import (
    Backoff,
    BearerAuth,
    LinkHeaderPaginator,
    OffsetLimitPaginator,
    QueryTokenAuth,
    RemainingBudgetWatcher,
    RestClient,
    RetryPolicy,
    parse_retry_after,
)

TOKEN = "s3cret-token-value"
FAST = Backoff(initial=0.01, maximum=0.05)

Handler = Callable[[Request, int], Response]


class Server:
    """A loopback HTTP server whose routes tests set; counts hits per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: dict[str, int] = defaultdict(int)
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self.httpd = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"

    def _app(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        with self._lock:
            self.hits[request.path] += 1
            count = self.hits[request.path]
            self.requests.append(request)
        handler = self.routes.get(request.path)
        response = handler(request, count) if handler else Response("no route", status=404)
        return response(environ, start_response)


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    thread = threading.Thread(target=srv.httpd.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.httpd.shutdown()
    thread.join(5)


def client(server: Server, *, max_retries: int = 5, max_wait: float = 600.0, **kwargs) -> RestClient:  # type: ignore[no-untyped-def]
    kwargs.setdefault("auth", BearerAuth(TOKEN))
    retry = RetryPolicy(max_retries=max_retries, backoff=FAST, max_wait=max_wait)
    return RestClient(server.url, retry=retry, **kwargs)


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    import json

    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def test_429_is_retried_after_the_retry_after_seconds(server: Server) -> None:
    server.routes["/x"] = lambda req, n: (
        Response("slow down", status=429, headers={"Retry-After": "1"}) if n == 1 else json_response({"ok": True})
    )
    with client(server) as c:
        started = time.monotonic()
        response = c.get("/x")
        waited = time.monotonic() - started
    assert response.body == {"ok": True}
    assert 1.0 <= waited < 2.5
    assert c.requests_made == 2 and c.retries == 1


def test_retry_after_as_http_date_is_honoured(server: Server) -> None:
    def handler(req: Request, n: int) -> Response:
        if n == 1:
            when = datetime.now(UTC) + timedelta(seconds=2)
            return Response("busy", status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})
        return json_response([1])

    server.routes["/d"] = handler
    with client(server) as c:
        started = time.monotonic()
        assert c.get("/d").body == [1]
    assert time.monotonic() - started >= 1.0  # HTTP dates have one-second resolution


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_5xx_is_retried_then_gives_up_with_source_unavailable(server: Server) -> None:
    error = {"errors": [{"message": "An error occurred."}]}
    server.routes["/down"] = lambda req, n: json_response(error, 500)
    with client(server, max_retries=3) as c, pytest.raises(SourceUnavailable) as info:
        c.get("/down")
    assert server.hits["/down"] == 4
    assert c.requests_made == 4
    message = str(info.value)
    assert "GET /down" in message and "HTTP 500" in message and "4 attempts" in message


def test_5xx_then_success(server: Server) -> None:
    server.routes["/flaky"] = lambda req, n: json_response({}, 502) if n < 3 else json_response({"n": n})
    with client(server) as c:
        assert c.get("/flaky").body == {"n": 3}


def test_link_header_paging_follows_next_until_absent(server: Server) -> None:
    pages = {None: ([1, 2], "bookmark:Zm9v"), "bookmark:Zm9v": ([3, 4], "bookmark:YmFy"), "bookmark:YmFy": ([5], None)}

    def handler(req: Request, n: int) -> Response:
        assert req.args.get("per_page") == "2" or req.args.get("page")
        items, nxt = pages[req.args.get("page")]
        links = [f'<{server.url}/items?page=first&per_page=2>; rel="first"']
        if nxt:  # no rel="last": bookmark pagination never sends it
            links.insert(0, f'<{server.url}/items?page={nxt}&per_page=2>; rel="next"')
        return json_response(items, headers={"Link": ", ".join(links)})

    server.routes["/items"] = handler
    with client(server) as c:
        pages_seen = c.paginate("/items", LinkHeaderPaginator(), params={"per_page": 2})
        items = [x for page in pages_seen for x in page.items]
    assert items == [1, 2, 3, 4, 5]
    assert c.requests_made == 3


def test_body_next_fallback_for_json_api_pagination(server: Server) -> None:
    def handler(req: Request, n: int) -> Response:
        page = int(req.args.get("page", 1))
        nxt = f"{server.url}/rollups?page={page + 1}" if page < 3 else None
        return json_response({"rollups": [page], "meta": {"pagination": {"next": nxt}}})

    server.routes["/rollups"] = handler
    paginator = LinkHeaderPaginator(body_next="meta.pagination.next")
    with client(server) as c:
        assert [p.items[0] for p in c.paginate("/rollups", paginator, items="rollups")] == [1, 2, 3]


def test_query_token_is_re_appended_to_next_links(server: Server) -> None:
    def handler(req: Request, n: int) -> Response:
        if req.args.get("access_token") != TOKEN:
            return json_response({"errors": [{"message": "Invalid access token."}]}, 401)
        links = {} if req.args.get("page") else {"Link": f'<{server.url}/q?page=2>; rel="next"'}
        return json_response([n], headers=links)

    server.routes["/q"] = handler
    with client(server, auth=QueryTokenAuth("access_token", TOKEN)) as c:
        assert [p.items[0] for p in c.paginate("/q", LinkHeaderPaginator())] == [1, 2]
    assert all("Authorization" not in r.headers for r in server.requests)


def test_next_link_to_another_host_is_refused(server: Server) -> None:
    link = {"Link": '<http://elsewhere.invalid/x>; rel="next"'}
    server.routes["/evil"] = lambda req, n: json_response([1], headers=link)
    with client(server) as c, pytest.raises(SourceError, match="not on"):
        list(c.paginate("/evil", LinkHeaderPaginator()))
    assert c.requests_made == 1


def test_offset_limit_paging_advances_by_what_arrived(server: Server) -> None:
    data = list(range(23))

    def handler(req: Request, n: int) -> Response:
        offset, limit = int(req.args["offset"]), min(int(req.args["limit"]), 5)  # silent cap
        return json_response(data[offset : offset + limit], headers={"X-Total-Count": str(len(data))})

    server.routes["/ethos"] = handler
    with client(server) as c:
        got = [x for page in c.paginate("/ethos", OffsetLimitPaginator(limit=10)) for x in page.items]
    assert got == data
    assert c.requests_made == 5


def test_timeout_is_retried_then_source_unavailable(server: Server) -> None:
    def slow(req: Request, n: int) -> Response:
        time.sleep(0.5)
        return json_response({})

    server.routes["/slow"] = slow
    with client(server, timeout=0.1, max_retries=1) as c, pytest.raises(SourceUnavailable, match=r"within 0\.1s"):
        c.get("/slow")
    assert c.requests_made == 2


def test_throttle_hook_retries_a_403_that_means_rate_limited(server: Server) -> None:
    server.routes["/t"] = lambda req, n: (
        Response("403 Forbidden (Rate Limit Exceeded)\n", status=403) if n <= 2 else json_response([])
    )
    server.routes["/forbidden"] = lambda req, n: json_response({"errors": [{"message": "nope"}]}, 403)
    throttled = lambda r: r.status_code == 403 and "Rate Limit Exceeded" in r.text  # noqa: E731
    with client(server, is_throttled=throttled) as c:
        assert c.get("/t").body == []
        with pytest.raises(SourcePermissionError, match="GET /forbidden"):
            c.get("/forbidden")
    assert server.hits["/t"] == 3 and server.hits["/forbidden"] == 1


def test_error_mapping_and_classifier_hook(server: Server) -> None:
    bad_token = {"errors": [{"message": "Invalid access token."}]}
    server.routes["/auth"] = lambda req, n: json_response(bad_token, 401)
    server.routes["/missing"] = lambda req, n: json_response({"errors": [{"message": "does not exist"}]}, 404)
    with client(server) as c:
        with pytest.raises(SourceAuthError, match="Invalid access token"):
            c.get("/auth")
        with pytest.raises(SourceError, match="HTTP 404"):
            c.get("/missing")
    custom = SourcePermissionError("custom wording")
    with client(server, classify_error=lambda r, endpoint: custom if r.status_code == 401 else None) as c:
        with pytest.raises(SourcePermissionError, match="custom wording"):
            c.get("/auth")
        with pytest.raises(SourceError, match="HTTP 404"):
            c.get("/missing")
    assert server.hits["/auth"] == 2  # errors are not retried


def test_rate_limit_watcher_pauses_before_the_bucket_empties(server: Server) -> None:
    server.routes["/b"] = lambda req, n: json_response([], headers={"X-Rate-Limit-Remaining": "10.0"})
    watcher = RemainingBudgetWatcher("X-Rate-Limit-Remaining", low_water=60, refill_per_second=100)
    with client(server, rate_limit=watcher) as c:
        c.get("/b")
        started = time.monotonic()
        c.get("/b")
        waited = time.monotonic() - started
    assert watcher.pauses == 2
    assert waited >= 0.45  # (60 - 10) / 100 per second


def test_token_is_sent_as_bearer_and_never_logged(server: Server, debug_log: pytest.LogCaptureFixture) -> None:
    server.routes["/me"] = lambda req, n: json_response({"id": 1}) if n > 1 else json_response({}, 503)
    with client(server) as c:
        c.get("/me", params={"secret_param": "also-hidden"})
        assert TOKEN not in repr(c.wire.session.auth)
    assert server.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"
    # urllib3 logs full URLs at DEBUG: secrets belong in headers, which nobody logs
    text = "\n".join(r.getMessage() for r in debug_log.records if r.name.startswith("lerconnect"))
    assert "GET /me" in text
    assert TOKEN not in text and "also-hidden" not in text


def test_tls_verification_is_on_by_default(server: Server) -> None:
    assert client(server).wire.session.verify is True


def test_bad_base_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="absolute http"):
        RestClient("school.example.edu")
