"""Serving the Workday sandbox for a test: the tenant, its config table, a source or an engine on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lerconnect_workday import WorkdaySource
from lerconnect_workday.sandbox import WorkdayApp

from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.sandbox import Campus, build_campus, serve
from connector_core.store import Store
from connector_core.testing import isolated_registry, make_source


@dataclass
class Running:
    campus: Campus
    app: WorkdayApp
    table: dict[str, Any]

    def source(self, **overrides: Any) -> WorkdaySource:
        return make_source(WorkdaySource, {**self.table, **overrides})  # type: ignore[return-value]

    def engine(self, store: Store, tmp_path: Path, **overrides: Any) -> SyncEngine:
        table = {**self.table, **overrides, "plugin": "workday"}
        settings = settings_from_dict({"sources": {"workday": table}}, tmp_path / "lerconnect.toml")
        return SyncEngine(store, isolated_registry(WorkdaySource), settings)


@contextmanager
def workday(learners: int = 40, *, student_records: bool = True, **table: Any) -> Iterator[Running]:
    campus = build_campus(learners)
    server = WorkdaySource.sandbox(campus, student_records=student_records)
    with serve(server.app) as url:
        config = server.config(url, Path.cwd())
        config.pop("streams", None)
        yield Running(campus, server.app, {**config, **table})


def pull_all(source: WorkdaySource, stream: str, cursor: Any = None) -> tuple[list[dict], Any]:
    records, last = [], cursor
    for page in source.pull(stream, cursor):
        records.extend(page.records)
        last = page.cursor
    return records, last


@pytest.fixture(autouse=True)
def wsdl_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test downloads the sandbox's WSDLs into a cache of its own, as a fresh install would."""
    monkeypatch.setenv("LERCONNECT_CACHE_DIR", str(tmp_path_factory.mktemp("wsdl-cache")))
