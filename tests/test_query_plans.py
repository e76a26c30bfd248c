"""The statements issuing runs once a batch read an index, never a whole table: a scan once a batch
makes a night quadratic in the campus (at 20,000 learners, hours). SQLite's own plans are checked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from connector_core.store import Store, records
from connector_core.store import credentials as cred_store
from connector_core.store.tables import RecordRow


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'plans.db'}")
    yield store
    store.dispose()


def batch(size: int = 40) -> list[RecordRow]:
    """A batch of records to issue, as issuing holds them (never stored: only their keys are asked for)."""
    return [
        RecordRow(
            id=n,
            source="sis",
            stream="grades",
            source_record_id=f"enr-{n}",
            learner_key=f"learner-{n // 4}",
            achievement_key=f"course-{n % 7}",
            term="202630",
            result_status="completed",
            content_hash="",
            data={},
            plugin="sis",
            plugin_version="1",
            created_run_id="r",
            changed_run_id="r",
        )
        for n in range(1, size + 1)
    ]


def plans(store: Store, ask: Callable[[Session], Any]) -> list[str]:
    """The query plan lines of every statement `ask` sends."""
    sent: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    with store.session() as session:
        event.listen(store.engine, "before_cursor_execute", note)
        try:
            ask(session)
        finally:
            event.remove(store.engine, "before_cursor_execute", note)
        connection = session.connection().connection.driver_connection
        assert sent, "the function sent no statement"
        return [
            row[3]
            for statement, params in sent
            for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", params)
        ]


def full_scans(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("SCAN") and line.split()[1] in {"learning_record", "credential"}]


def test_a_batchs_fact_speakers_are_read_through_the_learners_index(sqlite_store: Store) -> None:
    lines = plans(sqlite_store, lambda session: records.fact_speakers(session, batch()))
    assert full_scans(lines) == [] and any("ix_record_learner" in line for line in lines), lines


def test_a_batchs_earlier_credentials_are_counted_through_the_source_id_index(sqlite_store: Store) -> None:
    lines = plans(sqlite_store, lambda session: cred_store.issue_numbers(session, batch()))
    assert full_scans(lines) == [] and any("ix_record_source_record_id" in line for line in lines), lines
