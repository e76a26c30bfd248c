"""Serving the Workday sandbox for a test: the tenant on loopback, a source or an engine on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from lerconnect_workday import WorkdaySource
from lerconnect_workday.sandbox import WorkdayApp

from connector_core.sandbox import Campus, build_campus
from connector_core.testing import ServedSandbox, SyncBench, SyncEngine, serve_sandbox


class Running(ServedSandbox):
    """The served tenant; `app` is the `WorkdayApp` (its `tenant` clock, data and call counts)."""

    app: WorkdayApp

    def __init__(self, app: WorkdayApp, url: str, table: dict[str, Any], campus: Campus) -> None:
        super().__init__(WorkdaySource, app, url, table, campus)

    def engine(self, bench: SyncBench, **overrides: Any) -> SyncEngine:
        """The real engine on the test's store (`lerconnect_sync`), source `workday` on this tenant."""
        return bench.engine(WorkdaySource, {**self.table, **overrides})


@contextmanager
def workday(learners: int = 40, *, student_records: bool = True, **table: Any) -> Iterator[Running]:
    """The sandbox tenant on a campus of `learners`, every stream configured (`table` overrides keys)."""
    campus = build_campus(learners)
    server = WorkdaySource.sandbox(campus, student_records=student_records)
    with serve_sandbox(server.app) as url:
        config = server.config(url, Path.cwd())
        config.pop("streams", None)
        yield Running(server.app, url, {**config, **table}, campus)


@pytest.fixture(autouse=True)
def wsdl_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test downloads the sandbox's WSDLs into a cache of its own, as a fresh install would."""
    monkeypatch.setenv("LERCONNECT_CACHE_DIR", str(tmp_path_factory.mktemp("wsdl-cache")))
