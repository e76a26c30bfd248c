"""The Celery executor with real `lerconnect worker` processes, PostgreSQL and Redis or RabbitMQ.

A partitioned night through workers stores and signs exactly what the local executor does; a
worker SIGKILLed mid-partition, a task delivered twice and a broker restarted mid-run lose nothing
and issue nothing twice.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from distributed_kit import (
    PASSPHRASE,
    credentials_of,
    kill_worker,
    night,
    records_of,
    require_broker,
    require_postgres,
    share_key,
    start_worker,
    status_slots,
    wait_ready,
    workers,
    write_config,
    write_export,
)
from sqlalchemy import select

from connector_core.config import load_settings
from connector_core.executors.celery import CeleryExecutor
from connector_core.store import Store, partitions
from connector_core.store import runs as run_store
from connector_core.store.tables import AuditRow, RecordRow
from connector_core.testing import temporary_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LERCONNECT_KEY_PASSPHRASE", PASSPHRASE)


@pytest.fixture
def reference(tmp_path: Path, db_url: str):
    """A second store, synced and issued by the local executor in this process: what Celery must equal."""
    require_postgres(db_url)
    base = os.environ["LERCONNECT_TEST_DATABASE_URL"]
    with temporary_database(tmp_path, base) as url:
        Store(url, auto_upgrade=True).dispose()

        def build(files: int, rows: int) -> Store:
            write_export(tmp_path / "local" / "export", files, rows)
            result = night(write_config(tmp_path / "local", url))
            assert result.succeeded, [r.error for r in result.runs]
            return Store(url)

        yield build


def celery_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "celery"
    shutil.copytree(tmp_path / "local" / "export", folder / "export")
    share_key(tmp_path / "local", folder)
    return folder


def assert_same_night(expected: Store, actual: Store) -> None:
    assert records_of(actual) == records_of(expected)
    assert credentials_of(actual) == credentials_of(expected)
    slots = status_slots(actual)
    assert len(slots) == len(set(slots)), "a status-list index was used twice"


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_partitioned_sync_through_celery_equals_the_local_executor(
    tmp_path: Path, db_url: str, reference, broker: str
) -> None:
    url = require_broker(broker)
    expected = reference(files=4, rows=150)
    config = write_config(celery_folder(tmp_path), db_url, executor="celery", broker=url)
    store = Store(db_url, auto_upgrade=True)

    with workers(config, 2):
        result = night(config)

    assert result.succeeded, [r.error for r in result.runs] + [result.issuing and result.issuing.error]
    assert result.issuing.issued > 0 and result.issuing.clrs > 0
    assert_same_night(expected, store)
    (run,) = result.runs
    kept = run_store.get_run(store, run.run_id).partitions
    assert sorted(kept) == [f"part{i}.csv" for i in range(4)]
    assert all(p["status"] == "done" and p["fetched"] == 150 for p in kept.values())
    assert len({p["worker"] for p in kept.values()}) == 2  # both workers took partitions


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_worker_killed_mid_partition_then_the_rerun_loses_and_duplicates_nothing(
    tmp_path: Path, db_url: str, reference, broker: str
) -> None:
    url = require_broker(broker)
    expected = reference(files=2, rows=400)
    folder = celery_folder(tmp_path)
    config = write_config(folder, db_url, executor="celery", broker=url, page_size=4, lease=2)
    store = Store(db_url, auto_upgrade=True)
    victim = start_worker(config, log=folder / "victim.log")
    wait_ready(victim, folder)
    results: list = []
    coordinator = threading.Thread(target=lambda: results.append(night(config)))
    coordinator.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = partitions.of_stream(store, "engage", "cocurricular")
            if any(r.pages >= 3 and not r.done and r.token for r in rows):
                break
            time.sleep(0.02)
        else:
            pytest.fail("no partition got under way")
        kill_worker(victim)  # mid-partition: its pages so far are committed, the rest is not
        killed = [r for r in partitions.of_stream(store, "engage", "cocurricular") if r.token and not r.done]
        assert killed, "the kill came too late to interrupt a partition"
        with workers(config, 1):
            coordinator.join(timeout=240)
    finally:
        coordinator.join(timeout=5)
    (result,) = results
    assert result.succeeded, [r.error for r in result.runs] + [result.issuing and result.issuing.error]
    assert_same_night(expected, store)
    with store.session() as session:
        versions = Counter(r.source_record_id for r in session.scalars(select(RecordRow)))
    assert set(versions.values()) == {1}  # every record stored once: no page was applied twice


def test_a_task_delivered_twice_issues_nothing_twice(tmp_path: Path, db_url: str) -> None:
    require_postgres(db_url)
    url = require_broker("redis")
    write_export(tmp_path / "export", 2, 120)
    config = write_config(tmp_path, db_url, executor="celery", broker=url)
    store = Store(db_url, auto_upgrade=True)
    settings = load_settings(config)
    with workers(config, 2):
        synced = night_without_issuing(config)
        assert synced.succeeded
        with store.session() as session:
            ids = list(session.scalars(select(RecordRow.id).order_by(RecordRow.id)))
        executor = CeleryExecutor(settings, store)
        payload = {"records": ids, "run_id": None, "now": datetime.now(UTC).replace(microsecond=0).isoformat()}
        first, second = (executor.submit("issue_batch", payload) for _ in range(2))  # one task, delivered twice
        outcomes = [executor.outcome(h, payload) for h in (first, second) if h.get(timeout=120) is not None]
        executor.close()

    assert all(o["status"] == "done" for o in outcomes), outcomes
    with store.session() as session:
        issued = list(session.scalars(select(AuditRow).where(AuditRow.action == "issue")))
    stored = credentials_of(store)["achievement"]
    assert len(stored) > 0
    assert sum(o["issued"] for o in outcomes) == len(stored) == len(issued)  # each signed and recorded once
    assert Counter(a.credential_id for a in issued).most_common(1)[0][1] == 1
    slots = status_slots(store)
    assert len(slots) == len(set(slots))


def night_without_issuing(config: Path):
    from connector_core.pipeline import Pipeline
    from connector_core.plugins import default_registry

    settings = load_settings(config)
    store = Store(settings.store.url)
    try:
        return Pipeline(store, default_registry(), settings).run(issue=False)
    finally:
        store.dispose()


def test_a_broker_restarted_mid_run_loses_nothing(tmp_path: Path, db_url: str, reference) -> None:
    require_postgres(db_url)
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("needs redis-server on PATH to run a broker of the test's own that it can restart")
    expected = reference(files=3, rows=300)
    folder = celery_folder(tmp_path)
    port = free_port()
    config = write_config(folder, db_url, executor="celery", broker=f"redis://127.0.0.1:{port}/0", page_size=5, lease=2)
    store = Store(db_url, auto_upgrade=True)
    broker = own_redis(server, port, folder)
    results: list = []
    try:
        with workers(config, 2):
            coordinator = threading.Thread(target=lambda: results.append(night(config)))
            coordinator.start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(
                r.pages >= 2 for r in partitions.of_stream(store, "engage", "cocurricular")
            ):
                time.sleep(0.02)
            broker.kill()  # the broker crashes mid-run (SIGKILL): what it had synced to disk is all it keeps
            broker.wait(timeout=10)
            time.sleep(1)
            broker = own_redis(server, port, folder)
            coordinator.join(timeout=240)
    finally:
        broker.kill()
        broker.wait(timeout=10)
    (result,) = results
    assert result.succeeded, [r.error for r in result.runs] + [result.issuing and result.issuing.error]
    assert_same_night(expected, store)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def own_redis(server: str, port: int, folder: Path) -> subprocess.Popen:
    """A Redis of this test's own, as a broker should be set up: every write in its append-only file."""
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)]
    child = subprocess.Popen(
        [*command, "--appendonly", "yes", "--appendfsync", "always"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import socket

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return child
        except OSError:
            time.sleep(0.05)
    child.kill()
    raise AssertionError("redis-server did not start")
