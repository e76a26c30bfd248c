"""Shared fixtures: a fresh store per test (SQLite, or PostgreSQL when LERCONNECT_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from connector_core.store import Store

SHARED = Path(os.environ.get("LERCONNECT_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or skip the test saying why."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: these tests read the official files in ../shared")
    return path


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A database URL no other test uses: a temp SQLite file, or a fresh PostgreSQL schema."""
    base = os.environ.get("LERCONNECT_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            # a test that leaked an open transaction fails here loudly instead of hanging the suite
            connection.execute(text("SET LOCAL lock_timeout = '15s'"))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url, auto_upgrade=True)
    yield store
    store.dispose()
