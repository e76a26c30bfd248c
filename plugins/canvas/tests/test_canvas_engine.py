"""The Canvas source through the real sync engine and the plugin test kit."""

from __future__ import annotations

from datetime import date

import pytest
from canvas_testkit import canvas
from lerconnect_canvas import CanvasSource

from connector_core.testing import SyncBench, check_source_contract


def closed_term_enrollment(running, term_code: str) -> dict:  # type: ignore[no-untyped-def]
    """A letter-graded enrollment of a closed term, as the sandbox serves it."""
    campus = running.campus
    for e in campus.enrollments:
        if campus.term(campus.section(e.section_key).term_key).code == term_code and e.grade == "B":
            return running.app.data.enrollment(100_000 + e.key)
    raise AssertionError(f"no B grade in {term_code}")


def test_grade_changed_after_term_end_is_exactly_one_changed_record(
    lerconnect_sync: SyncBench, monkeypatch: pytest.MonkeyPatch
) -> None:
    with canvas(closed_term_window_days=200) as running:
        sync = lerconnect_sync.engine(CanvasSource, running.table)
        first = sync.sync("canvas", stream="grades")[0]
        assert first.status == "succeeded" and first.count("new") == len(running.campus.enrollments)

        changed = closed_term_enrollment(running, "202610")  # Spring 2026 ended 2026-05-08
        running.app.data.set_grade(changed["id"], final_grade="A-", final_score=91.0)
        monkeypatch.setattr(CanvasSource, "clock", staticmethod(lambda: date(2026, 11, 16)))  # next night
        second = sync.sync("canvas", stream="grades")[0]

    assert second.status == "succeeded" and not second.full
    assert second.count("changed") == 1 and second.count("new") == 0 and second.count("withdrawn") == 0
    assert second.count("unchanged") == second.count("fetched") - 1


def test_malformed_grade_dead_letters_and_the_run_goes_on(lerconnect_sync: SyncBench) -> None:
    with canvas() as running:
        broken = closed_term_enrollment(running, "202530")
        running.app.data.set_grade(broken["id"], final_score="ninety")
        result = lerconnect_sync.engine(CanvasSource, running.table).sync("canvas", stream="grades")[0]

    assert result.status == "succeeded"
    assert result.count("dead_lettered") == 1
    assert result.count("new") == len(running.campus.enrollments) - 1
    [letter] = lerconnect_sync.dead_letters(source="canvas")
    assert letter.source_record_id == str(broken["id"])
    assert letter.field == "grades.final_score" and "ninety" in letter.reason


def test_every_stream_through_the_engine_then_a_rerun_changes_nothing(lerconnect_sync: SyncBench) -> None:
    with canvas() as running:
        sync = lerconnect_sync.engine(CanvasSource, running.table)
        first = {r.stream: r for r in sync.sync("canvas")}
        again = {r.stream: r for r in sync.sync("canvas", full=True)}
    campus = running.campus
    assert {s: r.count("new") for s, r in first.items()} == {
        "grades": len(campus.enrollments),
        "competencies": len(campus.outcome_results),
        "cocurricular": len(campus.participations),
    }
    assert all(
        r.status == "succeeded" and r.count("new") == r.count("changed") == r.count("withdrawn") == 0
        for r in again.values()
    )


def test_plugin_test_kit() -> None:
    report = check_source_contract(CanvasSource)
    assert report.records["grades"] > 0 and report.records["competencies"] > 0
    assert report.records["cocurricular"] > 0


def test_full_sync_of_fewer_terms_withdraws_nothing_outside_them(lerconnect_sync: SyncBench) -> None:
    with canvas() as running:
        everything = lerconnect_sync.engine(
            CanvasSource, {**running.table, "terms": ["202510", "202530", "202610", "202630"]}
        )
        first = everything.sync("canvas", stream="grades")[0]
        assert first.status == "succeeded" and first.count("new") == len(running.campus.enrollments)
        recent = lerconnect_sync.engine(CanvasSource, {**running.table, "terms": ["202610", "202630"]})
        again = recent.sync("canvas", stream="grades", full=True)[0]
        gone = next(e for e in running.campus.enrollments if running.campus.section(e.section_key).term_key == 4)
        running.app.data.delete_enrollment(100_000 + gone.key)
        third = recent.sync("canvas", stream="grades", full=True)[0]
    assert again.status == "succeeded" and again.count("withdrawn") == 0  # 2025 terms were not read: kept
    assert third.count("withdrawn") == 1  # a record of a term the pass did read is withdrawn
