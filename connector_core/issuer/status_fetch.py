"""Fetch status list credentials over HTTP, only when the operator asks (`verify --fetch-status-lists`).

Verification is offline by default. This fetches status lists and nothing else (JSON-LD contexts are
never fetched): https anywhere, plain http only from loopback (a local static server in tests or on
the issuing host). Lists are signed and checked like any credential, so the transport only has to
deliver bytes; responses are size-capped and cached per URL for one verify run.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

ACCEPT = "application/vc+ld+json, application/vc, application/ld+json;q=0.9, application/json;q=0.8"
MAX_BYTES = 4 * 1024 * 1024


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


class HttpStatusLists:
    """A status resolver: GET the list URL, parse JSON. Raises LookupError with the reason on any failure."""

    def __init__(self, *, timeout: float = 10.0, max_bytes: int = MAX_BYTES) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.cache: dict[str, Mapping] = {}
        self.session = requests.Session()

    def __call__(self, url: str) -> Mapping:
        if url in self.cache:
            return self.cache[url]
        parts = urlsplit(url)
        if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname)):
            raise LookupError(f"refusing to fetch {url}: status lists come over https (plain http only from loopback)")
        try:
            with self.session.get(
                url, headers={"Accept": ACCEPT}, timeout=self.timeout, stream=True, allow_redirects=False
            ) as response:
                if response.status_code != 200:
                    raise LookupError(f"GET {url} answered HTTP {response.status_code}")
                body = response.raw.read(self.max_bytes + 1, decode_content=True)
        except requests.RequestException as exc:
            raise LookupError(f"GET {url} failed: {exc}") from None
        if len(body) > self.max_bytes:
            raise LookupError(f"GET {url}: the list is larger than {self.max_bytes} bytes")
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise LookupError(f"GET {url} did not return JSON: {exc}") from None
        self.cache[url] = document
        return document
