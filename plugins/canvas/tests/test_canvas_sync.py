"""Pulls against the Canvas sandbox over loopback HTTP: every record arrives, whatever Canvas throws."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from canvas_testkit import canvas, pull, records
from lerconnect_canvas.sandbox import BucketTuning

from connector_core import ResultStatus, SourceAuthError, SourcePermissionError
from connector_core.sandbox import RATINGS, Campus


def expected_grades(campus: Campus) -> dict[str, tuple[ResultStatus, str | None, float | None, str]]:
    """Campus enrollment -> (status, grade, score, term code) the grades stream must produce."""
    out = {}
    for e in campus.enrollments:
        term = campus.term(campus.section(e.section_key).term_key)
        if e.state == "inactive":
            want = (ResultStatus.withdrawn, None, None)
        elif e.state == "active":
            want = (ResultStatus.in_progress, None, None)
        elif e.grade == "I":
            want = (ResultStatus.incomplete, "I", None)
        elif e.grade in ("F", "NP"):
            want = (ResultStatus.failed, e.grade, e.score)
        else:
            want = (ResultStatus.completed, e.grade, e.score)
        out[str(100_000 + e.key)] = (*want, term.code)
    return out


def test_full_sync_of_every_stream_yields_every_campus_record() -> None:
    # per_page is capped at 7 (the config asks 100): lists span many pages, enrollments use bookmarks
    with canvas(max_per_page=7) as running:
        source = running.source()
        campus = running.campus

        grade_raws, grade_cursors = pull(source, "grades")
        grades = records(source, "grades", grade_raws)
        got = {rid: (r.result.status, r.result.grade, r.result.score, r.term.code) for rid, r in grades.items()}
        assert got == expected_grades(campus)
        assert grade_cursors[-1]["done"] is True
        sample = grades[str(100_000 + campus.enrollments[0].key)]
        person = campus.person(campus.enrollments[0].person_key)
        assert sample.learner.source_id == person.institution_id == sample.learner.institution_id
        assert (sample.learner.email, sample.learner.given_name, sample.learner.family_name) == (
            person.email,
            person.given_name,
            person.family_name,
        )

        competencies = records(source, "competencies", pull(source, "competencies")[0])
        ratings = {points: name for points, name in RATINGS}
        home = running.app.data.home  # a cross-listed section's results belong to the course it joined
        want = {
            f"{home[r.section_key]}:{campus.person(r.person_key).canvas_user_id}:{300 + r.outcome_key}": (
                r.score,
                r.score >= 3.0,
                ratings[r.score],
                campus.outcome(r.outcome_key).vendor_guid,
                f"canvas:course:{home[r.section_key]}",
            )
            for r in campus.outcome_results
        }
        assert {
            rid: (
                c.result.score,
                c.result.mastered,
                c.result.level,
                c.achievement.code,
                c.achievement.associations[0].target_key,
            )
            for rid, c in competencies.items()
        } == want

        cocurricular = records(source, "cocurricular", pull(source, "cocurricular")[0])
        assert {rid: (r.achievement.title, r.completed_on, r.result.status) for rid, r in cocurricular.items()} == {
            str(500_000 + p.key): (
                campus.activity(p.activity_key).name,
                p.completed_on,
                ResultStatus.completed if p.completed_on else ResultStatus.in_progress,
            )
            for p in campus.participations
        }
        assert not set(cocurricular) & set(grades)  # co-curricular courses stay out of the grades stream
    assert running.app.stats["bookmark-pages"] > 0
    assert running.app.stats["throttled"] == 0


@pytest.mark.parametrize("status", [403, 429])
def test_throttled_run_still_completes_with_every_record(status: int) -> None:
    # a tiny bucket that each request fills by 20 and that drains 1000/s: a fast client overflows it
    tuning = BucketTuning(high_water=160, outflow=1000, up_front=50, min_cost=20, throttle_status=status)
    with canvas(tuning=tuning, max_concurrency=4, rate_limit_low_water=0.0) as running:
        source = running.source()
        grades = records(source, "grades", pull(source, "grades")[0])
        assert set(grades) == set(expected_grades(running.campus))
        assert running.app.stats["throttled"] > 0
        assert source.rest.retries >= running.app.stats["throttled"]


def test_rate_limit_watcher_slows_down_before_canvas_throttles() -> None:
    # the bucket drains slower than loopback requests fill it, however loaded the machine
    tuning = BucketTuning(high_water=600, outflow=300, up_front=50, min_cost=20)
    with canvas(tuning=tuning, rate_limit_refill_per_second=300) as running:
        source = running.source()
        grades = records(source, "grades", pull(source, "grades")[0])
        assert set(grades) == set(expected_grades(running.campus))
        assert source.rest.rate_limit.pauses > 0


def test_token_without_sis_permission_and_sis_learner_id_stops_with_the_fix() -> None:
    with canvas(token="sandbox-nosis-token") as running:
        source = running.source()
        assert "SIS ids NOT visible" in source.check()
        with pytest.raises(SourcePermissionError) as info:
            pull(source, "grades")
    message = str(info.value)
    assert "SIS Data - read" in message and 'learner_id = "email"' in message


def test_token_without_sis_permission_keys_learners_by_email_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="lerconnect.canvas")
    with canvas(token="sandbox-nosis-token", learner_id="email") as running:
        source = running.source()
        grades = records(source, "grades", pull(source, "grades")[0])
    assert len(grades) == len(running.campus.enrollments)  # nobody silently dropped
    emails = {p.email for p in running.campus.people}
    assert all(r.learner.source_id in emails and r.learner.institution_id is None for r in grades.values())
    warnings = [r for r in caplog.records if "no SIS ids" in r.getMessage()]
    assert len(warnings) == 1


def test_bad_token_is_an_auth_error_with_the_fix() -> None:
    with (
        canvas(token="not-a-real-token") as running,
        pytest.raises(SourceAuthError, match="generate a new access token"),
    ):
        running.source().check()
    assert running.app.stats["401-bad-token"] == 1  # not retried


def test_missing_permission_names_the_endpoint_and_the_permission() -> None:
    with canvas(token="sandbox-limited-token") as running, pytest.raises(SourcePermissionError) as info:
        running.source().check()
    assert "/api/v1/accounts/self/users" in str(info.value) and "read_roster" in str(info.value)


def test_killed_run_resumes_after_the_last_committed_page() -> None:
    with canvas() as running:
        source = running.source()
        full, cursors = pull(source, "grades")
        cut = len(cursors) // 3
        before = sum(1 for page in list(source.pull("grades", None))[: cut + 1] for _ in page.records)
        rest, _ = pull(running.source(), "grades", cursors[cut])
    assert sorted(r["enrollment"]["id"] for r in full) == sorted(
        [r["enrollment"]["id"] for r in full[:before]] + [r["enrollment"]["id"] for r in rest]
    )
    assert len(rest) == len(full) - before


def test_nightly_window_reads_open_and_recently_closed_terms_only() -> None:
    with canvas(closed_term_window_days=200) as running:
        source = running.source()
        _, cursors = pull(source, "grades")
        assert cursors[-1]["mode"] == "full" and len(cursors[-1]["terms"]) == 4
        source.clock = lambda: date(2026, 11, 16)
        raws, night = pull(source, "grades", cursors[-1])
    assert night[-1]["mode"] == "window"
    # Spring 2026 ended 191 days before, Fall 2026 is open; Spring and Fall 2025 are out of the window
    assert {r["term"]["sis_term_id"] for r in raws} == {"202610", "202630"}


def test_pages_tell_the_progress_display_how_many_courses_there_are() -> None:
    with canvas() as running:
        pages = list(running.source().pull("grades", None))
    assert len(pages) > 1 and {page.total for page in pages} == {len(pages)}
