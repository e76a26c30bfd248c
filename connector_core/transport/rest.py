"""The REST client every REST source uses: retries, throttling, paging, JSON answers, errors.

A plugin says only what is specific to its system (how a throttled answer looks, which header
reports the rate-limit budget, how to word a 401); everything else lives here, once. A broken
answer (truncated JSON, an HTML page with status 200, a body of the wrong shape) is asked for
once more, then reported naming the endpoint; a walk stops after `max_pages` pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from connector_core.source import SourceAuthError, SourceError, SourcePermissionError
from connector_core.transport.paginators import PageRequest, Paginator, Params, ResponsePage, json_path
from connector_core.transport.ratelimit import RateLimitWatcher
from connector_core.transport.retry import RetryPolicy, Transient, parse_retry_after
from connector_core.transport.wire import Wire, origin

log = logging.getLogger("lerconnect.transport")

ErrorClassifier = Callable[[requests.Response, str], SourceError | None]
"""(response, "GET /path") -> the error to raise, or None to use the default mapping."""
Items = str | Callable[[Any], Any] | None
"""Where a page's rows are: None (the body is the list), a JSON path, or a function of the body."""


class BadBody(ValueError):
    """The answer is not the JSON the caller expects."""


def error_summary(response: requests.Response, limit: int = 200) -> str:
    """The server's own short error message, from the usual JSON shapes or the text body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:limit]
    message: Any = None
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            message = errors[0].get("message") or errors[0].get("description")
        message = message or body.get("message") or body.get("error") or body.get("status")
    return str(message if message is not None else body)[:limit]


def default_error(response: requests.Response, endpoint: str) -> SourceError:
    """Map an unretryable HTTP error to a source error that names the endpoint and the fix."""
    status, summary = response.status_code, error_summary(response)
    if status == 401:
        return SourceAuthError(
            f"{endpoint}: HTTP 401 ({summary}): the credentials were refused; "
            "check the token or password in this source's config"
        )
    if status == 403:
        return SourcePermissionError(
            f"{endpoint}: HTTP 403 ({summary}): the account is not allowed "
            "to read this; grant it access to this endpoint"
        )
    if status == 404:
        return SourceError(f"{endpoint}: HTTP 404 ({summary}): check base_url and the ids in config")
    return SourceError(f"{endpoint}: HTTP {status} ({summary})")


def parse_json(response: requests.Response, items: Items = None, expect: type | None = None) -> ResponsePage:
    """The answer as a `ResponsePage`, or `BadBody` saying what was wrong with it."""
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        start = response.text.strip()[:60]
        raise BadBody(f"the answer is not valid JSON ({kind}, {len(response.content)} bytes: {start!r})") from None
    if expect is not None and not isinstance(body, expect):
        raise BadBody(f"expected a JSON {_kind(expect)}, got {_described(body)}")
    rows = body if items is None else items(body) if callable(items) else json_path(body, items)
    if items is not None and not isinstance(rows, list):
        where = items if isinstance(items, str) else "the items"
        found = _described(rows) if rows is not None else f"nothing: the answer is {_described(body)}"
        raise BadBody(f"expected a list at {where}, got {found}")
    return ResponsePage(
        url=response.url,
        status=response.status_code,
        headers=response.headers,
        body=body,
        items=rows if isinstance(rows, list) else [],
        links=response.links,
    )


def _kind(expect: type) -> str:
    return {dict: "object", list: "list"}.get(expect, expect.__name__)


def _described(value: Any) -> str:
    if isinstance(value, dict):
        return f"an object with keys {', '.join(sorted(map(str, value))[:5]) or '(none)'}"
    return "nothing" if value is None else f"a JSON {type(value).__name__}"


class RestClient:
    """A REST API at one base URL, with retries, throttling, paging and error mapping.

    Retried: connection breaks, timeouts, 5xx (but 501), 429 and whatever `is_throttled` says is a
    throttled answer; the wait is the server's `Retry-After` when sent (within the policy's total
    allowance), else exponential backoff. Other errors go through `classify_error` (plugin
    wording) or `default_error`. Thread-safe for concurrent GETs.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: AuthBase | None = None,
        timeout: float = 60.0,
        verify: bool | str = True,
        user_agent: str = "lerconnect",
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        max_pages: int = 10_000,
        is_throttled: Callable[[requests.Response], bool] | None = None,
        classify_error: ErrorClassifier | None = None,
        rate_limit: RateLimitWatcher | None = None,
        pool_size: int = 10,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url {base_url!r} must be an absolute http(s) URL, e.g. https://school.example.edu")
        self.base_url = base_url.rstrip("/")
        self.wire = Wire(
            base_url,
            timeout=timeout,
            verify=verify,
            user_agent=user_agent,
            headers={"Accept": "application/json", **(headers or {})},
            auth=auth,
            pool_size=pool_size,
        )
        self.retry = retry or RetryPolicy()
        self.max_pages = max_pages
        self.is_throttled = is_throttled
        self.classify_error = classify_error
        self.rate_limit = rate_limit

    def __repr__(self) -> str:
        return f"RestClient({self.base_url!r})"

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.wire.close()

    @property
    def requests_made(self) -> int:
        """Every HTTP request sent, retries included."""
        return self.wire.requests_made

    @property
    def retries(self) -> int:
        return self.retry.retries

    def url(self, path: str) -> str:
        """Absolute URL for a path; an absolute URL (a next link) must stay on the base URL's origin."""
        if "://" not in path:
            return f"{self.base_url}/{path.lstrip('/')}"
        if origin(path) != self.wire.origin:
            parts = urlsplit(path)
            raise SourceError(
                f"the server sent a link to {parts.scheme}://{parts.netloc}{parts.path}, which is not "
                f"on {self.base_url}; refusing to send the credentials there — check base_url "
                "(it must be the exact scheme and host the API answers on)"
            )
        return path

    def request(self, method: str, path: str, *, params: Params = None, **kwargs: Any) -> requests.Response:
        """Send one request with retries; return a 2xx/3xx response or raise a `SourceError`."""
        return self.retry.call(self._send, method, self.url(path), params, kwargs)

    def get(self, path: str, params: Params = None, *, expect: type | None = None) -> ResponsePage:
        """GET one JSON answer; `expect` (dict or list) is the shape the caller relies on."""
        return self._get_json(PageRequest(path, params), None, expect)

    def paginate(
        self, path: str, paginator: Paginator, *, params: Params = None, items: Items = None
    ) -> Iterator[ResponsePage]:
        """Yield each page, following `paginator` until it says there is no next page.

        `items` says where each page's rows are (default: the body is the list). An endpoint
        whose next link never ends stops with an error after `max_pages` pages.
        """
        current: PageRequest | None = paginator.first(path, params)
        seen: set[tuple[str, str]] = set()
        while current is not None:
            where = f"GET {urlsplit(current.url).path}"
            key = (current.url, repr(current.params))
            if key in seen:
                raise SourceError(
                    f"{where}: the server sent the same next page twice; stopping to avoid an endless loop"
                )
            if len(seen) >= self.max_pages:
                raise SourceError(
                    f"{where}: still sending a next page after {self.max_pages} pages, so the paging may "
                    "never end; stopping. If the data really is that large, raise max_pages for this source"
                )
            seen.add(key)
            page = self._get_json(current, items, None)
            yield page
            current = paginator.next(page, current)

    def _get_json(self, request: PageRequest, items: Items, expect: type | None) -> ResponsePage:
        """A broken answer is often a hiccup (a proxy's error page, a cut connection): ask once more."""
        where = f"GET {urlsplit(request.url).path}"
        for attempt in (1, 2):
            response = self.request("GET", request.url, params=request.params)
            try:
                return parse_json(response, items, expect)
            except BadBody as exc:
                problem = exc
                if attempt == 1:
                    log.warning("%s: %s; asking once more", where, exc)
        raise SourceError(
            f"{where}: {problem}, twice in a row; the system is not answering with the data "
            "lerconnect reads — check that base_url points at the API, not a login or error page"
        )

    def _send(self, method: str, url: str, params: Params, kwargs: dict[str, Any]) -> requests.Response:
        endpoint = f"{method} {urlsplit(url).path}"
        if self.rate_limit is not None:
            self.rate_limit.before_request()
        response = self.wire.send(method, url, params=params, **kwargs)
        if self.rate_limit is not None:
            self.rate_limit.after_response(response.headers)
        status = response.status_code
        if status == 429 or (self.is_throttled is not None and self.is_throttled(response)):
            wait = parse_retry_after(response.headers.get("Retry-After"))
            raise Transient(endpoint, f"throttled (HTTP {status})", "throttled", wait)
        if status >= 500 and status != 501:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            raise Transient(endpoint, f"server error (HTTP {status})", "server", wait)
        if status >= 400:
            error = self.classify_error(response, endpoint) if self.classify_error else None
            raise error or default_error(response, endpoint)
        return response
