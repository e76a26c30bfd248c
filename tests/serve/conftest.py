"""The served app over real loopback HTTP, on a campus that has issued credentials; a headless Chromium.

`served` starts `create_app` with uvicorn in a thread (connector_core.testing.served_app); `browser`
is the machine's Chromium through chromedriver, skipped with the reason when the packages are absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from test_issuing import Campus

from connector_core.serve.app import create_app
from connector_core.serve.services import Services
from connector_core.testing.browser import headless_chromium, missing_browser
from connector_core.testing.served_app import served_app

DOMAIN = "registrar.test.example.edu"


@dataclass
class Served:
    """A campus whose credentials are issued, and the app serving its store at `base`."""

    campus: Campus
    services: Services
    base: str
    http: requests.Session

    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.url(path), timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.post(self.url(path), timeout=60, **kwargs)


def web_campus(tmp_path: Path, store, monkeypatch, **serve: Any) -> Campus:
    """The issuing test campus as did:web, with its credentials issued and status lists published."""
    campus = Campus(tmp_path, store, monkeypatch)
    issuer = campus.settings.issuer.model_copy(update={"did_method": "web", "domain": DOMAIN})
    options = campus.settings.serve.model_copy(update=serve)
    campus.settings = campus.settings.model_copy(update={"issuer": issuer, "serve": options})
    campus.sync()
    return campus


@pytest.fixture
def served(tmp_path: Path, store, monkeypatch) -> Iterator[Served]:
    campus = web_campus(tmp_path, store, monkeypatch)
    services = Services.from_settings(campus.settings, store, campus.registry.hook)
    with served_app(create_app(campus.settings, store, services=services)) as base, requests.Session() as http:
        yield Served(campus, services, base, http)


@pytest.fixture
def browser() -> Iterator[Any]:
    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    with headless_chromium() as driver:
        yield driver
