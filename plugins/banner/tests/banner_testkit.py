"""Helpers for the Banner plugin tests: the Ethos sandbox on loopback, a source at it, what it should hold.

Engine runs go through `connector_core.testing`'s `lerconnect_sync` bench (the `bench` fixture).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from lerconnect_banner import BannerSource
from lerconnect_banner.normalize import UNVERIFIED_SCHEME

from connector_core import ResultStatus
from connector_core.sandbox import Campus, build_campus
from connector_core.testing import ServedSandbox, normalized_by_id, pull_all, serve_sandbox

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


def expected_activities(campus: Campus) -> dict[str, tuple[Any, Any, Any]]:
    """SGRSACT record id (Banner ID:term:activity code) -> (person, activity, term) of each participation."""
    out = {}
    for p in campus.participations:
        person, activity, term = campus.person(p.person_key), campus.activity(p.activity_key), campus.term(p.term_key)
        out[f"{person.banner_id}:{term.code}:{activity.code}"] = (person, activity, term)
    return out


@contextmanager
def store_fails_once_consumed(store: Any, queue: Any, error: Exception) -> Iterator[None]:
    """The first store session opened after Ethos handed out a /consume batch fails with `error`:
    the process dies between consuming and committing (the run records its failure afterwards)."""
    real: Callable[..., Any] = store.session
    handed_out, failed = queue.consumed, []

    def session(*args: Any, **kwargs: Any) -> Any:
        if queue.consumed > handed_out and not failed:
            failed.append(error)
            raise error
        return real(*args, **kwargs)

    with mock.patch.object(store, "session", session):
        yield
    assert failed, "no /consume batch was handed out inside the block"
