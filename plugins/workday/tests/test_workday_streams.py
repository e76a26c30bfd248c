"""Every Workday stream over loopback SOAP, paging with a frozen entry moment, incremental workers, faults."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from lerconnect_workday.sandbox.data import Worker
from workday_testkit import workday, wsdl_cache  # noqa: F401 - wsdl_cache is an autouse fixture

from connector_core import AchievementKind, ResultStatus, SourceAuthError, SourceError
from connector_core.testing import SyncBench, normalized_by_id, pull_all


def test_every_stream_reads_the_campus_over_soap() -> None:
    with workday(page_size=50) as running:
        source = running.source()
        campus = running.campus
        got = {
            stream: list(normalized_by_id(source, stream, pull_all(source, stream)[0]).values())
            for stream in source.streams
        }
        calls = dict(running.app.calls)

    assert len(got["grades"]) == len(campus.enrollments)
    a_grade = next(r for r in got["grades"] if r.result.grade == "B")
    assert (
        a_grade.result.status is ResultStatus.completed
        and a_grade.credits_earned
        and a_grade.term.code in {t.code for t in campus.terms}
    )
    assert len(got["cocurricular"]) == len(campus.participations)
    assert len(got["learning"]) == len(campus.trainings)
    training = got["learning"][0]
    assert training.achievement.kind is AchievementKind.training and training.completed_on is not None
    assert training.learner.institution_id  # found through Get_Workers by reference
    assert len(got["employment"]) == len(campus.jobs)
    job = next(r for r in got["employment"] if r.completed_on is not None)
    assert job.achievement.kind is AchievementKind.employment and job.result.status is ResultStatus.completed
    assert {r.achievement.kind for r in got["competencies"]} == {AchievementKind.competency}
    assert calls["Get_Student_Course_Registrations_Request"] > 1  # several pages


def test_pages_share_one_frozen_entry_moment_so_a_hire_mid_run_shifts_nothing() -> None:
    with workday(page_size=3) as running:
        source = running.source()
        pages = source.pull("employment", None)
        first = next(pages)
        running.app.tenant.advance(seconds=5)  # the hire is entered after the run froze its moment
        newcomer = Worker("00001", "NEW-1", "Nia", "Early", "nearly@sandbox.example.edu", (), (), ())
        running.app.tenant.hire(replace(newcomer, jobs=(dict(_job(), position_id="P-NEW"),)))
        rest = [page for page in pages]
        seen = [raw["employee_id"] for page in [first, *rest] for raw in page.records]
        as_of = set(running.app.as_of_seen)
        expected = sorted(p.workday_employee_id for p in running.campus.people if p.workday_employee_id)

    assert len(rest) >= 2 and len(as_of) == 1
    assert seen == expected  # the newcomer (sorting first) did not push anyone onto the next page
    assert rest[-1].cursor["done"] and rest[-1].cursor["as_of"] == first.cursor["as_of"]


def _job() -> dict:
    return {
        "position_id": "P",
        "title": "Tutor",
        "business_title": "Tutor",
        "job_profile_id": "JP-1101",
        "job_profile": "Tutor",
        "worker_type": "Staff",
        "organization": "Library",
        "start": "2026-11-30",
        "end": None,
        "hours": 10,
        "primary": True,
    }


def test_a_changed_worker_is_picked_up_by_the_next_incremental_window(lerconnect_sync: SyncBench) -> None:
    with workday() as running:
        sync = running.engine(lerconnect_sync)
        full = sync.sync("workday", stream="employment")[0]
        tenant = running.app.tenant
        employee = sorted(tenant.revisions)[0]
        tenant.advance(minutes=10)
        tenant.retitle(employee, "Senior Library Assistant")
        tenant.advance(minutes=10)
        incremental = sync.sync("workday", stream="employment")[0]
        quiet = sync.sync("workday", stream="employment")[0]

    assert full.full and full.count("new") == len(running.campus.jobs)
    assert not incremental.full and incremental.count("fetched") == 1  # only the changed worker
    assert incremental.count("changed") == 1 and incremental.count("withdrawn") == 0
    assert quiet.count("changed") == 0 and quiet.count("fetched") <= 1  # the overlap may re-read it


def test_the_lagged_window_waits_for_the_transaction_log() -> None:
    with workday(log_lag_minutes=60, overlap_minutes=5) as running:
        source = running.source()
        _, cursors = pull_all(source, "employment")
        employee = sorted(running.app.tenant.revisions)[0]
        running.app.tenant.advance(minutes=1)
        running.app.tenant.retitle(employee, "Changed")
        running.app.tenant.advance(minutes=2)
        early, cursors = pull_all(source, "employment", cursors[-1])
        running.app.tenant.advance(minutes=90)
        later, _ = pull_all(source, "employment", cursors[-1])

    assert early == []  # the change is newer than now - lag: not asked for yet
    assert [raw["employee_id"] for raw in later] == [employee]


def test_wrong_password_is_an_auth_error_naming_the_fix() -> None:
    with workday() as running:
        source = running.source(password="wrong")
        with pytest.raises(SourceAuthError, match=r"invalid username or password.*user@tenant"):
            source.check()


@pytest.mark.parametrize("local_wsdl", [False, True])
def test_unknown_version_is_a_clear_error(local_wsdl: bool, tmp_path: Path) -> None:
    with workday() as running:
        overrides: dict = {"version": "v99.0"}
        if local_wsdl:
            from lerconnect_workday.sandbox.wsdl import wsdl

            path = tmp_path / "Human_Resources.wsdl"
            path.write_bytes(wsdl("Human_Resources"))
            overrides["wsdl"] = {"Human_Resources": str(path)}
        with pytest.raises(SourceError, match=r"v99.0.*set `version`"):
            running.source(**overrides).check()


def test_a_service_the_isu_may_not_read_is_a_permission_error() -> None:
    from connector_core import SourcePermissionError

    with workday() as running:
        running.app.tenant.denied["isu_lerconnect"] = {"Learning"}
        with pytest.raises(SourcePermissionError, match=r"not authorized.*security group"):
            pull_all(running.source(), "learning")


def test_fields_the_isu_cannot_see_are_reported_once_per_run(caplog: pytest.LogCaptureFixture) -> None:
    with workday(page_size=5) as running:
        running.app.tenant.secured.add("Personal_Data")
        with caplog.at_level(logging.WARNING, logger="lerconnect.workday"):
            raws, _ = pull_all(running.source(), "employment")
    warnings = [r.getMessage() for r in caplog.records if "Personal_Data" in r.getMessage()]
    assert len(raws) > 5 and len(warnings) == 1 and "Worker Data: Personal" in warnings[0]


def test_a_malformed_worker_is_dead_lettered_and_the_rest_stored(lerconnect_sync: SyncBench) -> None:
    with workday() as running:
        tenant = running.app.tenant
        broken = sorted(tenant.revisions)[1]
        tenant.change_worker(broken, lambda w: replace(w, jobs=({**w.jobs[0], "start": "2026-13-45"},)))
        tenant.advance(seconds=1)
        result = running.engine(lerconnect_sync).sync("workday", stream="employment")[0]
    letters = lerconnect_sync.dead_letters()
    assert result.status == "succeeded" and result.count("dead_lettered") == 1
    assert len(letters) == 1 and "Start_Date" in str(letters[0].reason)
    assert result.count("new") == len(running.campus.jobs) - sum(
        1 for j in running.campus.jobs if j.person_key == running.campus.find("workday_employee_id", broken).key
    )


def test_a_worker_with_an_earlier_position_gets_both_employment_records() -> None:
    with workday() as running:
        campus = running.campus
        moved = next(
            p
            for p in campus.people
            if sum(1 for j in campus.jobs if j.person_key == p.key) == 2
            and any(j.end is None for j in campus.jobs if j.person_key == p.key)
        )
        today_only, _ = pull_all(running.source(employment_history=False), "employment")
        with_history, _ = pull_all(running.source(), "employment")
        calls = dict(running.app.calls)

    def positions(raws: list[dict]) -> dict[str, str | None]:
        worker = next(r for r in raws if r["employee_id"] == moved.workday_employee_id)
        return {job["position_id"]: job["end"] for job in worker["jobs"]}

    earlier, current = sorted((j for j in campus.jobs if j.person_key == moved.key), key=lambda j: j.start)
    assert positions(today_only) == {current.position_id: None}  # Get_Workers: the job held today only
    assert positions(with_history) == {current.position_id: None, earlier.position_id: earlier.end.isoformat()}
    assert calls["Worker_Event_History_Get"] == len(with_history)  # one history per worker

    source = running.source()
    records = normalized_by_id(source, "employment", with_history)
    ended = records[f"{moved.workday_employee_id}/{earlier.position_id}"]
    assert ended.completed_on == earlier.end and ended.started_on == earlier.start
    assert ended.result.status is ResultStatus.completed
    assert records[f"{moved.workday_employee_id}/{current.position_id}"].completed_on is None


def test_a_position_that_ended_tonight_is_picked_up_incrementally(lerconnect_sync: SyncBench) -> None:
    with workday() as running:
        sync = running.engine(lerconnect_sync)
        full = sync.sync("workday", stream="employment")[0]
        tenant = running.app.tenant
        campus = running.campus
        person = next(
            p
            for p in campus.people
            if [j.end for j in campus.jobs if j.person_key == p.key] == [None] and p.workday_employee_id
        )
        employee = person.workday_employee_id
        tenant.advance(minutes=10)
        today = tenant.today()
        tomorrow = (today + timedelta(days=1)).isoformat()

        def move(worker: Worker) -> Worker:
            old = worker.jobs[0]
            new = {**old, "position_id": "P-PROMOTED", "business_title": "Lead", "start": tomorrow, "end": None}
            return replace(worker, jobs=(new, {**old, "end": today.isoformat(), "primary": False}))

        tenant.change_worker(employee, move)  # the last day in the old position is today
        tenant.advance(days=1)  # past midnight: Get_Workers shows the new position only
        history_calls = running.app.calls["Worker_Event_History_Get"]
        incremental = sync.sync("workday", stream="employment")[0]
        history_calls = running.app.calls["Worker_Event_History_Get"] - history_calls
        source = running.source()
        raws, _ = pull_all(source, "employment")
        records = normalized_by_id(source, "employment", raws)

    old_position = next(j.position_id for j in campus.jobs if j.person_key == person.key)
    assert full.count("new") == len(campus.jobs)
    assert not incremental.full and incremental.count("fetched") == 1 and history_calls == 1
    assert incremental.count("new") == 1 and incremental.count("changed") == 1  # the new job; the old one ended
    assert records[f"{employee}/{old_position}"].completed_on == today
    assert records[f"{employee}/P-PROMOTED"].completed_on is None


def test_a_fixed_term_position_is_in_progress_until_its_end_date_is_behind(lerconnect_sync: SyncBench) -> None:
    with workday() as running:
        tenant, campus = running.app.tenant, running.campus
        person = next(
            p
            for p in campus.people
            if [j.end for j in campus.jobs if j.person_key == p.key] == [None] and p.workday_employee_id
        )
        employee = person.workday_employee_id
        planned_end = tenant.today() + timedelta(days=30)
        tenant.change_worker(
            employee, lambda w: replace(w, jobs=({**w.jobs[0], "end": planned_end.isoformat()}, *w.jobs[1:]))
        )
        tenant.advance(minutes=10)
        source = running.source(employment_history=False)
        key = next(
            k
            for k in normalized_by_id(source, "employment", pull_all(source, "employment")[0])
            if k.startswith(f"{employee}/")
        )
        during = normalized_by_id(source, "employment", pull_all(source, "employment")[0])[key]
        tenant.advance(days=31)  # the contract has run out: its last day is behind
        after = normalized_by_id(source, "employment", pull_all(source, "employment")[0])[key]

    assert during.result.status is ResultStatus.in_progress and during.completed_on is None
    assert after.result.status is ResultStatus.completed and after.completed_on == planned_end


def test_a_move_entered_ahead_is_picked_up_on_its_effective_day(lerconnect_sync: SyncBench) -> None:
    with workday() as running:
        sync = running.engine(lerconnect_sync)
        sync.sync("workday", stream="employment")
        tenant, campus = running.app.tenant, running.campus
        person = next(
            p
            for p in campus.people
            if [j.end for j in campus.jobs if j.person_key == p.key] == [None] and p.workday_employee_id
        )
        employee = person.workday_employee_id
        tenant.advance(minutes=10)
        last_day, first_day = tenant.today() + timedelta(days=1), tenant.today() + timedelta(days=2)

        def move(worker: Worker) -> Worker:
            old = worker.jobs[0]
            new = {**old, "position_id": "P-NEXT", "start": first_day.isoformat(), "end": None}
            return replace(worker, jobs=({**old, "end": last_day.isoformat()}, new))

        tenant.change_worker(employee, move)  # entered today, taking effect the day after tomorrow
        tenant.advance(minutes=10)  # past the next window's overlap: only its effective day brings it back
        entered = sync.sync("workday", stream="employment")[0]
        tenant.advance(days=2)
        effective = sync.sync("workday", stream="employment")[0]
        stored = lerconnect_sync.records(stream="employment")

    # entered ahead, the old position's end is a plan: the worker is read, but nothing is completed yet
    assert entered.count("fetched") == 1 and entered.count("new") == entered.count("changed") == 0
    # on its effective day: the new position, and the old one completed (its last day is behind)
    assert effective.count("new") == 1 and effective.count("changed") == 1
    assert f"{employee}/P-NEXT" in stored
