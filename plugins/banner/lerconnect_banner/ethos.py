"""Talking to Ethos Integration (or Banner 9 REST): tokens, versioned resources, paging, errors, /consume.

Ethos wants a short-lived JWT from `POST /auth` (about 5 minutes): it is fetched on first use,
refreshed shortly before the `exp` it carries, and once more when a request is refused with 401.
The token and the API key are kept in `SecretStr`s and never logged. Every resource is asked for
in a pinned version (`Accept: application/vnd.hedtech.integration.v<N>+json`); the version served
comes back in `x-media-type`.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
from pydantic import SecretStr
from requests.auth import AuthBase

from connector_core import SourceAuthError, SourceError, SourcePermissionError
from connector_core.transport import BearerAuth, OffsetLimitPaginator, PageRequest, ResponsePage, RestClient
from lerconnect_banner.config import Config

log = logging.getLogger("lerconnect.banner")

CHANGES_MEDIA_TYPE = "application/vnd.hedtech.change-notifications.v2+json"
REFRESH_MARGIN = 30.0
"""Seconds before a token's expiry at which it is replaced."""
INTEGRATION_API = {"persons", "subjects", "academic-periods"}
"""Banner 9 serves these under /IntegrationApi; the student resources (and the student Business
Process APIs, `general-student-activities`, `activity-types`) under /StudentApi."""
SERVED_VERSION = re.compile(r"\.v([\d.]+)\+json")


def media_type(version: str) -> str:
    return f"application/vnd.hedtech.integration.v{version}+json"


def ethos_message(response: requests.Response) -> str:
    """The Ethos `errors[]` (code, description, message) in one line, or the plain body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or f"HTTP {response.status_code}"
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return json.dumps(body)[:200]
    parts = []
    for error in errors[:3]:
        if isinstance(error, Mapping):
            text = " - ".join(str(error[k]) for k in ("code", "description", "message") if error.get(k))
            parts.append(text)
    return "; ".join(parts)


def resource_of(path: str) -> str:
    """`/api/sections/<guid>` -> `sections`; `/StudentApi/api/sections` -> `sections`."""
    tail = path.split("/api/", 1)[-1] if "/api/" in path else path.strip("/")
    return tail.split("/", 1)[0].split("?", 1)[0]


class NotFound(SourceError):
    """HTTP 404: the resource is not deployed for the tenant, or the GUID asked for is unknown."""


def classify_error(response: requests.Response, endpoint: str) -> SourceError:
    """Ethos errors in words naming the resource and what to do."""
    status = response.status_code
    path = endpoint.split(" ", 1)[-1]
    message = ethos_message(response)
    if path.rstrip("/").endswith("/auth"):
        return SourceAuthError(
            f"Ethos refused the API key at {endpoint} (HTTP {status}: {message}): check api_key — it is "
            "the key of the Ethos application (Ethos admin UI → Applications → API keys)"
        )
    if path.rstrip("/").endswith("/consume"):
        where = "the change-notification queue (/consume)"
    else:
        where = f"resource {resource_of(path)}"
    requested = response.request.headers.get("Accept", "") if response.request is not None else ""
    if status == 406 or (status == 400 and "version" in message.lower()):
        version = SERVED_VERSION.search(requested)
        named = version.group(1) if version else requested
        return SourceError(
            f"{where}: the tenant does not serve version {named} ({message}); set "
            f"resource_versions.{resource_of(path)} to one it serves (GET /admin/available-resources lists them)"
        )
    if status == 401:
        return SourceAuthError(f"{where}: HTTP 401 ({message}): the token or credentials were refused")
    if status == 403:
        return SourcePermissionError(
            f"{where}: HTTP 403 ({message}): the Ethos application (or Banner API user) may not read it; "
            "grant it this resource"
        )
    if status == 404:
        return NotFound(f"{where}: HTTP 404 ({message}): not deployed for this tenant, or an unknown GUID")
    return SourceError(f"{where}: HTTP {status} ({message})")


def lifetime(token: str, minutes: int) -> float:
    """Seconds the JWT has left, from its `exp` claim (not verified: only read); else `minutes`."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"]) - time.time()
    except (IndexError, ValueError, KeyError, TypeError):
        return minutes * 60.0


class EthosToken(AuthBase):
    """`Authorization: Bearer <JWT>` from `POST /auth`, renewed before expiry; thread-safe."""

    def __init__(self, fetch: Callable[[], str], minutes: int) -> None:
        self._fetch = fetch
        self._minutes = minutes
        self._token: SecretStr | None = None
        self._expires = 0.0
        self._lock = threading.Lock()
        self.fetched = 0

    def __repr__(self) -> str:
        return "EthosToken(**********)"

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def current(self) -> str:
        with self._lock:
            now = time.monotonic()
            if self._token is None or now >= self._expires - REFRESH_MARGIN:
                token = self._fetch()
                self.fetched += 1
                self._token = SecretStr(token)
                self._expires = now + lifetime(token, self._minutes)
            return self._token.get_secret_value()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.current()}"
        return request


def fetch_token(rest: RestClient, api_key: SecretStr, minutes: int) -> str:
    """`POST /auth` with the API key as bearer (this one request's own auth): the JWT, as text."""
    response = rest.request(
        "POST",
        "/auth",
        params={"expirationMinutes": minutes},
        headers={"Accept": "text/plain"},
        auth=BearerAuth(api_key),
    )
    token = response.text.strip()
    if not token or " " in token:
        raise SourceAuthError("POST /auth answered without a token: check ethos_url points at Ethos Integration")
    return token


class EthosClient:
    """Versioned reads of EEDM resources and the change-notification queue, for one source."""

    def __init__(self, config: Config, rest: RestClient, token: EthosToken | None) -> None:
        self.config = config
        self.rest = rest
        self.token = token
        self.paginator = OffsetLimitPaginator(config.page_size)
        self.served: dict[str, str] = {}
        """resource -> the version the tenant answered with (`x-media-type`)."""

    def path(self, resource: str, guid: str | None = None) -> str:
        if self.config.mode == "ethos":
            base = f"/api/{resource}"
        else:
            base = f"/{'IntegrationApi' if resource in INTEGRATION_API else 'StudentApi'}/api/{resource}"
        return f"{base}/{guid}" if guid else base

    def _once_more_on_401(self, call: Callable[[], ResponsePage]) -> ResponsePage:
        """A token can expire between our check and the server's: fetch a new one and try once more."""
        try:
            return call()
        except SourceAuthError:
            if self.token is None:
                raise
            log.info("Ethos refused the token (expired?); fetching a new one and asking once more")
            self.token.invalidate()
            return call()

    def _headers(self, resource: str) -> dict[str, str]:
        return {"Accept": media_type(self.config.version(resource))}

    def _get(self, resource: str, request: PageRequest) -> ResponsePage:
        headers = self._headers(resource)

        def call() -> ResponsePage:
            response = self.rest.request("GET", request.url, params=request.params, headers=headers)
            return self._page(resource, response)

        return self._once_more_on_401(call)

    def _page(self, resource: str, response: requests.Response) -> ResponsePage:
        served = response.headers.get("x-media-type") or response.headers.get("x-hedtech-media-type") or ""
        found = SERVED_VERSION.search(served)
        if found:
            self.served[resource] = found.group(1)
        try:
            body = response.json()
        except ValueError:
            raise SourceError(f"resource {resource}: the answer is not JSON; check ethos_url / base_url") from None
        if response.headers.get("x-content-restricted"):
            log.warning(
                "resource %s: Ethos restricted the answer for this application (x-content-restricted)", resource
            )
        items = body if isinstance(body, list) else []
        return ResponsePage(response.url, response.status_code, response.headers, body, items, response.links)

    def one(self, resource: str, guid: str) -> dict[str, Any]:
        body = self._get(resource, PageRequest(self.path(resource, guid))).body
        if not isinstance(body, dict):
            raise SourceError(f"resource {resource}/{guid}: expected one object, got {type(body).__name__}")
        return body

    def pages(
        self,
        resource: str,
        *,
        offset: int = 0,
        criteria: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """(rows, offset after them) per page, from `offset`, in pages of the server's cap.

        `criteria` is an EEDM filter (JSON in `?criteria=`); `params` are plain query parameters,
        as the Business Process APIs take them (`id`, `stvtermTermCode`).
        """
        query: dict[str, Any] = dict(params or {})
        if criteria:
            query["criteria"] = json.dumps(criteria, separators=(",", ":"))
        first = self.paginator.first(self.path(resource), query)
        request: PageRequest | None = PageRequest(first.url, {**dict(first.params or {}), "offset": offset})
        pages = 0
        while request is not None:
            pages += 1
            if pages > self.config.max_pages:
                raise SourceError(f"resource {resource}: more than {self.config.max_pages} pages; raise max_pages")
            page = self._get(resource, request)
            if not isinstance(page.body, list):
                raise SourceError(
                    f"resource {resource}: expected a JSON list of records, got {type(page.body).__name__}"
                )
            offset = int(dict(request.params or {})["offset"]) + len(page.items)
            yield page.items, offset
            request = self.paginator.next(page, request)

    def all(
        self, resource: str, criteria: Mapping[str, Any] | None = None, params: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        return [row for rows, _ in self.pages(resource, criteria=criteria, params=params) for row in rows]

    def consume(self, last_processed_id: int) -> tuple[list[dict[str, Any]], int | None]:
        """One `/consume` batch after `last_processed_id` (always sent), and `x-remaining`."""
        params: dict[str, Any] = {"limit": self.config.consume_limit, "lastProcessedID": last_processed_id}
        headers = {"Accept": CHANGES_MEDIA_TYPE}

        def call() -> ResponsePage:
            response = self.rest.request("GET", "/consume", params=params, headers=headers)
            return ResponsePage(response.url, response.status_code, response.headers, response.json())

        page = self._once_more_on_401(call)
        if not isinstance(page.body, list):
            raise SourceError("the change-notification queue (/consume) did not answer with a list of messages")
        remaining = page.headers.get("x-remaining")
        return page.body, int(remaining) if remaining and remaining.isdigit() else None
