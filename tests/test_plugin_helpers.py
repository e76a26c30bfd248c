"""The framework pieces plugins share: raw-value readers, the Regex config type, grade statuses,
rubric scales, once-per-key reads, warn_once, and the test kit's SyncBench."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ValidationError

from connector_core import Page, RecordError, Regex, ResultScheme, ResultStatus, RubricLevel, Source, read
from connector_core.testing import SyncBench, make_source, run_cli
from connector_core.transport import OncePerKey


def test_timestamps_and_days_read_iso_8601_and_name_the_field_when_not() -> None:
    assert read.timestamp("2026-05-08T23:59:00Z", "f") == datetime(2026, 5, 8, 23, 59, tzinfo=UTC)
    assert read.timestamp("2026-05-08T23:59:00-07:00", "f").utcoffset() == timedelta(hours=-7)
    assert read.day("2026-05-08T23:59:00Z", "f") == date(2026, 5, 8) == read.day("2026-05-08", "f")
    assert read.timestamp(None, "f") is None and read.day("", "f") is None
    with pytest.raises(RecordError, match=r"course\.end_at 'soon' is not an ISO 8601 timestamp") as caught:
        read.day("soon", "course.end_at")
    assert caught.value.field == "course.end_at"


@pytest.mark.parametrize(
    ("reader", "good", "expected", "bad"),
    [
        (read.score, 91.5, 91.5, ["91", -1, True, float("inf"), {"x": 1}]),
        (read.grade, " B+ ", "B+", ["", "   ", 3, "A" * 25, "B\n"]),
        (read.amount, "3.5", Decimal("3.5"), ["three", "-1", "NaN", True, "Infinity"]),
    ],
)
def test_scores_grades_and_amounts_refuse_what_is_not_one(reader: Any, good: Any, expected: Any, bad: list) -> None:
    assert reader(good, "where") == expected and reader(None, "where") is None
    for value in bad:
        with pytest.raises(RecordError) as caught:
            reader(value, "where")
        assert caught.value.field == "where" and repr(value) in str(caught.value), value


def test_a_part_of_a_raw_record_must_be_an_object_with_its_keys() -> None:
    raw = {"course": {"id": 1}, "term": None, "score": {"score": 2}}
    assert read.part(raw, "course") == {"id": 1} and read.part(raw, "score", needs=()) == {"score": 2}
    assert read.part(raw, "term", needs=(), optional=True) == {}
    for key, needs, field in [("user", ("id",), "user"), ("score", ("id",), "score.id"), ("term", (), "term")]:
        with pytest.raises(RecordError) as caught:
            read.part(raw, key, needs=needs)
        assert caught.value.field == field
    with pytest.raises(RecordError, match="no `term` object"):
        read.part({"term": "Fall"}, "term", needs=(), optional=True)


class Patterns(BaseModel):
    any_regex: Annotated[str, Regex()] | None = None
    one_group: Annotated[str, Regex(groups=1)] = r"(\d+)"
    named: Annotated[str, Regex(named=("subject", "number"))] = r"(?P<subject>\w+) (?P<number>\d+)"


@pytest.mark.parametrize(
    ("values", "key", "says"),
    [
        ({"any_regex": "("}, "any_regex", "is not a valid regular expression"),
        ({"one_group": r"\d+"}, "one_group", "needs exactly one (group) capturing what is read; it has 0"),
        ({"one_group": r"(\d)(\d)"}, "one_group", "it has 2"),
        ({"named": r"(?P<subject>\w+)"}, "named", "needs the named groups (?P<number>…)"),
    ],
)
def test_a_regex_setting_is_refused_at_load_naming_the_key(values: dict, key: str, says: str) -> None:
    assert Patterns(any_regex="^CC-").any_regex == "^CC-"
    with pytest.raises(ValidationError) as caught:
        Patterns(**values)
    (error,) = caught.value.errors()
    assert error["loc"] == (key,) and says in error["msg"]


def test_a_grade_status_by_the_plugins_failing_set() -> None:
    failing = {"F", "NP"}
    assert [ResultStatus.of_grade(g, failing=failing) for g in ("A", " np ", "i", "", "W")] == [
        ResultStatus.completed,
        ResultStatus.failed,
        ResultStatus.incomplete,
        ResultStatus.completed,
        ResultStatus.completed,
    ]
    assert ResultStatus.of_grade("U", failing={"U"}, incomplete=()) is ResultStatus.failed


def test_a_rubric_orders_levels_and_finds_the_required_and_achieved_level() -> None:
    levels = [RubricLevel(name=n, points=p) for n, p in [("Near", 2.0), ("Exceeds", 4.0), ("Meets", 3.0), ("No", 0.0)]]
    scheme = ResultScheme.rubric("Proofs rating", levels, 3)
    assert [lv.name for lv in scheme.levels] == ["Exceeds", "Meets", "Near", "No"]
    assert (scheme.required_level, scheme.mastery_points, scheme.result_type) == ("Meets", 3.0, "RubricCriterionLevel")
    assert [scheme.level_for(p) for p in (4.5, 3.0, 2.9, 0.0)] == ["Exceeds", "Meets", "Near", "No"]
    assert ResultScheme.rubric("x", levels[1:2], 5).required_level is None
    assert ResultScheme.rubric("x", [RubricLevel(name="Yes", points=1.0)], 0).level_for(-1) is None


def test_once_per_key_reads_each_key_once_while_threads_wait_and_retries_a_failure() -> None:
    calls: list[str] = []

    def slow(key: str) -> str:
        calls.append(key)
        time.sleep(0.05)
        if key == "bad" and calls.count("bad") == 1:
            raise ConnectionError("first read of bad fails")
        return key.upper()

    once = OncePerKey(slow)
    results: list[str] = []
    threads = [threading.Thread(target=lambda k=k: results.append(once(k))) for k in ["a"] * 6 + ["b"] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["A"] * 6 + ["B"] * 3 and sorted(calls) == ["a", "b"]
    with pytest.raises(ConnectionError):
        once("bad")
    assert once("bad") == "BAD" and calls.count("bad") == 2


class Quiet(Source):
    name = "quiet"
    streams = ("grades",)

    def check(self) -> str:
        return "quiet: nothing to reach"

    def normalize(self, stream: str, raw: Any) -> Any:
        return []

    def pull(self, stream: str, cursor: Any) -> Any:
        self.warn_once("gap", "the token sees no SIS ids")
        self.warn_once("gap", "the token sees no SIS ids")
        self.warn_once("other", "no terms configured")
        yield Page(records=[], cursor={"done": True, "day": str(self.clock())})

    clock = staticmethod(date.today)


def test_warn_once_says_each_gap_once_per_source_instance(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="lerconnect.quiet")
    source = make_source(Quiet, {}, name="nightly")
    list(source.pull("grades", None))
    list(source.pull("grades", None))
    assert [r.getMessage() for r in caplog.records] == [
        "quiet source nightly: the token sees no SIS ids",
        "quiet source nightly: no terms configured",
    ]


def test_the_bench_runs_the_real_engine_on_the_campus_day_unless_the_test_set_one(lerconnect_sync: SyncBench) -> None:
    from connector_core.sandbox import AS_OF

    result = lerconnect_sync.engine(Quiet, {}, name="nightly").sync("nightly")[0]
    assert result.status == "succeeded" and lerconnect_sync.run(result.run_id).source == "nightly"
    assert lerconnect_sync.cursor("nightly", "grades") == {"done": True, "day": str(AS_OF)}
    assert lerconnect_sync.records() == {} and lerconnect_sync.dead_letters() == []


def test_a_clock_the_test_set_is_kept(lerconnect_sync: SyncBench, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Quiet, "clock", staticmethod(lambda: date(2030, 1, 2)))
    lerconnect_sync.engine(Quiet, {}).sync("quiet")
    assert lerconnect_sync.cursor("quiet", "grades")["day"] == "2030-01-02"


def test_the_pin_ends_with_the_test(lerconnect_store: Any, tmp_path: Any) -> None:
    from connector_core.sandbox import AS_OF

    with pytest.MonkeyPatch.context() as patch:
        SyncBench(lerconnect_store, tmp_path, patch).engine(Quiet, {})
        assert Quiet.clock() == AS_OF
    assert Quiet.clock == date.today


def test_run_cli_is_the_lerconnect_command() -> None:
    result = run_cli("plugins")
    assert result.exit_code == 0 and "canvas" in result.output


def test_a_stream_the_source_does_not_offer_is_refused_naming_those_it_does() -> None:
    from lerconnect_canvas import CanvasSource

    from connector_core import SourceError

    canvas = make_source(CanvasSource, {"base_url": "https://canvas.example.edu", "token": "t"})
    with pytest.raises(SourceError, match="canvas has no stream 'employment'; its streams are grades, competencies"):
        next(iter(canvas.pull("employment", None)))
    make_source(Quiet, {}).check_stream("grades")


class OneRecord(Quiet):
    name = "one"

    def pull(self, stream: str, cursor: Any) -> Any:
        yield Page(records=[{"id": "r1"}], cursor={"after": "r1"})

    def normalize(self, stream: str, raw: Any) -> Any:
        from connector_core import Learner, LearningRecord

        yield LearningRecord.cocurricular(
            source_id=raw["id"], learner=Learner(source_id="S1"), activity_key="club", activity="Club"
        )


def test_failing_writes_is_a_crash_before_the_commit_and_a_rerun_stores_it(lerconnect_sync: SyncBench) -> None:
    engine = lerconnect_sync.engine(OneRecord, {})
    with lerconnect_sync.failing_writes(RuntimeError("power cut")):
        (crashed,) = engine.sync("one")
    assert crashed.status == "failed" and "power cut" in (crashed.error or "")
    assert lerconnect_sync.records() == {} and lerconnect_sync.cursor("one", "grades") is None
    (again,) = engine.sync("one")
    assert again.status == "succeeded" and list(lerconnect_sync.records()) == ["r1"]


def test_the_bench_demo_issues_credentials_that_verify(lerconnect_sync: SyncBench) -> None:
    from lerconnect_files import FilesSource

    from connector_core.testing import verify_credential

    result = lerconnect_sync.demo(FilesSource, learners=12, seed=7)
    assert {r.source for r in result.runs} == {"files"} and result.verify_failures == []
    documents = lerconnect_sync.credentials()
    assert documents and all(verify_credential(d).verified for d in documents[:3])
    assert {"OpenBadgeCredential", "ClrCredential"} <= {t for d in documents for t in d["type"]}
