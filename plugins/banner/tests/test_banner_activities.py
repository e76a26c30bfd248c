"""`cocurricular = "activities"`: the Banner BP API general-student-activities (SGRSACT), per Banner ID."""

from __future__ import annotations

import pytest
from banner_testkit import banner, expected_activities, pull, records
from lerconnect_banner import BannerSource

from connector_core import ResultStatus, SourceError
from connector_core.sandbox import AS_OF
from connector_core.testing import SyncBench, check_source_contract

MODES = ("ethos", "banner9")


@pytest.mark.parametrize("mode", MODES)
def test_a_full_load_asks_once_per_learner_and_joins_term_and_learner(mode: str) -> None:
    with banner(mode=mode) as running:
        source = running.source(cocurricular="activities")
        got = records(source, "cocurricular", pull(source, "cocurricular")[0])
        campus, stats = running.campus, running.app.stats
        expected = expected_activities(campus)
        assert {rid: (r.achievement.catalog_key, r.term.code if r.term else None) for rid, r in got.items()} == {
            rid: (activity.code, term.code) for rid, (_, activity, term) in expected.items()
        }
        learners = [p for p in campus.people if p.banner_guid]
        assert stats["general-student-activities"] == len(learners)  # one request per Banner ID
        assert stats["persons"] == stats["academic-periods"] == 1  # the run's code tables, read once

        rid, (person, activity, term) = next((k, v) for k, v in expected.items() if v[2].end < AS_OF)
        record = got[rid]
        assert record.learner.source_id == record.learner.institution_id == person.banner_id
        assert (record.achievement.title, record.achievement.key) == (activity.name, f"banner:activity:{activity.code}")
        assert (record.started_on, record.completed_on, record.result.status) == (
            term.start,
            term.end,
            ResultStatus.completed,
        )
        running_term = next(v for v in got.values() if v.term and v.term.end and v.term.end >= AS_OF)
        assert running_term.completed_on is None and running_term.result.status is ResultStatus.in_progress
        assert running_term.role is None  # SGRSACT holds no role


def test_initial_terms_narrow_each_request_to_the_term() -> None:
    with banner() as running:
        source = running.source(cocurricular="activities", initial_terms=["202630"])
        raws, cursors = pull(source, "cocurricular")
        got = records(source, "cocurricular", raws)
        learners = [p for p in running.campus.people if p.banner_guid]
        assert running.app.stats["general-student-activities"] == len(learners)
    expected = {rid for rid, (_, _, term) in expected_activities(running.campus).items() if term.code == "202630"}
    assert got.keys() == expected and expected
    assert cursors[-1] is None  # every run is a full pass


@pytest.mark.parametrize("mode", MODES)
def test_new_activities_arrive_the_next_night_and_deleted_ones_are_withdrawn(mode: str, bench: SyncBench) -> None:  # type: ignore[no-untyped-def]
    with banner(mode=mode) as running:
        table = {**running.table, "cocurricular": "activities"}
        sync = bench.engine(BannerSource, table)
        campus, app = running.campus, running.app
        first = sync.sync("banner", stream="cocurricular")[0]
        assert first.status == "succeeded" and first.full
        assert first.count("new") == len(expected_activities(campus))

        person = next(p for p in campus.people if p.banner_guid)
        added = app.add_student_activity(person.key, 5, 4)
        gone_id, (gone_person, gone_activity, gone_term) = next(iter(expected_activities(campus).items()))
        app.remove_student_activity(gone_person.banner_id, gone_term.code, gone_activity.code)
        second = sync.sync("banner", stream="cocurricular")[0]
        assert second.status == "succeeded" and second.full
        assert (second.count("new"), second.count("withdrawn"), second.count("changed")) == (1, 1, 0)

        stored = bench.records(source="banner", stream="cocurricular")
        new_id = f"{person.banner_id}:{added['termCode']}:{added['actcCode']}"
        assert new_id in stored and gone_id not in stored
        assert stored[new_id].data["achievement"]["title"] == campus.activity(5).name

        third = sync.sync("banner", stream="cocurricular")[0]
        assert (third.count("new"), third.count("changed"), third.count("withdrawn")) == (0, 0, 0)


def test_a_malformed_row_is_dead_lettered_and_the_rest_stored(bench: SyncBench) -> None:  # type: ignore[no-untyped-def]
    with banner() as running:
        campus, app = running.campus, running.app
        person = next(p for p in campus.people if app.data.student_activities.get(p.banner_id))
        rows = app.data.student_activities[person.banner_id]
        rows[0]["termCode"] = "209910"  # a term Banner does not have
        bad_id = f"{person.banner_id}:209910:{rows[0]['actcCode']}"
        table = {**running.table, "cocurricular": "activities"}
        result = bench.engine(BannerSource, table).sync("banner", stream="cocurricular")[0]
    assert result.status == "succeeded"
    assert result.count("dead_lettered") == 1 and result.count("new") == len(expected_activities(campus)) - 1
    [letter] = bench.dead_letters(source="banner")
    assert letter.source_record_id == bad_id
    assert letter.field == "termCode" and "'209910' is not an academic-periods code" in letter.reason


def test_errors_name_the_business_process_api() -> None:
    with banner() as running:
        with pytest.raises(SourceError, match=r"initial_terms \['209910'\] are not academic-periods codes"):
            pull(running.source(cocurricular="activities", initial_terms=["209910"]), "cocurricular")

        source = running.source(cocurricular="activities", resource_versions={"general-student-activities": "2"})
        with pytest.raises(SourceError, match=r"general-student-activities: the tenant does not serve version 2"):
            pull(source, "cocurricular")

        running.app.data.banner_ids.discard(next(p.banner_id for p in running.campus.people if p.banner_guid))
        with pytest.raises(SourceError, match=r"resource general-student-activities: HTTP 400 .*Invalid Banner ID"):
            pull(running.source(cocurricular="activities"), "cocurricular")

        running.app.business_process_apis.clear()
        with pytest.raises(SourceError, match=r"resource general-student-activities: HTTP 404 .*not deployed"):
            pull(running.source(cocurricular="activities"), "cocurricular")


def test_check_reads_the_activity_types_of_the_business_process_api() -> None:
    with banner(mode="banner9") as running:
        said = running.source(cocurricular="activities").check()
    assert "Banner API user accepted" in said and "activity-types v1.0.0 readable (4 on the first page)" in said


@pytest.mark.parametrize("mode", MODES)
def test_plugin_test_kit_on_the_activities_source(mode: str) -> None:
    with banner(mode=mode) as running:
        table = {**running.table, "cocurricular": "activities"}
        report = check_source_contract(BannerSource, table, streams=("cocurricular",))
    assert report.ok, report.summary()
    assert report.records["cocurricular"] == len(expected_activities(running.campus))
