"""Helpers for the Banner plugin tests: the Ethos sandbox on loopback, a source at it, an engine over it.

The tests themselves import only the public face (`connector_core`, `connector_core.testing`,
`connector_core.sandbox`); what they need of the engine and the store beyond it is here, in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from lerconnect_banner import BannerSource
from lerconnect_banner.normalize import UNVERIFIED_SCHEME

from connector_core import ResultStatus
from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.sandbox import Campus, build_campus
from connector_core.store import Store
from connector_core.store import records as stored
from connector_core.store.runs import list_dead_letters, load_state
from connector_core.store.tables import DeadLetterRow, LearnerIdentifierRow, RecordRow
from connector_core.testing import ServedSandbox, isolated_registry, normalized_by_id, pull_all, serve_sandbox

SMALL_CAMPUS = {"learners": 40, "seed": 7}


class Running(ServedSandbox):
    """The served sandbox; `app` is the EthosSandbox."""

    def __init__(self, app: Any, url: str, table: dict[str, Any], campus: Campus) -> None:
        super().__init__(BannerSource, app, url, table, campus)


@contextmanager
def banner(campus: Campus | None = None, *, mode: str = "ethos", **options: Any) -> Iterator[Running]:
    campus = campus or build_campus(**SMALL_CAMPUS)
    server = BannerSource.sandbox(campus, mode=mode, **options)
    assert server is not None
    with serve_sandbox(server.app) as url:
        yield Running(server.app, url, server.config(url, Path.cwd()), campus)


pull = pull_all


records = normalized_by_id


def expected_grades(campus: Campus) -> dict[str, tuple[ResultStatus, str | None, str | None, str]]:
    """Record id -> (status, grade, scheme, term code): ended terms from the transcript, else registrations."""
    out = {}
    for e in campus.enrollments:
        term = campus.term(campus.section(e.section_key).term_key)
        if term.closed:
            status = {"W": ResultStatus.withdrawn, "I": ResultStatus.incomplete, "F": ResultStatus.failed}.get(
                e.grade or "", ResultStatus.failed if e.grade == "NP" else ResultStatus.completed
            )
            out[campus.guid("transcript-grade", e.key)] = (status, e.grade, "Letter grade", term.code)
        elif e.state == "inactive":
            out[campus.guid("registration", e.key)] = (ResultStatus.withdrawn, None, "Letter grade", term.code)
        elif e.score is not None and e.key % 3 == 0:
            from lerconnect_banner.sandbox.data import unverified_letter

            letter = unverified_letter(e.score)
            out[campus.guid("registration", e.key)] = (ResultStatus.in_progress, letter, UNVERIFIED_SCHEME, term.code)
        else:
            out[campus.guid("registration", e.key)] = (ResultStatus.in_progress, None, "Letter grade", term.code)
    return out


def engine(store: Store, tables: dict[str, dict[str, Any]], tmp_path: Path, *plugins: object) -> SyncEngine:
    """A real engine over `tables` (source name -> config table with its plugin)."""
    settings = settings_from_dict({"sources": tables}, tmp_path / "lerconnect.toml")
    return SyncEngine(store, isolated_registry(*(plugins or (BannerSource,))), settings)


def expected_activities(campus: Campus) -> dict[str, tuple[Any, Any, Any]]:
    """SGRSACT record id (Banner ID:term:activity code) -> (person, activity, term) of each participation."""
    out = {}
    for p in campus.participations:
        person, activity, term = campus.person(p.person_key), campus.activity(p.activity_key), campus.term(p.term_key)
        out[f"{person.banner_id}:{term.code}:{activity.code}"] = (person, activity, term)
    return out


def active_records(store: Store, stream: str) -> dict[str, RecordRow]:
    """The Banner source's stored records of `stream` that are not withdrawn, by source record id."""
    return {row.source_record_id: row for row, _ in stored.iter_records(store, source="banner", stream=stream)}


def dead_letters(store: Store) -> list[DeadLetterRow]:
    return list(list_dead_letters(store, source="banner"))


def saved_cursor(store: Store, stream: str) -> Any:
    """The cursor the engine saved for the Banner source's `stream`."""
    return load_state(store, "banner", stream).cursor


def learner_links(store: Store, source_id: str) -> dict[str, str]:
    """Source name -> learner key of every identifier row for `source_id` (a Banner ID, a Canvas sis id)."""
    from sqlmodel import select

    with store.session() as session:
        rows = session.scalars(select(LearnerIdentifierRow).where(LearnerIdentifierRow.source_id == source_id))
        return {row.source: row.learner_key for row in rows}


@contextmanager
def storing_fails(error: Exception) -> Iterator[None]:
    """Every page's commit fails with `error` inside the block: a crash after pulling, before storing."""
    with mock.patch.object(stored, "upsert", side_effect=error):
        yield
