"""`lerconnect run`: cron jobs per source kept in the store's database, and a clean stop on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlmodel import func, select

from connector_core.config import ConfigError, Settings, load_settings, settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.plugins import default_registry
from connector_core.scheduler import build_scheduler, crontab_trigger, next_runs, run_sync_job, serve
from connector_core.store import Store, runs
from connector_core.store.tables import SCHEDULER_JOB_TABLE, RecordRow, StreamStateRow

CONFIG = """
[scheduler]
timezone = "{tz}"
misfire_grace_seconds = 120

[sources.engage]
plugin = "files"
schedule = "{cron}"

[sources.engage.files.cocurricular]
path = "export/*.csv"
page_size = {page_size}

[sources.engage.files.cocurricular.columns]
record_id = "id"
learner_id = "student"
achievement_id = "activity"
title = "title"
completed_on = "completed"
"""


def files_config(
    tmp_path: Path, rows: int, *, page_size: int = 50, cron: str = "30 2 * * *", tz: str = "America/Chicago"
) -> Path:
    """A config with one scheduled `files` source over an export of `rows` rows."""
    (tmp_path / "export").mkdir(exist_ok=True)
    lines = ["id,student,activity,title,completed"]
    lines += [f"r{i:05d},S{i % 97:04d},ACT-{i % 9},Activity {i % 9},2025-10-{1 + i % 28:02d}" for i in range(rows)]
    (tmp_path / "export" / "participation.csv").write_text("\n".join(lines) + "\n")
    path = tmp_path / "lerconnect.toml"
    path.write_text(CONFIG.format(tz=tz, cron=cron, page_size=page_size))
    return path


def with_sources(settings: Settings, **sources: dict) -> Settings:
    return settings_from_dict({"scheduler": settings.scheduler.model_dump(), "sources": sources}, settings.path)


def active_count(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(RecordRow).where(RecordRow.status == "active"))


def test_one_job_per_scheduled_source_with_its_cron_and_timezone(tmp_path: Path, db_url: str, store: Store) -> None:
    path = files_config(tmp_path, 3)
    base = load_settings(path)
    engage = base.sources["engage"]
    settings = with_sources(
        base, engage=engage, lms={**engage, "schedule": "0 6 * * 1-5"}, manual={**engage, "schedule": None}
    )

    scheduler = build_scheduler(settings, db_url, config_path=path)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"sync:engage", "sync:lms"}, "a source without a schedule gets no job"
        job = jobs["sync:engage"]
        assert job.func_ref == "connector_core.scheduler:run_sync_job"
        assert job.args == (str(path), store.url, "engage")
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 120)
        assert job.trigger.timezone == ZoneInfo("America/Chicago")
        assert str(job.trigger) == "cron[month='*', day='*', day_of_week='*', hour='2', minute='30']"
        when = dict(next_runs(scheduler))["sync:engage"]
        assert (when.hour, when.minute, when.tzinfo) == (2, 30, ZoneInfo("America/Chicago"))
        weekdays = {
            jobs["sync:lms"].trigger.get_next_fire_time(None, datetime(2026, 11, d, tzinfo=UTC)).strftime("%a")
            for d in range(1, 29)
        }
        assert weekdays == {"Mon", "Tue", "Wed", "Thu", "Fri"}, "crontab 1-5 is Monday to Friday"
        assert [ident for ident, _ in next_runs(scheduler)] == sorted(jobs, key=lambda i: dict(next_runs(scheduler))[i])
    finally:
        scheduler.shutdown()

    persisted = SQLAlchemyJobStore(url=store.url, tablename=SCHEDULER_JOB_TABLE)
    assert {job.id for job in persisted.get_all_jobs()} == {"sync:engage", "sync:lms"}
    persisted.shutdown()


def test_jobs_persist_across_restarts_and_follow_config_edits(tmp_path: Path, db_url: str) -> None:
    path = files_config(tmp_path, 3)
    settings = load_settings(path)
    missed = datetime.now(UTC) - timedelta(seconds=30)
    first = build_scheduler(
        with_sources(settings, engage=settings.sources["engage"], old={**settings.sources["engage"]}),
        db_url,
        config_path=path,
    )
    first.get_job("sync:engage").modify(next_run_time=missed)  # due while nothing was running
    first.shutdown()

    second = build_scheduler(settings, db_url, config_path=path)
    try:
        jobs = second.get_jobs()
        assert [job.id for job in jobs] == ["sync:engage"], "the job of a source no longer scheduled is removed"
        assert jobs[0].next_run_time == missed, "an unchanged job keeps its stored next run (misfire grace)"
    finally:
        second.shutdown()

    edited = with_sources(settings, engage={**settings.sources["engage"], "schedule": "15 4 * * *"})
    third = build_scheduler(edited, db_url, config_path=path)
    try:
        (job,) = third.get_jobs()
        assert (job.trigger.fields[5].expressions[0].first, job.next_run_time > datetime.now(UTC)) == (4, True)
    finally:
        third.shutdown()


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("0", {"Sun"}),
        ("7", {"Sun"}),
        ("1-5", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("5-7", {"Fri", "Sat", "Sun"}),
        ("*/2", {"Sun", "Tue", "Thu", "Sat"}),
        ("sat,sun", {"Sat", "Sun"}),
        ("*", {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}),
    ],
)
def test_crontab_day_numbers_mean_what_they_mean_in_cron(days: str, expected: set[str]) -> None:
    trigger = crontab_trigger(f"0 6 * * {days}", "UTC")
    fired = {trigger.get_next_fire_time(None, datetime(2026, 3, d, tzinfo=UTC)).strftime("%a") for d in range(1, 22)}
    assert fired == expected


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"schedule": "every night"}, "[sources.engage].schedule 'every night' is not a valid crontab"),
        ({"schedule": "61 2 * * *"}, "[sources.engage].schedule '61 2 * * *' is not a valid crontab"),
    ],
)
def test_a_bad_cron_names_the_source(tmp_path: Path, db_url: str, table: dict, message: str) -> None:
    path = files_config(tmp_path, 3)
    settings = load_settings(path)
    with pytest.raises(ConfigError) as caught:
        build_scheduler(
            with_sources(settings, engage={**settings.sources["engage"], **table}), db_url, config_path=path
        )
    assert str(caught.value).startswith(f"{path}: {message}")
    assert 'e.g. "0 2 * * *"' in str(caught.value)


def test_a_bad_timezone_is_named(tmp_path: Path, db_url: str) -> None:
    path = files_config(tmp_path, 3, tz="Mars/Olympus_Mons")
    with pytest.raises(ConfigError, match=r"scheduler.timezone 'Mars/Olympus_Mons' is not a known time zone"):
        build_scheduler(load_settings(path), db_url, config_path=path)


def test_nothing_scheduled_is_an_error(tmp_path: Path, db_url: str) -> None:
    path = files_config(tmp_path, 3)
    settings = load_settings(path)
    unscheduled = with_sources(settings, engage={**settings.sources["engage"], "schedule": None})
    with pytest.raises(ConfigError, match="no source has a `schedule`"):
        serve(unscheduled, db_url, config_path=path)


def test_the_job_function_runs_a_sync(tmp_path: Path, db_url: str, store: Store) -> None:
    path = files_config(tmp_path, 12)

    run_sync_job(str(path), db_url, "engage")

    (run,) = runs.list_runs(store, source="engage")
    assert (run.status, run.new) == ("succeeded", 12)
    assert active_count(store) == 12


def test_serve_runs_due_jobs_and_stops_on_the_event(tmp_path: Path, db_url: str, store: Store) -> None:
    path = files_config(tmp_path, 7)
    stop = threading.Event()
    errors: list[BaseException] = []

    def target() -> None:
        try:
            serve(load_settings(path), db_url, config_path=path, stop_event=stop, run_now=True)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(r.status == "succeeded" for r in runs.list_runs(store)):
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=20)

    assert not thread.is_alive() and not errors
    assert [r.status for r in runs.list_runs(store, source="engage")] == ["succeeded"]
    assert active_count(store) == 7


CHILD = """
import sys, time
from connector_core import hookimpl
from connector_core.config import load_settings
from connector_core.plugins import default_registry
from connector_core.scheduler import serve

class Slow:
    '''Slows every record down so the test can stop the run mid-way.'''
    __name__ = "slow"

    @hookimpl
    def lerconnect_transform(self, record, context):
        time.sleep(0.01)

default_registry().manager.register(Slow(), name="slow")
serve(load_settings(sys.argv[1]), sys.argv[2], config_path=sys.argv[1], run_now=True)
print("clean exit", flush=True)
"""


def test_sigterm_mid_sync_commits_the_page_and_exits_cleanly(tmp_path: Path, db_url: str, store: Store) -> None:
    rows, page_size = 400, 5
    path = files_config(tmp_path, rows, page_size=page_size)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and child.poll() is None
            and not any(r.pages >= 3 for r in runs.list_runs(store))
        ):
            time.sleep(0.02)
        assert child.poll() is None, child.communicate()
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()

    assert child.returncode == 0, err
    assert "clean exit" in out
    (run,) = runs.list_runs(store, source="engage")
    assert run.status == "interrupted", err
    assert 3 <= run.pages < rows // page_size
    assert active_count(store) == run.new == run.pages * page_size, "every committed page is whole"
    with store.session() as session:
        state = session.get(StreamStateRow, ("engage", "cocurricular"))
    assert state.pass_open and state.cursor["current"]["row"] == run.pages * page_size

    engine = SyncEngine(store, default_registry(), load_settings(path))
    (resumed,) = engine.sync("engage")

    assert resumed.status == "succeeded"
    assert (resumed.count("new"), resumed.count("unchanged")) == (rows - run.new, 0)
    assert active_count(store) == rows
