"""A sync killed with SIGKILL at a random page resumes to exactly what an uninterrupted run stores.

The child process pulls from an example API served by this test process, so the test decides
where it dies: with a gate, it lets k pages through and kills the child while it waits for page
k+1 (the pages of every full batch before it are committed by then, the batch being read is lost
and read again); with a timer, it kills at a random moment, often mid-commit.
Set LERCONNECT_CRASH_SEED to replay a failure; the seed is printed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import example_source
import pytest
from example_source import ExampleApi, example_table, grade, seed
from sqlmodel import func, select

from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.plugins import load_registry
from connector_core.store import Store, runs
from connector_core.store.tables import DeadLetterRow, RecordRow, SyncRunRow
from connector_core.testing import serve_sandbox

TESTS = Path(__file__).resolve().parent
SEED = int(os.environ.get("LERCONNECT_CRASH_SEED") or random.SystemRandom().randrange(1_000_000))
PAGE_SIZE = 3
LEASE_SECONDS = 0.5
BATCH_PAGES = 4  # the child commits four pages at a time (`[engine].commit_records`)
CHILD = """
import sys
from datetime import timedelta
sys.path.insert(0, sys.argv[1])
import example_source
from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.plugins import load_registry
from connector_core.store import Store

table = example_source.example_table(sys.argv[3], page_size=int(sys.argv[4]))
engine = SyncEngine(Store(sys.argv[2]), load_registry(extra_modules=(example_source,)),
                    settings_from_dict({"sources": {"example": table}, "engine": {"commit_records": int(sys.argv[6])}}),
                    lease_ttl=timedelta(seconds=float(sys.argv[5])))
print(engine.sync("example"), flush=True)
"""


def campus_api() -> ExampleApi:
    """62 grades over 21 pages, two of them malformed (they must dead-letter exactly once)."""
    api = ExampleApi()
    seed(api, 30)
    api.put("grades", {**grade("bad-1", "S8001"), "completed": "soon"})
    seed_more = [grade(f"h{i:03d}", f"T{i:03d}", f"C-{i % 5}", "A-", institution_id=f"8{i:05d}") for i in range(1, 31)]
    for raw in seed_more[:15]:
        api.put("grades", raw)
    api.put("grades", {**grade("bad-2", "S8002"), "course": None})
    for raw in seed_more[15:]:
        api.put("grades", raw)
    return api


def engine_for(store: Store, base_url: str) -> SyncEngine:
    table = example_table(base_url, page_size=PAGE_SIZE)
    return SyncEngine(
        store, load_registry(extra_modules=(example_source,)), settings_from_dict({"sources": {"example": table}})
    )


def stored(store: Store) -> tuple[set[tuple[str, str]], int, int, int]:
    """(active (id, hash) pairs, active rows, all rows, dead letters)."""
    with store.session() as session:
        active = session.execute(
            select(RecordRow.source_record_id, RecordRow.content_hash).where(RecordRow.status == "active")
        ).all()
        total = session.scalar(select(func.count()).select_from(RecordRow))
        dead = session.scalar(select(func.count()).select_from(DeadLetterRow))
    return {tuple(row) for row in active}, len(active), total, dead


def committed_pages(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.coalesce(func.max(SyncRunRow.pages), 0))) or 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    """What an uninterrupted run stores, in a database of its own."""
    api = campus_api()
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('reference') / 'reference.db'}")
    with serve_sandbox(api) as url:
        (result,) = engine_for(store, url).sync("example")
    assert (result.status, result.count("new"), result.count("dead_lettered")) == ("succeeded", 60, 2)
    active, count, total, dead = stored(store)
    store.dispose()
    assert (count, total, dead) == (60, 60, 2)
    return active


def kill_plan(case: int) -> tuple[str, int | float]:
    rng = random.Random(SEED * 10 + case)
    if case % 2 == 0:
        return "gate", rng.randint(1, 20)  # 21 pages: kill while waiting for page k+1
    return "timer", rng.uniform(0.0, 0.15)


@pytest.mark.parametrize("case", range(4))
def test_killed_sync_resumes_to_the_same_records(
    case: int, db_url: str, store: Store, reference: set[tuple[str, str]]
) -> None:
    mode, point = kill_plan(case)
    print(f"LERCONNECT_CRASH_SEED={SEED} case {case}: kill by {mode} at {point}")
    api = campus_api()
    api.page_delay = 0.01
    if mode == "gate":
        api.gate = threading.Semaphore(int(point))
    with serve_sandbox(api) as url:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                str(TESTS),
                db_url,
                url,
                str(PAGE_SIZE),
                str(LEASE_SECONDS),
                str(BATCH_PAGES * PAGE_SIZE),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            if mode == "gate":
                while len(api.requests_seen) <= point and child.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.005)
                batches = point - point % BATCH_PAGES
                assert committed_pages(store) == batches, "each full batch is committed before the next page is read"
            else:
                while committed_pages(store) < 1 and child.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.005)
                time.sleep(point)
            assert child.poll() is None, f"the child ended before the kill: {child.communicate()}"
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
            gate, api.gate = api.gate, None
            for _ in range(50 if gate else 0):
                gate.release()
        killed_after = committed_pages(store)
        assert killed_after < 21, "the kill came too late to test anything"
        time.sleep(LEASE_SECONDS + 0.2)  # the dead child's lease expires by itself

        (result,) = engine_for(store, url).sync("example")

    assert result.status == "succeeded", result.error
    assert result.count("unchanged") == 0, "the rerun resumes after the last committed page"
    active, count, total, dead = stored(store)
    assert active == reference, f"seed {SEED} case {case}: differs from the uninterrupted run"
    assert (count, total, dead) == (60, 60, 2), "no record stored twice, none missing, dead letters once"
    statuses = sorted(r.status for r in runs.list_runs(store, source="example"))
    assert statuses == ["interrupted", "succeeded"]
