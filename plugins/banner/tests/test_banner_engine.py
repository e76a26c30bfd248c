"""The Banner source through the real sync engine: full load, change notifications, crashes, dead letters."""

from __future__ import annotations

from banner_testkit import banner, expected_grades, store_fails_once_consumed
from lerconnect_banner import BannerSource

from connector_core.sandbox import build_campus
from connector_core.testing import SyncBench, check_source_contract


def _enrollment(campus, *, closed: bool, grade: str | None = None, state: str | None = None):  # type: ignore[no-untyped-def]
    for e in campus.enrollments:
        term = campus.term(campus.section(e.section_key).term_key)
        if term.closed == closed and (grade is None or e.grade == grade) and (state is None or e.state == state):
            return e
    raise AssertionError("no such enrollment in the campus")


def test_full_load_then_change_notifications_then_a_quiet_night(bench: SyncBench) -> None:
    with banner() as running:
        sync = bench.engine(BannerSource, running.table)
        first = {r.stream: r for r in sync.sync("banner")}
        campus, app = running.campus, running.app
        assert first["grades"].count("new") == len(campus.enrollments)
        assert first["cocurricular"].count("new") == len(campus.participations)

        graded = _enrollment(campus, closed=True, grade="B")
        running_course = _enrollment(campus, closed=False, state="active")
        gone = _enrollment(campus, closed=True, grade="A")
        app.change_grade(graded.key, "A-")
        app.withdraw(running_course.key)
        app.add_involvement(campus.participations[0].person_key, 2, 4, "Officer")
        app.delete("student-transcript-grades", campus.guid("transcript-grade", gone.key))
        consumed = app.queue.consumed

        second = {r.stream: r for r in sync.sync("banner")}
        assert not second["grades"].full and second["grades"].status == "succeeded"
        assert (second["grades"].count("changed"), second["grades"].count("new")) == (2, 0)
        assert second["grades"].count("withdrawn") == 1  # the deleted transcript grade
        assert second["cocurricular"].count("new") == 1
        assert app.queue.consumed == consumed + 1  # one batch held all four notifications
        assert bench.cursor("banner", "grades") == {"changes": 4}

        grades = bench.records(source="banner", stream="grades")
        changed = grades[campus.guid("transcript-grade", graded.key)]
        assert changed.data["result"]["grade"] == "A-"
        withdrawn = grades[campus.guid("registration", running_course.key)]
        assert withdrawn.result_status == "withdrawn"
        assert campus.guid("transcript-grade", gone.key) not in grades

        requests = app.stats["requests"]
        third = {r.stream: r for r in sync.sync("banner", stream="grades")}
        assert app.stats["requests"] - requests == 2  # a token and one /consume that returns nothing
        assert app.consumed_after[-1] == "4"
        assert third["grades"].count("new") == third["grades"].count("changed") == 0


def test_a_crash_after_consuming_before_committing_loses_nothing(bench: SyncBench) -> None:
    with banner() as running:
        sync = bench.engine(BannerSource, running.table)
        sync.sync("banner", stream="grades")
        graded = _enrollment(running.campus, closed=True, grade="C")
        running.app.change_grade(graded.key, "B")

        with store_fails_once_consumed(bench.store, running.app.queue, RuntimeError("power cut")):
            crashed = sync.sync("banner", stream="grades")[0]
        assert crashed.status == "failed" and "power cut" in (crashed.error or "")
        assert running.app.queue.remaining() == 0  # Ethos removed what it handed out

        again = sync.sync("banner", stream="grades")[0]
    assert running.app.consumed_after[-2:] == ["0", "0"]  # the saved position is sent again
    assert again.status == "succeeded" and again.count("changed") == 1
    stored = bench.records(source="banner", stream="grades")[running.campus.guid("transcript-grade", graded.key)]
    assert stored.data["result"]["grade"] == "B"


def test_a_notification_for_a_resource_not_read_is_skipped_and_the_cursor_advances(bench: SyncBench) -> None:
    with banner() as running:
        sync = bench.engine(BannerSource, running.table)
        sync.sync("banner", stream="grades")
        running.app.publish_foreign("person-holds")
        running.app.publish_foreign("person-holds")
        result = sync.sync("banner", stream="grades")[0]
        assert result.status == "succeeded" and result.count("fetched") == 0 and result.count("dead_lettered") == 0
        assert bench.cursor("banner", "grades") == {"changes": 2}
        sync.sync("banner", stream="grades")
    assert running.app.consumed_after[-1] == "2" and running.app.queue.acknowledged == 2


def test_a_malformed_record_dead_letters_and_the_run_goes_on(bench: SyncBench) -> None:
    with banner() as running:
        campus = running.campus
        broken = _enrollment(campus, closed=True, grade="B")
        row = running.app.data.find("student-transcript-grades", campus.guid("transcript-grade", broken.key))
        assert row is not None
        row["grade"] = {"id": "00000000-0000-0000-0000-00000000dead"}
        result = bench.engine(BannerSource, running.table).sync("banner", stream="grades")[0]
    assert result.status == "succeeded"
    assert result.count("dead_lettered") == 1 and result.count("new") == len(campus.enrollments) - 1
    [letter] = bench.dead_letters(source="banner")
    assert letter.source_record_id == campus.guid("transcript-grade", broken.key)
    assert letter.field == "grade" and "grade-definitions" in letter.reason


def test_a_learner_in_banner_and_canvas_becomes_one_learner(bench: SyncBench) -> None:
    from lerconnect_canvas import CanvasSource
    from lerconnect_canvas.sandbox import build_sandbox as canvas_sandbox

    from connector_core.testing import serve_sandbox

    campus = build_campus(learners=12, seed=7)
    canvas = canvas_sandbox(campus)
    with banner(campus) as running, serve_sandbox(canvas.app) as canvas_url:
        tables = {
            "banner": {**running.table, "plugin": "banner"},
            "canvas": {**canvas.config(canvas_url, bench.workdir), "plugin": "canvas"},
        }
        sync = bench.engine_over(tables, BannerSource, CanvasSource)
        assert all(r.status == "succeeded" for r in sync.sync("banner", stream="grades"))
        assert all(r.status == "succeeded" for r in sync.sync("canvas", stream="grades"))
    person = next(p for p in campus.people if p.banner_id)
    links = bench.learner_links(person.banner_id)
    assert {source for source, _ in links} == {"banner", "canvas"}
    assert len({key for _, key in links}) == 1  # one learner


def test_plugin_test_kit() -> None:
    report = check_source_contract(BannerSource, campus=build_campus(learners=12, seed=7))
    assert report.records["grades"] == len(expected_grades(build_campus(learners=12, seed=7)))
    assert report.records["cocurricular"] > 0
