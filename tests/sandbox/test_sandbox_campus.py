"""One campus population for every system: the same people under each system's id, end to end."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from lerconnect_canvas import CanvasSource
from lerconnect_files import FilesSource
from sqlmodel import select

from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.sandbox import AS_OF, build_campus
from connector_core.store import Store
from connector_core.store.tables import LearnerIdentifierRow, LearnerRow
from connector_core.testing import isolated_registry, run_sandbox

SYSTEM_IDS = ("banner_id", "banner_guid", "emplid", "workday_employee_id", "workday_student_id", "canvas_user_id")


def test_same_seed_same_campus_and_another_seed_another():
    assert build_campus(30, 5) == build_campus(30, 5)
    assert build_campus(30, 5).people != build_campus(30, 6).people


def test_people_in_several_systems_and_in_one():
    campus = build_campus(60, 3)
    cohorts = Counter(tuple(sorted(p.roles)) for p in campus.people)
    assert cohorts[("student",)] and cohorts[("employee", "student")]  # students with and without a job
    assert cohorts[("alumnus", "employee")] and cohorts[("employee",)]  # alumni hired; staff who never studied
    for field in (*SYSTEM_IDS, "email", "institution_id"):
        values = [getattr(p, field) for p in campus.people if getattr(p, field) is not None]
        assert len(values) == len(set(values)), f"{field} is not unique"
    worker = next(p for p in campus.people if p.roles == {"student", "employee"})
    for field in (*SYSTEM_IDS, "email"):
        assert campus.find(field, getattr(worker, field)) == worker  # reachable by every system's id
    assert re.fullmatch(r"@\d{8}", worker.banner_id) and worker.institution_id == worker.banner_id
    staff = next(p for p in campus.people if p.roles == {"employee"})
    assert staff.banner_id is staff.canvas_user_id is staff.workday_student_id is None
    student = next(p for p in campus.people if p.roles == {"student"})
    assert student.workday_employee_id is None and not [j for j in campus.jobs if j.person_key == student.key]
    peoplesoft = build_campus(60, 3, sis="peoplesoft")
    assert all(p.institution_id == p.emplid for p in peoplesoft.people)


def test_records_each_system_needs():
    campus = build_campus(60, 3)
    by_course = Counter(s.course_key for s in campus.sections)
    terms_of = {c: {s.term_key for s in campus.sections if s.course_key == c} for c in by_course}
    assert all(n > 1 for n in by_course.values()) and all(len(t) == len(campus.terms) for t in terms_of.values())
    assert all(c.subject and c.number and c.title and c.credits for c in campus.courses)
    closed = [e for e in campus.enrollments if campus.term(campus.section(e.section_key).term_key).closed]
    assert closed and all(e.grade for e in closed if e.state == "completed")
    for alumnus in campus.in_role("alumnus"):
        studied = {campus.section(e.section_key).term_key for e in campus.enrollments if e.person_key == alumnus.key}
        (job,) = [j for j in campus.jobs if j.person_key == alumnus.key]
        assert studied <= {1, 2} and job.start > max(campus.term(t).end for t in studied) and job.end is None
    for job in campus.jobs:
        assert campus.person(job.person_key).employed and job.position_id and job.job_profile_id
        assert job.end is None or job.start < job.end <= AS_OF
    assert {campus.person(t.person_key).employed for t in campus.trainings} == {True}
    assert {campus.person(p.person_key).studied for p in campus.participations} == {True}


@pytest.fixture
def store(lerconnect_store: Store) -> Store:
    return lerconnect_store


def test_a_person_in_canvas_and_in_the_engagement_export_becomes_one_learner(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CanvasSource, "clock", staticmethod(lambda: AS_OF))
    campus = build_campus(learners=12, seed=7)
    with run_sandbox(CanvasSource, campus) as lms, run_sandbox(FilesSource, campus, tmp_path / "files") as files:
        tables = {"lms": {**lms.table, "plugin": "canvas"}, "engage": {**files.table, "plugin": "files"}}
        settings = settings_from_dict({"sources": tables}, tmp_path / "lerconnect.toml")
        engine = SyncEngine(store, isolated_registry(CanvasSource, FilesSource), settings)
        assert all(r.status == "succeeded" for r in engine.sync("lms", stream="grades"))
        assert all(r.status == "succeeded" for r in engine.sync("engage"))
    with store.session() as session:
        learners = {row.key: row for row in session.scalars(select(LearnerRow))}
        links = list(session.scalars(select(LearnerIdentifierRow)))
    sources_of: dict[str, set[str]] = {}
    for link in links:
        sources_of.setdefault(link.learner_key, set()).add(link.source)
    in_both = {campus.person(p.person_key).institution_id for p in campus.participations}
    assert in_both, "the campus has nobody in both systems"
    studied = {p.institution_id for p in campus.people if p.studied}
    assert {row.institution_id for row in learners.values()} == studied  # one learner per person, no more
    for key, row in learners.items():
        assert sources_of[key] == ({"lms", "engage"} if row.institution_id in in_both else {"lms"})
        assert not row.review_pending
