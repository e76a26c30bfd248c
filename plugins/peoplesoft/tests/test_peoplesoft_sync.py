"""The PeopleSoft source against its sandbox over loopback: both modes, polling, caps, faults."""

from __future__ import annotations

import pytest
from lerconnect_peoplesoft import PeopleSoftSource
from lerconnect_peoplesoft.sandbox import Tuning
from peoplesoft_testkit import fast_retries, peoplesoft, pulled, records

from connector_core import LearningRecord, ResultStatus, SourceAuthError, SourceError, SourcePermissionError, Tombstone

MODES = [("qas_soap", "sync"), ("qas_soap", "poll"), ("qas_rest", "sync")]


def expected_counts(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    t = app.tables
    return {"grades": len(t.grades), "cocurricular": len(t.honors) + len(t.groups), "competencies": len(t.competencies)}


@pytest.mark.parametrize(("mode", "execution"), MODES)
def test_every_stream_in_every_mode_reads_every_row(mode: str, execution: str) -> None:
    with peoplesoft(mode=mode, execution=execution) as running:
        source = running.source()
        got = {stream: records(source, stream, pulled(source, stream)) for stream in source.streams}
        source.close()
    counts = expected_counts(running.app)
    assert {s: len(items) for s, items in got.items()} == counts
    assert all(n > 0 for n in counts.values())
    if mode == "qas_rest":
        assert running.app.stats.rest_calls > 0 and not running.app.stats.operations
    else:
        op = "QAS_EXEQRY_SYNCPOLL_REQ_MSG" if execution == "poll" else "QAS_EXEQRY_SYNC_REQ_MSG"
        assert running.app.stats.operations[op] > 0
    grades = [r for r in got["grades"] if isinstance(r, LearningRecord)]
    campus = running.campus
    person = campus.find("emplid", grades[0].learner.source_id)
    assert grades[0].learner.institution_id == person.institution_id == person.emplid


def test_modes_agree_record_for_record() -> None:
    hashes = []
    for mode, execution in MODES:
        with peoplesoft(mode=mode, execution=execution) as running:
            source = running.source()
            items = [i for s in source.streams for i in records(source, s, pulled(source, s))]
            hashes.append(sorted(i.content_hash() for i in items if isinstance(i, LearningRecord)))
            source.close()
    assert hashes[0] == hashes[1] == hashes[2]


def test_preliminary_grade_input_is_never_issued_as_final() -> None:
    with peoplesoft() as running:
        source = running.source()
        raws = pulled(source, "grades")
        source.close()
    open_term = max(t.code for t in running.campus.terms)
    preliminary = [
        r for r in raws if r["A.STRM"] == open_term and r["A.CRSE_GRADE_INPUT"] and not r["A.CRSE_GRADE_OFF"]
    ]
    assert preliminary, "the sandbox must serve roster grades before posting"
    for raw in preliminary:
        [record] = records(source, "grades", [raw])
        assert isinstance(record, LearningRecord)
        assert record.result.status is ResultStatus.in_progress and record.result.grade is None
        assert record.credits_earned is None


def test_withdrawn_and_dropped_enrollments() -> None:
    with peoplesoft() as running:
        source = running.source()
        raw = next(r for r in pulled(source, "grades") if r["A.CRSE_GRADE_OFF"] == "W")
        [withdrawn] = records(source, "grades", [raw])
        dropped = {**raw, "A.CRSE_GRADE_OFF": None, "A.ENRL_STATUS_REASON": "DROP"}
        [gone] = records(source, "grades", [dropped])
        source.close()
    assert isinstance(withdrawn, LearningRecord) and withdrawn.result.status is ResultStatus.withdrawn
    assert isinstance(gone, Tombstone) and gone.source_record_id == withdrawn.source_record_id


def test_polling_fetches_several_blocks_until_the_final_block() -> None:
    with peoplesoft(tuning=Tuning(block_rows=20, queued_status=2), execution="poll") as running:
        source = running.source()
        got = records(source, "grades", pulled(source, "grades"))
        source.close()
    ops = running.app.stats.operations
    terms = len(running.campus.terms)
    assert len(got) == len(running.app.tables.grades) > 20 * terms  # every term took several blocks
    assert ops["QAS_GETQUERYRESULTS_REQ_MSG"] > 3 * terms
    assert ops["QAS_QUERYSTATUS_REQ_MSG"] == 3 * terms  # two "queued", then "success", per run
    assert ops["QAS_CANCELQUERY_REQ_MSG"] == terms and not running.app.instances  # cleaned up


@pytest.mark.parametrize("mode", ["qas_soap", "qas_rest"])
def test_a_capped_result_is_split_by_subject_and_completed(mode: str) -> None:
    with peoplesoft(tuning=Tuning(profile_max_rows=40), mode=mode) as running:
        source = running.source(queries=running.query("grades", max_rows=40))
        got = records(source, "grades", pulled(source, "grades"))
        source.close()
    assert len(got) == len(running.app.tables.grades) > 40 * len(running.campus.terms)
    subjects = {v for _, prompts in running.app.stats.prompts for n, v in prompts if n == "SUBJECT"}
    assert "%" in subjects and "M%" in subjects  # whole terms first, then split by subject letter
    assert len({r.source_record_id for r in got}) == len(got)


def test_a_result_that_cannot_be_split_under_the_cap_fails_and_stores_nothing() -> None:
    with peoplesoft(tuning=Tuning(profile_max_rows=2)) as running:
        source = running.source(queries=running.query("groups", max_rows=2))
        with pytest.raises(SourceError, match=r"LER_STUDENT_GROUPS .*returned 2 rows, its max_rows.*Nothing of it"):
            list(source.pull("cocurricular", None))
        source.close()


@pytest.mark.parametrize("mode", ["qas_soap", "qas_rest"])
def test_a_bad_password_is_an_auth_error_naming_the_setting(mode: str) -> None:
    with peoplesoft(mode=mode) as running:
        source = running.source(password="wrong")
        with pytest.raises(SourceAuthError, match=r"158,45.*password"):
            source.check()
        source.close()


@pytest.mark.parametrize("mode", ["qas_soap", "qas_rest"])
def test_query_security_is_a_permission_error_naming_the_query_tree(mode: str) -> None:
    with peoplesoft(mode=mode) as running:
        source = running.source(username="LER_NO_QUERY_TREE")
        with pytest.raises(SourcePermissionError, match=r"LER_STDNT_ENRL_GRADES.*query tree"):
            list(source.pull("grades", None))
        source.close()


def test_an_unknown_query_says_check_the_name_and_owner() -> None:
    with peoplesoft() as running:
        source = running.source(queries=running.query("grades", name="LER_TYPO", public=False))
        with pytest.raises(SourceError, match=r"LER_TYPO.*check the query `name` and `public`"):
            source.check()
        source.close()


def test_gateway_timeouts_are_retried_then_the_polling_form_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    with peoplesoft(tuning=Tuning(sync_timeouts=4)) as running:  # every attempt of the first run times out
        source = running.source()
        got = records(source, "grades", pulled(source, "grades"))
        source.close()
    assert len(got) == len(running.app.tables.grades)
    assert running.app.stats.operations["QAS_EXEQRY_SYNCPOLL_REQ_MSG"] == 1  # the first term, then sync again
    assert running.app.tuning.sync_timeouts == 0


def test_rest_mode_refuses_poll_execution_in_config() -> None:
    with peoplesoft(mode="qas_rest") as running, pytest.raises(Exception, match="qas_soap"):
        running.source(queries=running.query("grades", execution="poll"))


def test_the_sandbox_serves_only_a_peoplesoft_campus() -> None:
    from connector_core.sandbox import build_campus

    assert PeopleSoftSource.sandbox(build_campus(learners=5)) is None
    assert PeopleSoftSource.sandbox(build_campus(learners=5, sis="peoplesoft")) is not None
