"""The shared REST client every REST source uses: retries, throttling, paging, timeouts, errors.

A plugin says only what is specific to its system (how a throttled answer looks, which header
reports the rate-limit budget, how to word a 401); everything else lives here, once. Secrets are
never logged: log lines carry the method, the URL path (no query string) and the status.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import requests
from pydantic import SecretStr
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from connector_core.source import SourceAuthError, SourceError, SourcePermissionError, SourceUnavailable

log = logging.getLogger("lerconnect.http")

Params = Mapping[str, Any] | list[tuple[str, Any]] | None
ErrorClassifier = Callable[[requests.Response, str], SourceError | None]
"""(response, "GET /path") -> the error to raise, or None to use the default mapping."""


@dataclass(frozen=True)
class Backoff:
    """Waits between retries: exponential from `initial` to `maximum` when the server names none."""

    initial: float = 1.0
    maximum: float = 60.0
    max_retry_after: float = 300.0
    """A `Retry-After` longer than this is cut to it, so a bad header cannot stall a run for hours."""

    def delay(self, attempt: int) -> float:
        """Exponential, with jitter so threads throttled together do not retry together."""
        return min(self.maximum, self.initial * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


class RateLimitWatcher(Protocol):
    """Sees every request go out and every response come back; may pause before the next request."""

    def before_request(self) -> None: ...

    def after_response(self, response: requests.Response) -> None: ...


class RemainingBudgetWatcher:
    """Slows down before a leaky-bucket budget runs out, reading a "remaining" header.

    Canvas sends `X-Rate-Limit-Remaining` (high-water mark minus bucket level) and drains the
    bucket at a steady rate; pausing for the time the bucket needs to get back above `low_water`
    is cheaper than being throttled and backing off. Shared by all threads of one client.
    """

    def __init__(self, header: str, *, low_water: float, refill_per_second: float, max_pause: float = 30.0) -> None:
        self.header = header
        self.low_water = low_water
        self.refill_per_second = refill_per_second
        self.max_pause = max_pause
        self.pauses = 0
        self._resume_at = 0.0
        self._lock = threading.Lock()

    def before_request(self) -> None:
        with self._lock:
            wait = self._resume_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def after_response(self, response: requests.Response) -> None:
        try:
            remaining = float(response.headers[self.header])
        except (KeyError, ValueError):
            return
        if remaining >= self.low_water:
            return
        pause = min(self.max_pause, (self.low_water - remaining) / self.refill_per_second)
        with self._lock:
            self.pauses += 1
            self._resume_at = max(self._resume_at, time.monotonic() + pause)
        log.debug("rate-limit budget low (%s=%.1f): pausing requests %.2fs", self.header, remaining, pause)


@dataclass(frozen=True)
class PageRequest:
    """The next request of a paginated walk: a path or absolute URL, and query parameters."""

    url: str
    params: Params = None


class Paginator(Protocol):
    """Says how to ask for the first page and, from a response, for the next one (None: done)."""

    def first(self, path: str, params: Params) -> PageRequest: ...

    def next(self, response: requests.Response, current: PageRequest) -> PageRequest | None: ...


class LinkHeaderPaginator:
    """Follows `Link: <url>; rel="next"` until absent; links are opaque, page numbers never computed.

    `body_next` reads a next-page URL from the body for APIs that put it there instead (JSON:API
    `meta.pagination.next`); the header wins when both are present.
    """

    def __init__(self, body_next: Callable[[requests.Response], str | None] | None = None) -> None:
        self.body_next = body_next

    def first(self, path: str, params: Params) -> PageRequest:
        return PageRequest(path, params)

    def next(self, response: requests.Response, current: PageRequest) -> PageRequest | None:
        url = response.links.get("next", {}).get("url")
        if not url and self.body_next is not None:
            url = self.body_next(response)
        return PageRequest(url) if url else None


class OffsetLimitPaginator:
    """Offset/limit paging (Ethos style): advance by the items received, stop at the total or empty.

    The server may cap `limit` silently, so the offset moves by what arrived, not by what was asked.
    """

    def __init__(
        self,
        limit: int = 100,
        *,
        offset_param: str = "offset",
        limit_param: str = "limit",
        total_header: str = "X-Total-Count",
        count: Callable[[requests.Response], int] = lambda r: len(r.json()),
    ) -> None:
        self.limit = limit
        self.offset_param = offset_param
        self.limit_param = limit_param
        self.total_header = total_header
        self.count = count

    def first(self, path: str, params: Params) -> PageRequest:
        return PageRequest(path, {**dict(params or {}), self.offset_param: 0, self.limit_param: self.limit})

    def next(self, response: requests.Response, current: PageRequest) -> PageRequest | None:
        received = self.count(response)
        if received == 0:
            return None
        params = dict(current.params or {})
        offset = int(params[self.offset_param]) + received
        total = response.headers.get(self.total_header)
        if total is not None and total.isdigit() and offset >= int(total):
            return None
        return PageRequest(current.url, {**params, self.offset_param: offset})


class _BearerAuth(AuthBase):
    """Adds the token at send time; its repr never shows it."""

    def __init__(self, token: SecretStr, scheme: str) -> None:
        self._token = token
        self._scheme = scheme

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"{self._scheme} {self._token.get_secret_value()}"
        return request

    def __repr__(self) -> str:
        return f"_BearerAuth({self._scheme} **********)"


class _Retry(Exception):
    def __init__(self, endpoint: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.endpoint = endpoint
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


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


class RestClient:
    """A `requests.Session` with retries, throttling, paging and error mapping for one base URL.

    Retried: connection errors, timeouts, 5xx (but 501), 429 and whatever `is_throttled` says is a
    throttled answer; the wait is the server's `Retry-After` when sent, else exponential backoff.
    Other errors go through `classify_error` (plugin wording) or `default_error`. Thread-safe for
    concurrent GETs; `requests_made` counts every HTTP request sent, retries included.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: SecretStr | str | None = None,
        auth_scheme: str = "Bearer",
        token_param: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | tuple[float, float] = (10.0, 60.0),
        verify: bool | str = True,
        user_agent: str = "lerconnect",
        max_retries: int = 5,
        backoff: Backoff | None = None,
        is_throttled: Callable[[requests.Response], bool] | None = None,
        classify_error: ErrorClassifier | None = None,
        rate_limit: RateLimitWatcher | None = None,
        pool_size: int = 10,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url {base_url!r} must be an absolute http(s) URL, e.g. https://school.example.edu")
        self.base_url = base_url.rstrip("/")
        self._origin = (parts.scheme, parts.netloc)
        self._token = SecretStr(token) if isinstance(token, str) else token
        self._token_param = token_param
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff or Backoff()
        self.is_throttled = is_throttled
        self.classify_error = classify_error
        self.rate_limit = rate_limit
        self.requests_made = 0
        self.retries = 0
        self._count_lock = threading.Lock()
        self.session = requests.Session()
        self.session.verify = verify
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept"] = "application/json"
        self.session.headers.update(headers or {})
        if self._token is not None and token_param is None:
            self.session.auth = _BearerAuth(self._token, auth_scheme)
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"RestClient({self.base_url!r})"

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        """Absolute URL for a path; an absolute URL (a next link) must stay on the base URL's origin."""
        if "://" not in path:
            return f"{self.base_url}/{path.lstrip('/')}"
        parts = urlsplit(path)
        if (parts.scheme, parts.netloc) != self._origin:
            where = f"{parts.scheme}://{parts.netloc}{parts.path}"
            raise SourceError(
                f"the server sent a link to {where}, which is not "
                f"on {self.base_url}; refusing to send the credentials there — check base_url "
                "(it must be the exact scheme and host the API answers on)"
            )
        return path

    def get(self, path: str, params: Params = None) -> requests.Response:
        return self.request("GET", path, params=params)

    def request(self, method: str, path: str, *, params: Params = None, **kwargs: Any) -> requests.Response:
        """Send one request with retries; return a 2xx/3xx response or raise a `SourceError`."""
        url = self.url(path)
        endpoint = f"{method} {urlsplit(url).path}"
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._send, method, url, endpoint, params, kwargs)
        except _Retry as exc:
            raise SourceUnavailable(
                f"{endpoint}: {exc.reason}, still failing after {self.max_retries + 1} attempts; the "
                "system may be down or throttling this account: try again later, or lower the concurrency"
            ) from None

    def paginate(self, path: str, paginator: Paginator, *, params: Params = None) -> Iterator[requests.Response]:
        """Yield each page's response, following `paginator` until it says there is no next page."""
        current: PageRequest | None = paginator.first(path, params)
        seen: set[tuple[str, str]] = set()
        while current is not None:
            key = (current.url, repr(current.params))
            if key in seen:
                raise SourceError(
                    f"GET {urlsplit(current.url).path}: the server sent the same next page "
                    "twice; stopping to avoid an endless loop"
                )
            seen.add(key)
            response = self.get(current.url, current.params)
            yield response
            current = paginator.next(response, current)

    def _send(self, method: str, url: str, endpoint: str, params: Params, kwargs: dict[str, Any]) -> requests.Response:
        if self._token_param and self._token is not None:
            params = self._with_token(url, params)
        if self.rate_limit is not None:
            self.rate_limit.before_request()
        with self._count_lock:
            self.requests_made += 1
        started = time.monotonic()
        try:
            response = self.session.request(method, url, params=params, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise _Retry(endpoint, f"timed out (limit {self.timeout}s)") from None
        except requests.ConnectionError as exc:
            raise _Retry(endpoint, f"could not connect ({type(exc).__name__})") from None
        log.debug("%s -> %s in %.3fs", endpoint, response.status_code, time.monotonic() - started)
        if self.rate_limit is not None:
            self.rate_limit.after_response(response)
        status = response.status_code
        if status == 429 or (self.is_throttled is not None and self.is_throttled(response)):
            raise _Retry(endpoint, f"throttled (HTTP {status})", parse_retry_after(response.headers.get("Retry-After")))
        if status >= 500 and status != 501:
            raise _Retry(
                endpoint, f"server error (HTTP {status})", parse_retry_after(response.headers.get("Retry-After"))
            )
        if status >= 400:
            error = self.classify_error(response, endpoint) if self.classify_error else None
            raise error or default_error(response, endpoint)
        return response

    def _with_token(self, url: str, params: Params) -> list[tuple[str, Any]]:
        """Query-string auth: links the server sends drop the token, so put it back on every request."""
        assert self._token is not None and self._token_param is not None
        pairs = list(params.items()) if isinstance(params, Mapping) else list(params or [])
        in_url = any(k == self._token_param for k, _ in parse_qsl(urlsplit(url).query))
        if not in_url and all(k != self._token_param for k, _ in pairs):
            pairs.append((self._token_param, self._token.get_secret_value()))
        return pairs

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.retry_after is not None:
            return min(exc.retry_after, self.backoff.max_retry_after)
        return self.backoff.delay(state.attempt_number)

    def _before_sleep(self, state: RetryCallState) -> None:
        with self._count_lock:
            self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s: %s; retry %d/%d in %.1fs",
            getattr(exc, "endpoint", "?"),
            getattr(exc, "reason", exc),
            state.attempt_number,
            self.max_retries,
            wait,
        )
