"""Canvas configured the way new instances are: account mastery scales, cross-listed sections, integer ids."""

from __future__ import annotations

from collections import Counter

import pytest
from canvas_testkit import canvas, pull, records
from lerconnect_canvas.config import Config
from lerconnect_canvas.sandbox.data import CROSS_LISTED, STRICT_SUBJECT
from pydantic import ValidationError

from connector_core import RecordError
from connector_core.sandbox import RATINGS

NAMES = {points: name for points, name in RATINGS}


def test_account_level_mastery_scales_give_every_result_a_scale_course_first_then_account() -> None:
    with canvas(mastery_scales="account") as running:
        assert all("mastery_points" not in o for o in running.app.data.outcomes.values())
        source = running.source()
        raws, _ = pull(source, "competencies")
        got = records(source, "competencies", raws)  # none dead-lettered: each normalizes
        campus, home = running.campus, running.app.data.home
        strict = {home[s.key] for s in campus.sections if campus.course(s.course_key).subject == STRICT_SUBJECT}
        assert strict, "the campus has no course with a scale of its own"
        want = {}
        for r in campus.outcome_results:
            course = home[r.section_key]
            bar = 4.0 if course in strict else 3.0  # the NURS courses' own scale, else the root account's
            key = f"{course}:{campus.person(r.person_key).canvas_user_id}:{300 + r.outcome_key}"
            want[key] = (r.score >= bar, NAMES[r.score], NAMES[bar])
        assert {
            rid: (c.result.mastered, c.result.level, c.achievement.result_schemes[0].required_level)
            for rid, c in got.items()
        } == want
        reads = {k: n for k, n in running.app.stats.items() if k.startswith("proficiency ")}
        assert reads and set(reads.values()) == {1}  # each course and account read once for the whole sweep
        assert {"proficiency Account 1", "proficiency Account 2"} <= set(reads)


def test_an_outcome_without_any_scale_is_a_record_error_that_says_where_to_set_one() -> None:
    with canvas(mastery_scales="account") as running:
        running.app.data.proficiencies.clear()
        source = running.source()
        raws, _ = pull(source, "competencies")
        assert raws and all("scale" not in raw for raw in raws)
        with pytest.raises(RecordError, match="outcome_proficiency") as caught:
            list(source.normalize("competencies", raws[0]))
        assert caught.value.field == "outcome.mastery_points"


def test_outcome_level_scales_are_still_read_from_the_outcome_without_proficiency_calls() -> None:
    with canvas() as running:
        source = running.source()
        got = records(source, "competencies", pull(source, "competencies")[0])
        assert got and not [k for k in running.app.stats if k.startswith("proficiency ")]


def test_a_cross_listed_section_is_counted_once_in_the_course_it_joined() -> None:
    with canvas() as running:
        data, campus = running.app.data, running.campus
        moved = {s.key: data.home[s.key] for s in campus.sections if data.home[s.key] != 10_000 + s.key}
        assert moved, "the sandbox has no cross-listed section"
        shell_rows = [e for key in moved for e in data.enrollments[10_000 + key] if e["type"] == "StudentEnrollment"]
        assert shell_rows and all(e["course_id"] != e["course_section_id"] for e in shell_rows)
        source = running.source()
        grades = records(source, "grades", pull(source, "grades")[0])  # `records` refuses a record seen twice
        assert len(grades) == len(campus.enrollments)
        for row in shell_rows:
            record = grades[str(row["id"])]
            assert record.achievement.key == f"canvas:course:{row['course_id']}"
            assert record.achievement.code == CROSS_LISTED[1]
        assert Counter(g.achievement.code for g in grades.values())[CROSS_LISTED[0]] == 0


def test_integer_ids_in_config_are_taken_as_canvas_takes_them() -> None:
    with canvas() as running:
        term_ids = [t["id"] for t in running.app.data.terms if t["sis_term_id"]]
        source = running.source(account_id=1, terms=term_ids, cocurricular={"sub_account_ids": [3]})
        assert source.config.account_id == "1" and source.config.terms == [str(t) for t in term_ids]
        assert source.config.cocurricular.sub_account_ids == ["3"]
        grades = records(source, "grades", pull(source, "grades")[0])
        activities = records(source, "cocurricular", pull(source, "cocurricular")[0])
        assert len(grades) == len(running.campus.enrollments)
        assert len(activities) == len(running.campus.participations)
    for account in ("1", "self", "sis_account_id:SANDBOX"):
        assert Config(plugin="canvas", base_url="https://x.test", token="t", account_id=account).account_id == account


@pytest.mark.parametrize("bad", [True, 1.5])
def test_an_id_that_is_not_a_whole_number_or_text_is_refused_by_name(bad: object) -> None:
    with pytest.raises(ValidationError, match="account_id") as caught:
        Config(plugin="canvas", base_url="https://x.test", token="t", account_id=bad)
    assert "whole number or as text" in str(caught.value)
