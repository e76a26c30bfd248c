"""What the distributed tests share: the machine's brokers, a partitioned export, real worker processes.

Everything runs against the services the machine provides on loopback (PostgreSQL, Redis,
RabbitMQ); a test whose service is absent is skipped with the reason. Each test gets its own
PostgreSQL schema and its own queue, so parallel tests (and other checkouts) never share work.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connector_core.config import load_settings
from connector_core.issuer import SigningKey
from connector_core.pipeline import Pipeline, PipelineResult
from connector_core.plugins import default_registry
from connector_core.store import Store
from connector_core.store.tables import CredentialRow, LearnerRow, RecordRow

PASSPHRASE = "correct horse battery staple"
REDIS_URL = os.environ.get("LERCONNECT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("LERCONNECT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
BROKERS = {"redis": REDIS_URL, "rabbitmq": AMQP_URL}
LERCONNECT = str(Path(sys.executable).with_name("lerconnect"))


def _listening(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1):
            return True
    except OSError:
        return False


def require_broker(name: str) -> str:
    url = BROKERS[name]
    if not _listening(url):
        pytest.skip(f"needs {name} at {url} (set LERCONNECT_TEST_{'REDIS' if name == 'redis' else 'AMQP'}_URL)")
    return url


def require_postgres(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("needs PostgreSQL, the store workers share: set LERCONNECT_TEST_DATABASE_URL")


def write_export(folder: Path, files: int, rows: int) -> None:
    """`files` CSV files of `rows` rows each, no record in two files; learners span files."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        lines = ["id,student,inst,activity,title,completed"]
        lines += [
            f"r{f}-{i:05d},S{(f * rows + i) % 211:04d},9{(f * rows + i) % 211:05d},ACT-{i % 13},"
            f"Activity {i % 13},2025-10-{1 + i % 28:02d}"
            for i in range(rows)
        ]
        (folder / f"part{f}.csv").write_text("\n".join(lines) + "\n")


CONFIG = """
[store]
url = "{db_url}"

[engine]
executor = "{executor}"
processes = {processes}
{broker}
queue = "{queue}"
partition_lease_seconds = {lease}
commit_records = {page_size}  # a commit a page: a worker killed mid-partition has some of it stored

[issuer]
key_file = "key.pem"
status_dir = "status"

[sources.engage]
plugin = "files"
schedule = "0 3 * * *"

[sources.engage.files.cocurricular]
path = "export/*.csv"
page_size = {page_size}
partition_by_file = true

[sources.engage.files.cocurricular.columns]
record_id = "id"
learner_id = "student"
institution_id = "inst"
achievement_id = "activity"
title = "title"
completed_on = "completed"
"""


def write_config(
    folder: Path,
    db_url: str,
    *,
    executor: str = "local",
    broker: str | None = None,
    processes: int = 1,
    page_size: int = 50,
    lease: float = 3,
    name: str = "lerconnect.toml",
) -> Path:
    """A config over `folder/export`, with an issuer key in `folder`, on its own queue."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "key.pem").exists():
        SigningKey.generate().save(folder / "key.pem", PASSPHRASE)
    path = folder / name
    path.write_text(
        CONFIG.format(
            db_url=db_url,
            executor=executor,
            processes=processes,
            broker=f'broker_url = "{broker}"' if broker else "",
            queue=f"lerconnect-test-{uuid.uuid4().hex[:10]}",
            lease=lease,
            page_size=page_size,
        )
    )
    return path


def share_key(source: Path, target: Path) -> None:
    """Both installations sign with one key: credential ids, derived from the issuer, then match."""
    target.mkdir(parents=True, exist_ok=True)
    (target / "key.pem").write_bytes((source / "key.pem").read_bytes())


def night(config: Path) -> PipelineResult:
    """`lerconnect sync` in this process: the scheduler's side (it enqueues and waits)."""
    settings = load_settings(config)
    store = Store(settings.store.url)
    try:
        return Pipeline(store, default_registry(), settings).run()
    finally:
        store.dispose()


def env() -> dict[str, str]:
    return {**os.environ, "LERCONNECT_KEY_PASSPHRASE": PASSPHRASE}


@contextmanager
def workers(config: Path, count: int = 1, *, concurrency: int = 1) -> Iterator[list[subprocess.Popen]]:
    """`count` real `lerconnect worker` processes for the block, each in its own process group."""
    started = [
        start_worker(config, concurrency=concurrency, log=config.parent / f"worker-{i}.log") for i in range(count)
    ]
    try:
        for child in started:
            wait_ready(child, config.parent)
        yield started
    finally:
        for child in started:
            stop_worker(child)


def start_worker(config: Path, *, concurrency: int = 1, log: Path) -> subprocess.Popen:
    handle = log.open("ab")
    child = subprocess.Popen(
        [LERCONNECT, "--config", str(config), "worker", f"--concurrency={concurrency}"],
        cwd=config.parent,
        env=env(),
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group: SIGKILL reaches the pool's processes too
    )
    child.log = log  # type: ignore[attr-defined]
    return child


def wait_ready(child: subprocess.Popen, folder: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise AssertionError(f"worker exited early:\n{child.log.read_text()[-3000:]}")  # type: ignore[attr-defined]
        if b" ready." in child.log.read_bytes():  # type: ignore[attr-defined]
            return
        time.sleep(0.2)
    raise AssertionError(f"worker not ready after {timeout}s:\n{child.log.read_text()[-3000:]}")  # type: ignore[attr-defined]


def stop_worker(child: subprocess.Popen) -> None:
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=10)


def kill_worker(child: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool's processes at once: no warm shutdown, no acknowledgement."""
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=10)


def records_of(store: Store) -> set[tuple[Any, ...]]:
    """Every stored record version: (source, stream, id, content hash, status, learner's institution id)."""
    with store.session() as session:
        learners = {row.key: row.institution_id for row in session.scalars(select(LearnerRow))}
        return {
            (r.source, r.stream, r.source_record_id, r.content_hash, r.status, learners[r.learner_key])
            for r in session.scalars(select(RecordRow))
        }


def credentials_of(store: Store) -> dict[str, set[tuple[Any, ...]]]:
    """Achievement credentials by id, and CLRs by learner (their ids include the store's learner key)."""
    with store.session() as session:
        learners = {row.key: row.institution_id for row in session.scalars(select(LearnerRow))}
        rows = list(session.scalars(select(CredentialRow)))
    return {
        "achievement": {(c.id, c.status, learners[c.learner_key]) for c in rows if c.kind == "achievement"},
        "clr": {(learners[c.learner_key], c.status) for c in rows if c.kind == "clr"},
    }


def status_slots(store: Store) -> list[tuple[int, int]]:
    """(status list, index) of every credential: each must be unique."""
    with store.session() as session:
        return [(c.status_list_id, c.status_index) for c in session.scalars(select(CredentialRow))]
