"""Sending one HTTP request to a source system: a total deadline, the same host only, clear failures.

Both the REST and the SOAP client send through a `Wire`. It knows nothing of retries or of what an
answer means; it makes sure a request ends within its deadline (a body trickling one byte a second
times out), that a redirect to another host is refused as what it is, and that a host nobody
listens at or whose name does not resolve fails at once, said in those words. Log lines carry the
method, the URL path (no query string) and the status; never headers or bodies.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, ProtocolError, ReadTimeoutError

from connector_core.source import SourceError, SourceUnavailable
from connector_core.transport.retry import Transient

log = logging.getLogger("lerconnect.transport")

CHUNK = 64 * 1024


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class OffOriginRedirect(SourceError):
    """The system answered with a redirect to another scheme or host; credentials never follow it."""


class _SameOriginSession(requests.Session):
    """A session that follows redirects on its own origin only."""

    def __init__(self, allowed_origin: str) -> None:
        super().__init__()
        self.allowed_origin = allowed_origin

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is not None:
            absolute = urljoin(resp.url, target)
            if origin(absolute) != self.allowed_origin:
                parts = urlsplit(absolute)
                raise OffOriginRedirect(
                    f"{resp.request.method} {urlsplit(resp.url).path}: the server redirected (HTTP "
                    f"{resp.status_code}) to {parts.scheme}://{parts.netloc}{parts.path}, which is not "
                    f"{self.allowed_origin}; lerconnect does not follow redirects to another host, so the "
                    "credentials stay where they belong — if the API has moved, set base_url to the new address"
                )
        return target


class Wire:
    """One `requests.Session` for one system's origin, with a total deadline per request.

    `timeout` is the whole request: connecting, waiting and reading the body. Thread-safe;
    `requests_made` counts every request sent.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 60.0,
        verify: bool | str = True,
        user_agent: str = "lerconnect",
        headers: dict[str, str] | None = None,
        auth: requests.auth.AuthBase | None = None,
        pool_size: int = 10,
    ) -> None:
        self.origin = origin(base_url)
        self.timeout = timeout
        self.requests_made = 0
        self._count_lock = threading.Lock()
        self.session = _SameOriginSession(self.origin)
        self.session.verify = verify
        self.session.auth = auth
        self.session.headers["User-Agent"] = user_agent
        self.session.headers.update(headers or {})
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request, its body read in full before the deadline; `Transient` for what may pass."""
        endpoint = f"{method} {urlsplit(url).path}"
        with self._count_lock:
            self.requests_made += 1
        started = time.monotonic()
        deadline = started + self.timeout
        try:
            response = self.session.request(
                method, url, timeout=(min(10.0, self.timeout), self.timeout), stream=True, **kwargs
            )
            response._content = _read_before(response, deadline, endpoint, self.timeout)
        except requests.exceptions.SSLError as exc:
            raise SourceError(
                f"{endpoint}: the TLS certificate of {self.origin} could not be verified ({_root(exc)}): "
                "fix the server's certificate, or for a campus CA set REQUESTS_CA_BUNDLE to its bundle file"
            ) from None
        except requests.Timeout:
            raise Transient(endpoint, f"no complete answer within {self.timeout:g}s", "timeout") from None
        except requests.ConnectionError as exc:
            raise _connection_failure(exc, endpoint, self.origin) from None
        log.debug("%s -> %s in %.3fs", endpoint, response.status_code, time.monotonic() - started)
        return response


def _read_before(response: requests.Response, deadline: float, endpoint: str, timeout: float) -> bytes:
    """The body, read a socket read at a time so a trickle cannot outlast the deadline."""
    chunks: list[bytes] = []
    try:
        while chunk := response.raw.read1(CHUNK):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise Transient(endpoint, f"the answer was still arriving after {timeout:g}s", "timeout")
    except ReadTimeoutError:
        response.close()
        raise Transient(endpoint, f"the answer stalled (nothing for {timeout:g}s)", "timeout") from None
    except ProtocolError as exc:
        response.close()
        raise Transient(
            endpoint, f"the connection broke mid-answer ({type(_root(exc)).__name__})", "connection"
        ) from None
    except Transient:
        response.close()
        raise
    return b"".join(chunks)


def _root(exc: BaseException) -> BaseException:
    """The innermost cause: requests wraps urllib3, which wraps the socket error."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "reason", None) or exc.__cause__ or exc.__context__
        if inner is None and exc.args and isinstance(exc.args[0], BaseException):
            inner = exc.args[0]
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


def _connection_failure(exc: requests.ConnectionError, endpoint: str, where: str) -> Exception:
    """A refused connection or an unknown host will not change in a minute: fail now, in plain words."""
    root = _root(exc)
    if isinstance(root, socket.gaierror | NameResolutionError):
        host = urlsplit(where).hostname
        return SourceUnavailable(
            f"{endpoint}: the host name {host} does not resolve ({getattr(root, 'strerror', root)}): "
            "check base_url for a typo, and that this machine's DNS knows the name"
        )
    if isinstance(root, ConnectionRefusedError):
        return SourceUnavailable(
            f"nothing is listening at {where} ({endpoint}: connection refused): check base_url "
            "(host and port) and that the system is running"
        )
    return Transient(endpoint, f"the connection failed ({type(root).__name__})", "connection")
