"""Pulls against the Ethos sandbox over loopback HTTP: what the real API demands, record by record."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from banner_testkit import banner, expected_grades, pull, records
from lerconnect_banner import BannerSource

from connector_core import SourceAuthError, SourceError
from connector_core.sandbox import AS_OF, build_campus


def test_full_load_joins_every_grade_to_its_learner_course_and_term() -> None:
    with banner(max_page_size=50) as running:  # page_size asks 500: the server's cap of 50 rules
        source = running.source()
        raws, cursors = pull(source, "grades")
        grades = records(source, "grades", raws)
        campus = running.campus
        got = {
            rid: (r.result.status, r.result.grade, r.result.scheme, r.term.code if r.term else None)
            for rid, r in grades.items()
        }
        assert got == expected_grades(campus)
        assert cursors[-1] == {"changes": 0}
        assert running.app.stats["student-transcript-grades"] > 1 and running.app.stats["sections"] > 1

        e = next(e for e in campus.enrollments if e.grade == "B")
        record = grades[campus.guid("transcript-grade", e.key)]
        person, course = campus.person(e.person_key), campus.course(campus.section(e.section_key).course_key)
        assert record.learner.source_id == record.learner.institution_id == person.banner_id
        assert (record.learner.given_name, record.learner.email) == (person.given_name, person.email)
        assert record.achievement.code == course.code and record.achievement.title == course.title
        assert record.credits_earned == Decimal(course.credits)
        assert record.achievement.catalog_key == course.code  # one achievement per catalog course
        assert record.section == campus.section(e.section_key).crn
        assert source.ethos.served["student-transcript-grades"] == "1.1.0"  # x-media-type read back


def test_code_tables_are_read_once_per_run_not_per_record() -> None:
    with banner() as running:
        source = running.source()
        pull(source, "grades")
        pull(source, "cocurricular")
        stats = running.app.stats
    for table in ("persons", "courses", "sections", "academic-periods", "grade-definitions", "subjects"):
        assert stats[table] == 1, f"{table} read {stats[table]} times"
    assert stats["auth"] == 1


def test_cocurricular_involvements_become_activity_records() -> None:
    with banner() as running:
        source = running.source()
        got = records(source, "cocurricular", pull(source, "cocurricular")[0])
        campus = running.campus
        assert len(got) == len(campus.participations)
        p = campus.participations[0]
        record = got[campus.guid("involvement", p.key)]
        assert record.achievement.title == campus.activity(p.activity_key).name
        assert record.learner.source_id == campus.person(p.person_key).banner_id
        assert record.role == p.role
        assert (record.completed_on is None) == (p.completed_on is None)

        cohorts = records(
            source, "cocurricular", pull(running.source(cocurricular="student-cohort-assignments"), "cocurricular")[0]
        )
        assert {r.achievement.title for r in cohorts.values()} == {r.achievement.title for r in got.values()}


def test_a_token_expiring_mid_run_is_renewed_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with banner(max_page_size=20, token_uses=4) as running:  # every token dies after 4 requests
        source = running.source()
        grades = records(source, "grades", pull(source, "grades")[0])
        tokens = list(running.app.tokens)
    assert grades.keys() == expected_grades(running.campus).keys()
    assert running.app.stats["auth"] > 3 and running.app.stats["refused"] > 0  # 401, new token, once more
    text = caplog.text
    assert all(token not in text for token in tokens)
    assert running.table["api_key"] not in text


def test_a_token_about_to_expire_is_replaced_before_it_is_refused() -> None:
    with banner(token_seconds=20) as running:  # inside the 30 s margin: every call wants a fresh token
        source = running.source()
        pull(source, "cocurricular")
        stats = running.app.stats
    assert stats["refused"] == 0
    assert stats["auth"] == stats["requests"] - stats["auth"]


def test_unsupported_version_is_an_error_naming_resource_and_version() -> None:
    with banner() as running:
        source = running.source(resource_versions={"sections": "99"})
        with pytest.raises(SourceError, match=r"resource sections: the tenant does not serve version 99"):
            pull(source, "grades")
        with pytest.raises(SourceError, match=r"academic-periods.*version 3"):
            running.source(resource_versions={"academic-periods": "3"}).check()


def test_a_resource_not_deployed_is_an_error_naming_it_in_ethos_words() -> None:
    with banner() as running:
        del running.app.data.resources["student-cohort-assignments"]
        source = running.source(cocurricular="student-cohort-assignments")
        with pytest.raises(SourceError, match=r"resource student-cohort-assignments: HTTP 404 \(Global.NotFound"):
            pull(source, "cocurricular")


def test_check_obtains_a_token_and_reads_a_resource_and_a_bad_key_says_so() -> None:
    with banner() as running:
        assert "academic-periods v16.1.0" in running.source().check()
        with pytest.raises(SourceAuthError, match="check api_key"):
            running.source(api_key="not-the-key").check()


def test_banner9_mode_reads_the_student_api_with_basic_auth() -> None:
    with banner(mode="banner9") as running:
        source = running.source()
        assert "Banner API user accepted" in source.check()
        raws, cursors = pull(source, "grades")
        assert records(source, "grades", raws).keys() == expected_grades(running.campus).keys()
        assert cursors[-1] == {"full_on": AS_OF.isoformat()}  # no queue: later nights re-read the open terms
        assert running.app.stats["auth"] == 0
        with pytest.raises(SourceAuthError):
            running.source(password="wrong").check()


def test_asking_for_competencies_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match=r"(?i)banner holds no competency data"):
        BannerSource.Config.model_validate({"plugin": "banner", "api_key": "k", "streams": ["grades", "competencies"]})


def test_the_sandbox_serves_only_a_banner_campus() -> None:
    assert BannerSource.sandbox(build_campus(12, 7, sis="peoplesoft")) is None
    assert BannerSource.sandbox(build_campus(12, 7)) is not None
