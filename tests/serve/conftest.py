"""Fixtures of the serve tests: the served app over real loopback HTTP, and a headless Chromium.

`served` starts `create_app` with uvicorn in a thread (connector_core.testing.served_app); `browser`
is the machine's Chromium through chromedriver, skipped with the reason when the packages are absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from serving import Served, web_campus

from connector_core.serve.app import create_app
from connector_core.serve.services import Services
from connector_core.testing.browser import headless_chromium, missing_browser
from connector_core.testing.served_app import served_app


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
