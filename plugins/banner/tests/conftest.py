"""Banner tests run with the sandbox campus's "today"; engine runs on the test kit's bench."""

from __future__ import annotations

import pytest
from lerconnect_banner import BannerSource

from connector_core.sandbox import AS_OF
from connector_core.testing import SyncBench


@pytest.fixture
def bench(lerconnect_sync: SyncBench) -> SyncBench:
    """The real engine on this test's store (SQLite, or PostgreSQL when LERCONNECT_TEST_DATABASE_URL is set)."""
    return lerconnect_sync


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BannerSource, "clock", staticmethod(lambda: AS_OF))
