"""Helpers for the PeopleSoft plugin tests: the sandbox on loopback and a source pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lerconnect_peoplesoft import PeopleSoftSource
from lerconnect_peoplesoft.sandbox import Tuning, build_sandbox

from connector_core import LearningRecord, Tombstone
from connector_core.sandbox import Campus, build_campus
from connector_core.testing import ServedSandbox, serve_sandbox
from connector_core.transport import Backoff

SMALL_CAMPUS = {"learners": 30, "seed": 7}


class Running(ServedSandbox):
    """The served sandbox; `app` is the PeopleSoftSandbox."""

    def __init__(self, app: Any, url: str, table: dict[str, Any], campus: Campus) -> None:
        super().__init__(PeopleSoftSource, app, url, table, campus)

    def query(self, kind: str, **changes: Any) -> dict[str, Any]:
        """The `queries` table with one query changed."""
        queries = {k: dict(v) for k, v in self.table["queries"].items()}
        queries[kind].update(changes)
        return queries


@contextmanager
def peoplesoft(
    campus: Campus | None = None, *, tuning: Tuning | None = None, mode: str = "qas_soap", execution: str = "sync"
) -> Iterator[Running]:
    campus = campus or build_campus(**SMALL_CAMPUS, sis="peoplesoft")
    server = build_sandbox(campus, tuning=tuning, mode=mode, execution=execution)
    with serve_sandbox(server.app) as url:
        yield Running(server.app, url, server.config(url, None), campus)  # type: ignore[arg-type]


def fast_retries(monkeypatch: Any) -> None:
    monkeypatch.setattr(PeopleSoftSource, "backoff", Backoff(initial=0.01, maximum=0.02))


def pulled(source: PeopleSoftSource, stream: str) -> list[dict[str, Any]]:
    return [r for page in source.pull(stream, None) for r in page.records]


def records(source: PeopleSoftSource, stream: str, raws: list[dict[str, Any]]) -> list[LearningRecord | Tombstone]:
    return [item for raw in raws for item in source.normalize(stream, raw)]
