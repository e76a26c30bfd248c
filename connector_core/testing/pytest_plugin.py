"""The kit's pytest plugin (entry point `pytest11`): the `lerconnect_sandbox`, `lerconnect_store` and
`lerconnect_sync` fixtures."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from connector_core.source import Source
from connector_core.testing.engine import SyncBench
from connector_core.testing.sandbox import SandboxConfig, run_sandbox, temporary_database


def pytest_configure(config: pytest.Config) -> None:
    """A test session (each xdist worker too) caches WSDLs and the command index in a folder of its own:
    sandboxes reuse loopback ports, so a cache shared with other sessions would serve a stale WSDL."""
    os.environ.setdefault("LERCONNECT_CACHE_DIR", tempfile.mkdtemp(prefix="lerconnect-cache-"))


@pytest.fixture(autouse=True)
def _lerconnect_fresh_secrets() -> Iterator[None]:
    """Each test starts with no registered secrets, as each `lerconnect` process does."""
    from connector_core import logs

    logs.forget_secrets()
    yield
    logs.forget_secrets()


@pytest.fixture
def lerconnect_sandbox(tmp_path: Path) -> Iterator[Callable[..., SandboxConfig]]:
    """Start a Source's sandbox for one test: `cfg = lerconnect_sandbox(MySource, campus)`.

    Served on loopback (or written under tmp_path) until the test ends.
    """
    with ExitStack() as stack:

        def start(source_cls: type[Source], campus: Any = None, **options: Any) -> SandboxConfig:
            workdir = Path(tempfile.mkdtemp(prefix="sandbox-", dir=tmp_path))
            return stack.enter_context(run_sandbox(source_cls, campus, workdir, **options))

        yield start


@pytest.fixture
def lerconnect_store(tmp_path: Path) -> Iterator[Any]:
    """A migrated store nothing else uses: SQLite under tmp_path, or a fresh PostgreSQL schema
    when LERCONNECT_TEST_DATABASE_URL is set (so a plugin's tests run on both)."""
    from connector_core.store import Store

    with temporary_database(tmp_path, os.environ.get("LERCONNECT_TEST_DATABASE_URL")) as url:
        store = Store(url, auto_upgrade=True)
        try:
            yield store
        finally:
            store.dispose()


@pytest.fixture
def lerconnect_sync(lerconnect_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SyncBench:
    """The real engine on this test's `lerconnect_store`: `lerconnect_sync.engine(MySource, table).sync(...)`,
    then `records()`, `dead_letters()`, `cursor()` read back what it stored; clocks read the campus's day."""
    return SyncBench(lerconnect_store, tmp_path, monkeypatch)
