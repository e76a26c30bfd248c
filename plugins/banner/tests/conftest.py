"""Banner tests run with the sandbox campus's "today" and the test kit's store."""

from __future__ import annotations

import pytest
from banner_testkit import Store
from lerconnect_banner import BannerSource

from connector_core.sandbox import AS_OF


@pytest.fixture
def store(lerconnect_store: Store) -> Store:
    """SQLite, or PostgreSQL when LERCONNECT_TEST_DATABASE_URL is set."""
    return lerconnect_store


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BannerSource, "clock", staticmethod(lambda: AS_OF))
