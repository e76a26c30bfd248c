"""Two `lerconnect run` on one PostgreSQL store: the second waits, enqueueing nothing, until the first stops."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from distributed_kit import LERCONNECT, env, require_postgres, write_config, write_export
from sqlalchemy import text

from connector_core.store import Store
from connector_core.store.tables import SCHEDULER_JOB_TABLE

pytestmark = pytest.mark.postgres


def start_scheduler(config: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [LERCONNECT, "--config", str(config), "run"],
        cwd=config.parent,
        env=env(),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_for(log: Path, words: str, child: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if words in log.read_text(errors="replace"):
            return
        if child.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"{words!r} not in the log of {child.args}:\n{log.read_text(errors='replace')[-3000:]}")


def jobs(store: Store) -> int:
    with store.engine.connect() as connection:
        return connection.execute(text(f"select count(*) from {SCHEDULER_JOB_TABLE}")).scalar() or 0


def test_a_second_scheduler_waits_for_the_first_then_takes_over(tmp_path: Path, db_url: str) -> None:
    require_postgres(db_url)
    write_export(tmp_path / "export", 1, 10)
    config = write_config(tmp_path, db_url)
    store = Store(db_url, auto_upgrade=True)
    first = start_scheduler(config, tmp_path / "first.log")
    second = None
    try:
        wait_for(tmp_path / "first.log", "next runs at", first)
        with store.engine.begin() as connection:  # the first's job, removed: only a scheduler at work makes it again
            connection.execute(text(f"delete from {SCHEDULER_JOB_TABLE}"))
        second = start_scheduler(config, tmp_path / "second.log")
        wait_for(tmp_path / "second.log", "another scheduler", second)
        time.sleep(2)
        assert second.poll() is None  # waiting, not failed
        assert jobs(store) == 0  # and it wrote no job: it holds nothing while it waits
        assert "next runs at" not in (tmp_path / "second.log").read_text()

        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0
        wait_for(tmp_path / "second.log", "next runs at", second)
        assert jobs(store) == 1  # the second took over and keeps the schedule
    finally:
        for child in (first, second):
            if child is not None and child.poll() is None:
                child.send_signal(signal.SIGTERM)
                child.wait(timeout=60)
        store.dispose()
