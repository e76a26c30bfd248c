"""Checkpoints: pages are committed in batches (`PageBatch`); on an unchanged incremental night,
pages that write nothing are checkpointed in batches too (`QuietPages`); and a crash or a stop
between two checkpoints loses nothing (the pages are read again)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import example_source
import pytest
from example_source import ExampleApi, example_table, seed
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from connector_core.config import settings_from_dict
from connector_core.engine import QuietPages, SyncEngine
from connector_core.plugins import load_registry
from connector_core.store import Store, runs
from connector_core.store.tables import RecordRow
from connector_core.testing import serve_sandbox

RECORDS, PAGE_SIZE = 30, 3  # ten pages


@pytest.fixture
def api() -> ExampleApi:
    api = ExampleApi()
    seed(api, RECORDS)
    return api


@pytest.fixture
def base_url(api: ExampleApi) -> Iterator[str]:
    with serve_sandbox(api) as url:
        yield url


@pytest.fixture
def engine(store: Store, base_url: str) -> SyncEngine:
    """An engine whose store already holds the first night's full pass. Each page is a commit of its
    own (`commit_records = 1`), so that what the quiet-page tests see is `QuietPages` alone."""
    table = example_table(base_url, page_size=PAGE_SIZE)
    settings = settings_from_dict({"sources": {"example": table}, "engine": {"commit_records": 1}})
    engine = SyncEngine(store, load_registry(extra_modules=(example_source,)), settings)
    (first,) = engine.sync("example", stream="grades")
    assert (first.status, first.count("new")) == ("succeeded", RECORDS)
    return engine


def resend_all(api: ExampleApi, change: str | None = None) -> None:
    """The source reports every grade as touched again (new change numbers), unchanged but for `change`."""
    for record_id, raw in sorted(api.data["grades"].items()):
        body = {k: v for k, v in raw.items() if k != "seq"}
        api.put("grades", {**body, "grade": "A+"} if record_id == change else body)


@pytest.fixture
def cursor_writes(store: Store) -> Iterator[list[str]]:
    """Every statement that saves a page's cursor (with its terms), as it is sent to the database."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE stream_state SET cursor") and "covered" in statement:
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    yield seen
    event.remove(store.engine, "before_cursor_execute", note)


def active(store: Store) -> dict[str, str]:
    with store.session() as session:
        query = select(RecordRow.source_record_id, RecordRow.content_hash).where(RecordRow.status == "active")
        return dict(session.execute(query).all())


def cursor(store: Store) -> Any:
    return runs.load_state(store, "example", "grades").cursor


def fail_eighth_page(api: ExampleApi, start: int, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The source answers 503 for the eighth page of the night that resends from `start`; returns
    its own way of answering, to put back."""
    answer = api.respond

    def eighth_page_fails(request: Any) -> Response:
        if request.args.get("after") == str(start + 7 * PAGE_SIZE):
            return Response("upstream down", status=503)
        return answer(request)

    monkeypatch.setattr(api, "respond", eighth_page_fails)
    return answer


def test_an_unchanged_night_saves_its_cursor_once_with_every_page_counted(
    store: Store, api: ExampleApi, engine: SyncEngine, cursor_writes: list[str]
) -> None:
    before = active(store)
    resend_all(api)

    (night,) = engine.sync("example", stream="grades")

    assert night.status == "succeeded"
    assert [night.count(k) for k in ("pages", "fetched", "unchanged", "new", "changed")] == [10, 30, 30, 0, 0]
    assert runs.get_run(store, night.run_id).pages == 10  # the run's stored counts, not only the result's
    assert len(cursor_writes) == 1  # at the end, not once a page
    assert cursor(store) == api.seq
    assert active(store) == before


def test_a_page_that_writes_takes_the_quiet_pages_before_it(
    store: Store, api: ExampleApi, engine: SyncEngine, cursor_writes: list[str]
) -> None:
    resend_all(api, change="g0016")  # the sixth page's record

    (night,) = engine.sync("example", stream="grades")

    assert [night.count(k) for k in ("pages", "fetched", "unchanged", "changed")] == [10, 30, 29, 1]
    assert len(cursor_writes) == 2  # with the sixth page (and the five before it), then the last four
    with store.session() as session:
        statuses = session.scalars(select(RecordRow.status).where(RecordRow.source_record_id == "g0016")).all()
    assert sorted(statuses) == ["active", "superseded"]


def test_a_crash_between_checkpoints_reads_the_quiet_pages_again_and_loses_nothing(
    store: Store, api: ExampleApi, engine: SyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QuietPages, "LIMIT", 4)
    before, start = active(store), api.seq
    resend_all(api)
    answer = fail_eighth_page(api, start, monkeypatch)
    (crashed,) = engine.sync("example", stream="grades")

    assert crashed.status == "failed" and "503" in crashed.error
    # pages 1-4 were kept back and went in with page 5; pages 6 and 7 were kept back when it failed
    assert cursor(store) == start + 5 * PAGE_SIZE
    assert runs.get_run(store, crashed.run_id).pages == 5

    monkeypatch.setattr(api, "respond", answer)
    (again,) = engine.sync("example", stream="grades")

    assert again.status == "succeeded"
    assert [again.count(k) for k in ("pages", "fetched", "unchanged")] == [5, 15, 15]  # from page 6 on
    assert cursor(store) == api.seq
    assert active(store) == before


def test_a_stop_saves_the_cursor_of_the_quiet_pages_read(store: Store, api: ExampleApi, engine: SyncEngine) -> None:
    start = api.seq
    resend_all(api)

    def stop_after_three(result: Any, _page: Any) -> None:
        if result.count("pages") == 3:
            engine.stop.set()

    engine.on_page = stop_after_three
    (stopped,) = engine.sync("example", stream="grades")

    assert stopped.status == "interrupted"
    assert cursor(store) == start + 3 * PAGE_SIZE
    assert runs.get_run(store, stopped.run_id).unchanged == 9

    engine.stop.clear()
    engine.on_page = None
    (rest,) = engine.sync("example", stream="grades")
    assert [rest.count(k) for k in ("pages", "fetched", "unchanged")] == [7, 21, 21]
    assert cursor(store) == api.seq


def test_a_full_pass_checkpoints_every_page(
    store: Store, api: ExampleApi, engine: SyncEngine, cursor_writes: list[str]
) -> None:
    """A full pass notes what each page saw (unseen records are withdrawn), so it keeps none back."""
    (full,) = engine.sync("example", stream="grades", full=True)

    assert (full.status, full.count("unchanged"), full.count("withdrawn")) == ("succeeded", RECORDS, 0)
    assert len(cursor_writes) == 10


def test_a_checkpoint_that_loses_a_race_writes_the_quiet_pages_again(
    store: Store, api: ExampleApi, engine: SyncEngine
) -> None:
    """Partitions committing at once may collide on a new learner; the page is committed again, and
    the quiet pages kept back before it must go in with that second attempt, not be forgotten."""
    resend_all(api, change="g0016")  # the sixth page writes, after five quiet ones
    lost: list[str] = []

    def first_cursor_save_loses(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE stream_state SET cursor") and not lost:
            lost.append(statement)
            raise IntegrityError(statement, None, Exception("UNIQUE constraint failed (a concurrent insert)"))

    event.listen(store.engine, "before_cursor_execute", first_cursor_save_loses)
    try:
        (night,) = engine.sync("example", stream="grades")
    finally:
        event.remove(store.engine, "before_cursor_execute", first_cursor_save_loses)

    assert lost and night.status == "succeeded"
    stored = runs.get_run(store, night.run_id)
    assert (stored.pages, stored.unchanged, stored.changed) == (10, 29, 1)
    assert cursor(store) == api.seq


def test_pages_are_committed_in_batches_of_records(
    store: Store, api: ExampleApi, engine: SyncEngine, cursor_writes: list[str]
) -> None:
    """A full pass writes every page: four pages (12 records) a commit, not one each."""
    engine.settings.engine.commit_records = 4 * PAGE_SIZE

    (full,) = engine.sync("example", stream="grades", full=True)

    assert [full.count(k) for k in ("pages", "fetched", "unchanged")] == [10, RECORDS, RECORDS]
    assert len(cursor_writes) == 3  # after pages 4 and 8, then the last two
    assert runs.get_run(store, full.run_id).pages == 10
    assert cursor(store) == api.seq


def test_a_source_failure_stores_the_batch_read_before_it(
    store: Store, api: ExampleApi, engine: SyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages read into a batch are committed when the source fails on the next: nothing read is
    thrown away, and the rerun reads only what follows."""
    engine.settings.engine.commit_records = RECORDS  # every page in one batch
    start = api.seq
    resend_all(api, change="g0004")  # the second page's record
    answer = fail_eighth_page(api, start, monkeypatch)
    (crashed,) = engine.sync("example", stream="grades")

    assert crashed.status == "failed" and "503" in crashed.error
    assert cursor(store) == start + 7 * PAGE_SIZE
    assert (runs.get_run(store, crashed.run_id).pages, runs.get_run(store, crashed.run_id).changed) == (7, 1)

    monkeypatch.setattr(api, "respond", answer)
    (again,) = engine.sync("example", stream="grades")

    assert [again.count(k) for k in ("pages", "fetched", "unchanged", "changed")] == [3, 9, 9, 0]
    with store.session() as session:
        statuses = session.scalars(select(RecordRow.status).where(RecordRow.source_record_id == "g0004")).all()
    assert sorted(statuses) == ["active", "superseded"]
