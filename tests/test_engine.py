"""The sync engine end to end against the example API: idempotence, changes, removals, dead letters,
leases, transform hooks and identity."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import example_source
import pytest
from example_source import ExampleApi, example_table, grade, seed
from sqlalchemy import text
from sqlmodel import select

from connector_core import Alignment, DropRecord, LearningRecord, hookimpl
from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.plugins import load_registry
from connector_core.store import Store, identities, runs
from connector_core.store.tables import (
    DeadLetterRow,
    IdentityReviewRow,
    LearnerIdentifierRow,
    LearnerRow,
    RecordRow,
    RunLockRow,
    SyncRunRow,
)
from connector_core.testing import serve_sandbox

DATA_TABLES = {"learning_record": "id", "achievement": "key", "learner": "key", "learner_identifier": "id"}


@pytest.fixture
def api() -> ExampleApi:
    return ExampleApi()


@pytest.fixture
def base_url(api: ExampleApi) -> Iterator[str]:
    with serve_sandbox(api) as url:
        yield url


def make_engine(store: Store, sources: dict[str, dict[str, Any]], *plugins: object, **options: Any) -> SyncEngine:
    settings = settings_from_dict({"sources": sources})
    return SyncEngine(store, load_registry(extra_modules=(example_source, *plugins)), settings, **options)


def sync_one(engine: SyncEngine, name: str = "example", **options: Any):
    (result,) = engine.sync(name, **options)
    return result


def dump(store: Store) -> dict[str, list[tuple]]:
    """Every row of the data tables, in key order: equal dumps mean nothing was written."""
    with store.engine.connect() as connection:
        return {
            table: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))]
            for table, key in DATA_TABLES.items()
        }


def rows_for(store: Store, record_id: str) -> list[RecordRow]:
    with store.session() as session:
        return list(
            session.scalars(select(RecordRow).where(RecordRow.source_record_id == record_id).order_by(RecordRow.id))
        )


def test_rerun_without_changes_writes_only_the_run_record(store: Store, api: ExampleApi, base_url: str) -> None:
    seed(api, 12)
    engine = make_engine(store, {"example": example_table(base_url)})
    first = sync_one(engine)
    assert (first.status, first.count("new"), first.count("pages")) == ("succeeded", 12, 3)
    before = dump(store)
    assert len(before["learning_record"]) == 12 and len(before["learner"]) == 12

    incremental = sync_one(engine)
    full = sync_one(engine, full=True)

    assert incremental.status == "succeeded" and incremental.count("fetched") == 0
    assert full.status == "succeeded" and full.full
    assert (full.count("fetched"), full.count("unchanged")) == (12, 12)
    assert [full.count(k) for k in ("new", "changed", "withdrawn", "dead_lettered")] == [0, 0, 0, 0]
    assert dump(store) == before
    assert [r.status for r in runs.list_runs(store, source="example")] == ["succeeded"] * 3


def test_changed_record_supersedes_the_old_row(store: Store, api: ExampleApi, base_url: str) -> None:
    seed(api, 12)
    engine = make_engine(store, {"example": example_table(base_url)})
    sync_one(engine)
    api.put("grades", grade("g0003", "S0003", "C-3", "A", institution_id="900003"))

    result = sync_one(engine)

    assert (result.status, result.count("fetched"), result.count("changed"), result.count("new")) == (
        "succeeded",
        1,
        1,
        0,
    )
    old, new = rows_for(store, "g0003")
    assert (old.status, new.status) == ("superseded", "active")
    assert old.ended_reason == "grade changed from B to A"
    assert old.ended_run_id == result.run_id and new.replaces_id == old.id
    assert new.content_hash != old.content_hash and new.data["result"]["grade"] == "A"
    with store.session() as session:
        active = session.scalars(select(RecordRow).where(RecordRow.status == "active")).all()
    assert len(active) == 12


def test_removed_record_is_withdrawn_by_a_full_run(store: Store, api: ExampleApi, base_url: str) -> None:
    seed(api, 12)
    engine = make_engine(store, {"example": example_table(base_url)})
    sync_one(engine)
    api.delete("grades", "g0005", tombstone=False)  # the source just stops returning it

    incremental = sync_one(engine)
    assert incremental.count("withdrawn") == 0, "an incremental run cannot know what vanished"
    full = sync_one(engine, full=True)

    assert (full.status, full.count("withdrawn"), full.count("unchanged")) == ("succeeded", 1, 11)
    (row,) = rows_for(store, "g0005")
    assert (row.status, row.ended_reason, row.ended_run_id) == (
        "withdrawn",
        "no longer returned by the source",
        full.run_id,
    )


def test_tombstone_withdraws_in_an_incremental_run(store: Store, api: ExampleApi, base_url: str) -> None:
    seed(api, 6)
    engine = make_engine(store, {"example": example_table(base_url)})
    sync_one(engine)
    api.delete("grades", "g0002")

    result = sync_one(engine)

    assert (result.count("fetched"), result.count("withdrawn")) == (1, 1)
    (row,) = rows_for(store, "g0002")
    assert (row.status, row.ended_reason) == ("withdrawn", "deleted at the source")


def test_malformed_records_dead_letter_with_the_field_named(store: Store, api: ExampleApi, base_url: str) -> None:
    seed(api, 4)
    bad = {
        "bad-title": (
            {**grade("bad-title", "S9001"), "course": {"id": "X-1", "title": ""}},
            "course.title",
            "course.title is missing or empty",
        ),
        "bad-credits": (grade("bad-credits", "S9002", credits="lots"), "course.credits", "'lots' is not a number"),
        "bad-date": (
            {**grade("bad-date", "S9003"), "completed": "yesterday"},
            "completed",
            "'yesterday' is not a date",
        ),
        "bad-student": (
            {**grade("bad-student", "S9004"), "student": "S9004"},
            "student",
            "'student' must be an object, got str",
        ),
        "bad-grade": (
            {**grade("bad-grade", "S9005"), "grade": {"letter": "A"}},
            "grade",
            "Input should be a valid string",
        ),
    }
    for raw, _, _ in bad.values():
        api.put("grades", raw)
    api.put("grades", grade("g-after", "S9006"))  # records after the bad ones still arrive

    result = sync_one(make_engine(store, {"example": example_table(base_url)}))

    assert result.status == "succeeded", result.error
    assert (result.count("new"), result.count("dead_lettered")) == (5, 5)
    letters = {d.source_record_id: d for d in runs.list_dead_letters(store, run_id=result.run_id)}
    assert set(letters) == set(bad)
    for record_id, (raw, field, reason) in bad.items():
        letter = letters[record_id]
        assert letter.field == field, record_id
        assert reason in letter.reason, (record_id, letter.reason)
        assert letter.raw["id"] == raw["id"] and letter.stream == "grades"
    assert not rows_for(store, "bad-title") and rows_for(store, "g-after")
    with store.session() as session:
        run = session.get(SyncRunRow, result.run_id)
        assert (run.status, run.dead_lettered) == ("succeeded", 5)
        assert session.scalar(select(DeadLetterRow.reason).where(DeadLetterRow.source_record_id == "bad-date"))


def test_a_run_is_refused_while_another_holds_the_lease(store: Store, api: ExampleApi, base_url: str) -> None:
    seed(api, 3)
    runs.acquire_lease(store, "example", "grades", "other-run", "elsewhere:42", timedelta(minutes=5))

    result = sync_one(make_engine(store, {"example": example_table(base_url)}))

    assert result.status == "refused"
    assert "example/grades is already being synced" in result.error
    assert "other-run on elsewhere:42" in result.error
    assert runs.get_run(store, result.run_id).status == "refused"
    assert not rows_for(store, "g0001") and api.requests_seen == []
    with store.session() as session:
        assert session.get(RunLockRow, ("example", "grades")).run_id == "other-run"


def test_two_threads_syncing_one_stream_one_is_refused(store: Store, api: ExampleApi, base_url: str) -> None:
    seed(api, 8)
    api.gate = threading.Semaphore(0)  # the first run blocks on its first page request
    first: list = []
    table = {"example": example_table(base_url)}
    worker = threading.Thread(target=lambda: first.append(sync_one(make_engine(store, table))))
    worker.start()
    deadline = time.monotonic() + 10
    while not api.requests_seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert api.requests_seen, "the first run never asked for a page"

    second = sync_one(make_engine(store, table))
    release_gate(api)
    worker.join(timeout=20)

    assert second.status == "refused" and "already being synced" in second.error
    assert first and first[0].status == "succeeded" and first[0].count("new") == 8


def release_gate(api: ExampleApi) -> None:
    """Let every blocked page request through."""
    gate, api.gate = api.gate, None
    if gate is not None:
        for _ in range(100):
            gate.release()


def test_a_stale_lease_is_taken_over(store: Store, api: ExampleApi, base_url: str) -> None:
    seed(api, 3)
    runs.acquire_lease(store, "example", "grades", "dead-run", "crashed:1", timedelta(seconds=-1))

    result = sync_one(make_engine(store, {"example": example_table(base_url)}))

    assert (result.status, result.count("new")) == ("succeeded", 3)
    with store.session() as session:
        assert session.get(RunLockRow, ("example", "grades")) is None, "the lease is released after the run"
        assert not runs.renew_lease(session, "example", "grades", "dead-run", timedelta(minutes=1))


class Skills:
    """A transform plugin: aligns every course to a skill, and drops learner S0002's records."""

    __name__ = "skills"

    @hookimpl
    def lerconnect_transform(self, record: LearningRecord, context: dict) -> LearningRecord | None:
        if record.learner.source_id == "S0002":
            raise DropRecord
        alignment = Alignment(
            target_name="Quantitative reasoning",
            target_url="https://example.org/skills/qr",
            target_code=f"QR-{context['stream']}",
        )
        return record.model_copy(
            update={"achievement": record.achievement.model_copy(update={"alignments": (alignment,)})}
        )


class Noop:
    __name__ = "noop"

    @hookimpl
    def lerconnect_transform(self, record: LearningRecord, context: dict) -> None:
        assert context["source"] == "example" and context["run_id"]


def test_transform_hooks_enrich_and_drop(store: Store, api: ExampleApi, base_url: str) -> None:
    seed(api, 4)
    engine = make_engine(store, {"example": example_table(base_url)}, Skills(), Noop())

    result = sync_one(engine)

    assert (result.status, result.count("new")) == ("succeeded", 3)
    assert not rows_for(store, "g0002")
    (row,) = rows_for(store, "g0001")
    assert row.data["achievement"]["alignments"][0]["target_code"] == "QR-grades"
    assert sync_one(engine, full=True).count("unchanged") == 3, "the enriched record hashes the same"


@pytest.fixture
def two_apis() -> Iterator[tuple[ExampleApi, ExampleApi, dict[str, dict]]]:
    lms, sis = ExampleApi(), ExampleApi()
    with serve_sandbox(lms) as lms_url, serve_sandbox(sis) as sis_url:
        yield lms, sis, {"lms": example_table(lms_url), "sis": example_table(sis_url)}


def learners(store: Store) -> tuple[list[LearnerRow], list[LearnerIdentifierRow]]:
    with store.session() as session:
        return (
            list(session.scalars(select(LearnerRow))),
            list(session.scalars(select(LearnerIdentifierRow).order_by(LearnerIdentifierRow.source))),
        )


def test_same_person_in_two_sources_is_one_learner(store: Store, two_apis: tuple) -> None:
    lms, sis, tables = two_apis
    lms.put("grades", grade("l1", "L-1", institution_id="900001"))
    sis.put("grades", grade("s1", "900001", "HIST-1", institution_id="900001"))
    engine = make_engine(store, tables)

    sync_one(engine, "lms")
    result = sync_one(engine, "sis")

    assert result.count("learners_merged") == 1
    people, ids = learners(store)
    assert len(people) == 1 and not people[0].review_pending
    assert [(i.source, i.source_id, i.learner_key) for i in ids] == [
        ("lms", "L-1", people[0].key),
        ("sis", "900001", people[0].key),
    ]
    assert rows_for(store, "l1")[0].learner_key == rows_for(store, "s1")[0].learner_key


def test_conflicting_rules_queue_a_review(store: Store, two_apis: tuple) -> None:
    lms, sis, tables = two_apis
    lms.put("grades", grade("l1", "L-1", institution_id="900001", email="ana@example.edu", verified=True))
    lms.put("grades", grade("l2", "L-2", institution_id="900002", email="ben@example.edu", verified=True))
    sis.put("grades", grade("s1", "Z-9", institution_id="900001", email="Ben@example.edu", verified=True))
    engine = make_engine(store, tables)

    sync_one(engine, "lms")
    result = sync_one(engine, "sis")

    assert result.status == "succeeded" and result.count("learners_merged") == 0
    (review,) = identities.open_reviews(store)
    key = rows_for(store, "s1")[0].learner_key
    assert (review.learner_key, review.source, review.source_id) == (key, "sis", "Z-9")
    assert review.reason.startswith("rules point to different learners")
    assert len(review.candidates) == 2 and key not in review.candidates
    with store.session() as session:
        assert session.get(LearnerRow, key).review_pending
        assert identities.on_hold(session, key) == "identity awaiting review"
        assert session.scalar(select(IdentityReviewRow.status)) == "open"


def test_confidential_flag_puts_the_learner_on_hold(store: Store, two_apis: tuple) -> None:
    lms, _, tables = two_apis
    lms.put("grades", grade("l1", "L-1", institution_id="900001", ferpa=True))
    lms.put("grades", grade("l2", "L-2", institution_id="900002"))

    sync_one(make_engine(store, tables), "lms")

    held, free = rows_for(store, "l1")[0].learner_key, rows_for(store, "l2")[0].learner_key
    with store.session() as session:  # (sessions do not nest: SQLite transactions take the write lock)
        assert identities.on_hold(session, held) == "FERPA hold flagged by lms"
        assert identities.on_hold(session, free) is None
