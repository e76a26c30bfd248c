"""Stop signals and leases with real processes (issue 10 §8): SIGTERM ends `sync` cleanly and frees
the lease; a killed holder's lease on this host is taken over at once; a live run keeps renewing it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import func, select
from test_scheduler import files_config

from connector_core import hookimpl
from connector_core.config import load_settings
from connector_core.engine import SyncEngine
from connector_core.plugins import load_registry
from connector_core.store import Store, runs
from connector_core.store.tables import RecordRow, RunLockRow

ROWS, PAGE_SIZE = 400, 5
CHILD = """
import sys, time
from connector_core import hookimpl
from connector_core.cli import cli
from connector_core.plugins import default_registry

class Slow:
    @hookimpl
    def lerconnect_transform(self, record, context):
        time.sleep(0.01)

default_registry().manager.register(Slow(), name="slow")
cli(["--config", sys.argv[1], "sync", "--db", sys.argv[2]])
"""


class Slow:
    """Slows every record down, so a page takes longer than the lease's time to live."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    @hookimpl
    def lerconnect_transform(self, record, context):
        time.sleep(self.seconds)


def active(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(RecordRow).where(RecordRow.status == "active"))


def lease(store: Store) -> RunLockRow | None:
    with store.session() as session:
        return session.get(RunLockRow, ("engage", "cocurricular"))


def start_sync(path: Path, db_url: str, store: Store) -> subprocess.Popen:
    """`lerconnect sync` in its own process, returned once it has committed a few pages."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None and not any(r.pages >= 2 for r in runs.list_runs(store)):
        time.sleep(0.02)
    assert child.poll() is None, child.communicate()
    return child


def test_sigterm_ends_sync_cleanly_and_releases_the_lease(tmp_path: Path, db_url: str, store: Store) -> None:
    path = files_config(tmp_path, ROWS, page_size=PAGE_SIZE)
    child = start_sync(path, db_url, store)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)

    assert child.returncode == 1 and "Stopped on request" in err, err  # not every stream completed
    assert "Traceback" not in err
    (run,) = runs.list_runs(store, source="engage")
    assert run.status == "interrupted" and run.finished_at is not None
    assert lease(store) is None, "the lease is released at once"
    (resumed,) = SyncEngine(store, load_registry(), load_settings(path)).sync("engage")
    assert resumed.status == "succeeded" and active(store) == ROWS


def test_a_killed_holders_lease_on_this_host_is_taken_over_at_once(tmp_path: Path, db_url: str, store: Store) -> None:
    path = files_config(tmp_path, ROWS, page_size=PAGE_SIZE)
    child = start_sync(path, db_url, store)
    child.kill()
    child.communicate(timeout=30)
    held = lease(store)
    assert held is not None and held.holder.endswith(f":{child.pid}")  # SIGKILL left the lease behind

    (resumed,) = SyncEngine(store, load_registry(), load_settings(path)).sync("engage")

    assert resumed.status == "succeeded", resumed.error
    assert active(store) == ROWS and lease(store) is None


def test_a_live_run_renews_its_lease_so_no_other_host_takes_it(tmp_path: Path, db_url: str, store: Store) -> None:
    # one page that takes ~6 s, four times the lease; renewals every 0.5 s leave a busy machine slack
    path = files_config(tmp_path, 40, page_size=40)
    registry = load_registry()
    registry.manager.register(Slow(0.15), name="slow")
    ttl = timedelta(seconds=1.5)
    slow = SyncEngine(store, registry, load_settings(path), lease_ttl=ttl)
    results: list = []
    thread = threading.Thread(target=lambda: results.extend(slow.sync("engage")))
    thread.start()
    try:
        time.sleep(3.5)  # well past the lease's time to live, still in the first page
        other = SyncEngine(store, load_registry(), load_settings(path), lease_ttl=ttl)
        other.holder = "another-host:4242"
        (refused,) = other.sync("engage")
    finally:
        thread.join(timeout=60)

    assert refused.status == "refused" and "already being synced" in refused.error
    (done,) = results
    assert done.status == "succeeded", done.error
    assert active(store) == 40
