"""Shared fixtures: a fresh store per test (SQLite, or PostgreSQL when LERCONNECT_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector_core.store import Store
from connector_core.testing import temporary_database


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A database URL no other test uses: a temp SQLite file, or a fresh PostgreSQL schema."""
    with temporary_database(tmp_path, os.environ.get("LERCONNECT_TEST_DATABASE_URL")) as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url, auto_upgrade=True)
    yield store
    store.dispose()


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> pytest.LogCaptureFixture:
    """Every log record at DEBUG, lerconnect's too (a CLI test may have turned its propagation off)."""
    monkeypatch.setattr(logging.getLogger("lerconnect"), "propagate", True)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="lerconnect")
    return caplog
