"""Normalization and term selection, without a server."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from lerconnect_canvas.config import Config
from lerconnect_canvas.normalize import Normalizer
from lerconnect_canvas.terms import default_terms, select
from pydantic import ValidationError

from connector_core import RecordError, ResultStatus, SourceError, Term, Tombstone
from connector_core.testing import achievement_key, association_target_key

USER = {
    "id": 7,
    "name": "Ana Garcia",
    "sortable_name": "Garcia, Ana",
    "sis_user_id": "A1",
    "login_id": "agarcia",
    "email": "agarcia@example.edu",
}
COURSE = {
    "id": 10,
    "name": "Calculus I (4 cr)",
    "course_code": "MATH 101",
    "workflow_state": "completed",
    "start_at": "2026-01-12T00:00:00Z",
    "end_at": "2026-05-08T23:59:59Z",
}
TERM = {"id": 3, "name": "Spring 2026", "sis_term_id": "202610"}


def config(**overrides: Any) -> Config:
    return Config(**{"plugin": "canvas", "base_url": "https://canvas.example.edu", "token": "t", **overrides})


def raw(grade: str | None = "B+", score: Any = 88.0, state: str = "completed", **enrollment: Any) -> dict:
    grades = {"final_grade": grade, "final_score": score, "current_grade": "A", "current_score": 95.0}
    return {
        "kind": "enrollment",
        "user": USER,
        "course": COURSE,
        "term": TERM,
        "enrollment": {
            "id": 99,
            "enrollment_state": state,
            "grades": grades,
            "updated_at": "2026-05-12T10:00:00Z",
            **enrollment,
        },
    }


def one(stream: str, record: dict, **overrides: Any):  # type: ignore[no-untyped-def]
    [item] = list(Normalizer(config(**overrides))(stream, record))
    return item


@pytest.mark.parametrize(
    ("grade", "score", "state", "status"),
    [
        ("B+", 88.0, "completed", ResultStatus.completed),
        ("P", None, "completed", ResultStatus.completed),
        ("F", 50.0, "completed", ResultStatus.failed),
        ("NP", None, "completed", ResultStatus.failed),
        ("I", None, "completed", ResultStatus.incomplete),
        (None, None, "inactive", ResultStatus.withdrawn),
        (None, None, "completed", ResultStatus.in_progress),
    ],
)
def test_grade_statuses(grade: str | None, score: float | None, state: str, status: ResultStatus) -> None:
    record = one("grades", raw(grade, score, state))
    assert record.result.status is status
    if status is not ResultStatus.withdrawn:
        assert record.result.grade == grade


def test_course_record_fields() -> None:
    record = one("grades", raw(), credits_pattern=r"\((\d+) cr\)")
    assert (record.source_record_id, record.term.code, record.achievement.key) == ("99", "202610", "canvas:course:10")
    assert (record.result.grade, record.result.score) == ("B+", 88.0)
    assert record.achievement.credits == record.credits_earned == Decimal(4)
    assert (record.started_on, record.completed_on) == (date(2026, 1, 12), date(2026, 5, 8))
    assert (record.learner.source_id, record.learner.given_name, record.learner.family_name) == ("A1", "Ana", "Garcia")


def test_running_course_has_no_grade_so_its_hash_is_stable() -> None:
    running = {**raw(state="active"), "course": {**COURSE, "workflow_state": "available"}}
    first = one("grades", running)
    running["enrollment"]["grades"]["final_score"] = 42.0
    assert first.result.status is ResultStatus.in_progress and first.result.score is None
    assert one("grades", running).content_hash() == first.content_hash()


def test_grade_sources() -> None:
    assert one("grades", raw(), grade_source="current_grade").result.grade == "A"
    overridden = raw(override_grade="A-", override_score=91.0)
    assert one("grades", overridden, grade_source="override_grade").result.grade == "A-"
    assert one("grades", raw(), grade_source="override_grade").result.grade == "B+"  # no override: final


@pytest.mark.parametrize(
    ("grade", "score", "field"),
    [
        ("B+", "ninety", "grades.final_score"),
        ("B+", -1, "grades.final_score"),
        ("", 88.0, "grades.final_grade"),
        ({"x": 1}, 88.0, "grades.final_grade"),
        ("B+" * 20, 88.0, "grades.final_grade"),
    ],
)
def test_malformed_grades_raise_record_error_naming_the_field(grade: Any, score: Any, field: str) -> None:
    with pytest.raises(RecordError) as info:
        one("grades", raw(grade, score))
    assert info.value.field == field


def test_learner_without_the_configured_id_is_a_record_error() -> None:
    record = {**raw(), "user": {"id": 7, "name": "No Sis"}}
    with pytest.raises(RecordError) as info:
        one("grades", record)
    assert info.value.field == "user.sis_user_id"
    assert (
        one("grades", record | {"user": {**USER, "sis_user_id": None}}, learner_id="login_id").learner.source_id
        == "agarcia"
    )


def test_deleted_enrollment_is_a_tombstone() -> None:
    assert one("grades", raw(state="deleted")) == Tombstone(source_record_id="99")
    assert one("cocurricular", raw(state="deleted")) == Tombstone(source_record_id="99")


def test_cocurricular_withdrawn_and_completed() -> None:
    done = one("cocurricular", raw(None, None, "completed"))
    assert (done.result.status, done.completed_on) == (ResultStatus.completed, date(2026, 5, 8))
    assert one("cocurricular", raw(None, None, "inactive")).result.status is ResultStatus.withdrawn


def test_competency_levels_and_mastery() -> None:
    outcome = {
        "id": 5,
        "title": "Writes proofs",
        "vendor_guid": "g-5",
        "mastery_points": 3.0,
        "calculation_method": "highest",
        "ratings": [
            {"description": "Exemplary", "points": 4.0},
            {"description": "Proficient", "points": 3.0},
            {"description": "Beginning", "points": 1.0},
        ],
    }
    base = {"kind": "outcome_rollup", "user": USER, "course": COURSE, "term": TERM, "outcome": outcome}
    met = one("competencies", base | {"score": {"score": 3.5, "links": {"outcome": "5"}}})
    assert (met.result.level, met.result.mastered, met.result.score) == ("Proficient", True, 3.5)
    assert met.achievement.result_schemes[0].required_level == "Proficient"
    assert met.achievement.associations[0].target_key == "canvas:course:10"
    missed = one("competencies", base | {"score": {"score": 1.0}})
    assert (missed.result.level, missed.result.mastered) == ("Beginning", False)


OUTCOME = {
    "id": 5,
    "title": "Writes proofs",
    "description": "<p>Writes <strong>rigorous</strong> proofs &amp; counter-examples.</p><ul><li>induction</li></ul>",
    "vendor_guid": "g-5",
    "mastery_points": 3.0,
    "ratings": [{"description": "Proficient", "points": 3.0}],
}


def section(course_id: int, code: str, sis: str, term: dict) -> dict:
    return {**raw(), "course": {**COURSE, "id": course_id, "course_code": code, "sis_course_id": sis}, "term": term}


def test_every_section_and_term_of_a_catalog_course_is_one_achievement() -> None:
    fall = {"id": 4, "name": "Fall 2026", "sis_term_id": "202630"}
    records = [
        one("grades", section(10, "MATH 101", "202610.0001", TERM)),
        one("grades", section(11, "MATH-101-02", "202610.0002", TERM)),
        one("grades", section(12, "math 101", "202630.0107", fall)),
    ]
    assert {r.achievement.catalog_key for r in records} == {"MATH 101"}
    assert len({achievement_key("canvas", r.achievement) for r in records}) == 1
    assert [r.section for r in records] == ["202610.0001", "202610.0002", "202630.0107"]  # the section is the record's
    assert [r.term.code for r in records] == ["202610", "202610", "202630"]
    other = one("grades", section(13, "MATH 102", "202610.0003", TERM))
    assert achievement_key("canvas", other.achievement) != achievement_key("canvas", records[0].achievement)


def test_catalog_key_from_the_sis_course_id_with_an_institution() -> None:
    record = one(
        "grades",
        section(10, "Calculus", "SU-MATH-101-001-202610", TERM),
        catalog={"field": "sis_course_id", "pattern": r"^SU-(?P<subject>[A-Z]+)-(?P<number>\d+)", "institution": "SU"},
    )
    assert record.achievement.catalog_key == "SU:MATH 101"


def test_term_is_one_model_with_code_name_and_dates() -> None:
    term = {
        "id": 3,
        "name": "Spring 2026",
        "sis_term_id": "202610",
        "start_at": "2026-01-12T00:00:00Z",
        "end_at": "2026-05-08T23:59:59Z",
    }
    record = one("grades", {**raw(), "term": term})
    assert record.term == Term(code="202610", name="Spring 2026", start=date(2026, 1, 12), end=date(2026, 5, 8))
    no_sis = one("grades", {**raw(), "term": {"id": 3, "name": "Spring 2026"}})
    assert (no_sis.term.code, no_sis.term.name) == ("Spring 2026", "Spring 2026")


def test_outcome_is_one_achievement_across_courses_with_a_plain_text_description() -> None:
    base = {"kind": "outcome_rollup", "user": USER, "term": TERM, "outcome": OUTCOME, "score": {"score": 3.5}}
    first = one("competencies", base | {"course": COURSE})
    second = one("competencies", base | {"course": {**COURSE, "id": 11, "course_code": "MATH-101-02"}})
    assert achievement_key("canvas", first.achievement) == achievement_key("canvas", second.achievement)
    assert first.achievement.description == "Writes rigorous proofs & counter-examples.\n\n  * induction"
    [link] = first.achievement.associations
    assert association_target_key("canvas", link) == "catalog:course:MATH 101"


def test_cocurricular_activity_is_one_achievement_and_the_role_is_the_records() -> None:
    cc = {**COURSE, "course_code": "CC-ROBOTICS-CLUB", "name": "Robotics Club"}
    spring = one("cocurricular", {**raw(None, None), "course": cc} | {"enrollment": {"id": 1, "role": "Officer"}})
    fall = one("cocurricular", {**raw(None, None), "course": {**cc, "id": 77}, "term": {"name": "Fall 2026"}})
    assert spring.achievement.catalog_key == fall.achievement.catalog_key == "CC-ROBOTICS-CLUB"
    assert (spring.role, fall.role) == ("Officer", None)


def test_config_errors_name_the_key() -> None:
    with pytest.raises(ValidationError, match="drop the trailing /api/v1"):
        config(base_url="https://canvas.example.edu/api/v1")
    with pytest.raises(ValidationError, match="course_code_pattern"):
        config(cocurricular={"course_code_pattern": "("})
    with pytest.raises(ValidationError, match="one \\(group\\)"):
        config(credits_pattern=r"\d+")
    assert config().verify_tls is True and config().per_page == 100 and config().max_concurrency == 4


TERMS = [
    {"id": 1, "name": "Default Term", "start_at": None, "end_at": None, "sis_term_id": None},
    {
        "id": 11,
        "name": "Spring 2026",
        "start_at": "2026-01-12T00:00:00Z",
        "end_at": "2026-05-08T23:59:59Z",
        "sis_term_id": "202610",
    },
    {
        "id": 12,
        "name": "Fall 2026",
        "start_at": "2026-08-24T00:00:00Z",
        "end_at": "2026-12-14T23:59:59Z",
        "sis_term_id": "202630",
    },
    {
        "id": 10,
        "name": "Fall 2025",
        "start_at": "2025-08-25T00:00:00Z",
        "end_at": "2025-12-15T23:59:59Z",
        "sis_term_id": "202530",
    },
]


def test_default_terms_are_current_and_previous() -> None:
    assert [t["id"] for t in default_terms(TERMS, date(2026, 11, 15))] == [11, 12]
    assert [t["id"] for t in default_terms(TERMS, date(2026, 6, 15))] == [10, 11]  # summer: last started


def test_select_full_and_window() -> None:
    wanted = ["202530", "sis_term_id:202610", "12"]
    assert [t["id"] for t in select(TERMS, wanted, date(2026, 11, 15), full=True, window_days=60)] == [10, 11, 12]
    assert [t["id"] for t in select(TERMS, wanted, date(2026, 11, 15), full=False, window_days=200)] == [11, 12]
    with pytest.raises(SourceError, match=r"'209910'.*Fall 2026"):
        select(TERMS, ["209910"], date(2026, 11, 15), full=True, window_days=60)
