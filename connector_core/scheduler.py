"""`lerconnect run`: one cron job per scheduled source, kept in the store's own database.

Jobs live in the store (APScheduler's SQLAlchemyJobStore), so a restart remembers when each source
is due and a run missed while the process was down is made up once (coalesced) within the
misfire grace time. The job function is module-level because jobs are pickled by reference.
SIGTERM/SIGINT set the stop event the running engines watch: each finishes the page it is
committing, records its run as interrupted (the next run resumes there), and the process exits 0.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger

from connector_core.config import ConfigError, Settings, load_settings
from connector_core.signals import stop_on_signals
from connector_core.store import Store, database_url, redact
from connector_core.store.tables import SCHEDULER_JOB_TABLE

log = logging.getLogger("lerconnect.scheduler")

JOB_PREFIX = "sync:"
SCHEDULER_LOCK = "scheduler"
_stop = threading.Event()
"""The stop event of the `serve` in progress; jobs hand it to their engine."""
_serving_urls: dict[str, str] = {}
"""Store URL with the password masked (as kept in the job table) -> the URL itself, in this process only."""


class SyncFailed(Exception):
    """A scheduled sync ended with a failed stream: raised so the scheduler logs it as a job error."""


class Scheduler(BackgroundScheduler):
    """APScheduler's BackgroundScheduler, minus its last job pass after `shutdown()`.

    APScheduler 3 wakes its thread on shutdown and processes due jobs once more with the
    executors already closed: the submit fails, and the job's missed run is dropped from the store.
    """

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def job_id(source: str) -> str:
    return f"{JOB_PREFIX}{source}"


def run_sync_job(config_path: str | None, db_url: str, source_name: str) -> None:
    """The scheduled job: sync every stream of one source, then issue (config re-read, so edits apply).

    `db_url` is stored in the job table with its password masked; the serving process maps it back.
    """
    from connector_core.pipeline import Pipeline
    from connector_core.plugins import default_registry

    settings = load_settings(config_path)
    store = Store(_serving_urls.get(db_url, db_url))
    try:
        night = Pipeline(store, default_registry(), settings).run([source_name], stop=_stop)
        results, report = night.runs, night.issuing
    finally:
        store.dispose()
    failed = [f"{r.source}/{r.stream}: {r.error}" for r in results if r.status == "failed"]
    for r in results:
        log.info("scheduled sync %s/%s: %s", r.source, r.stream, r.status)
    if report is not None and report.status == "failed":
        failed.append(f"issuing: {report.error}")
    if failed:
        raise SyncFailed("; ".join(failed))


_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _cron_days(field: str) -> str:
    """A crontab day-of-week field as day names.

    APScheduler 3 counts weekdays from Monday = 0, crontab from Sunday = 0 (and 7), so
    `from_crontab("0 6 * * 1-5")` would run Tuesday to Saturday. Names mean the same to both.
    """
    if field == "*":
        return field
    days: set[int] = set()
    for token in field.lower().split(","):
        span, _, step_text = token.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = 0, 6
        else:
            ends = [_DAYS.index(end) if end in _DAYS else int(end) for end in span.split("-")]
            if len(ends) > 2 or not all(0 <= end <= 7 for end in ends) or step < 1:
                raise ValueError(f"day of week {token!r} is not 0-7, a name or a range of them")
            first = ends[0]
            last = ends[-1] if len(ends) == 2 else (6 if step_text else first)
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DAYS[day] for day in sorted(days))


def crontab_trigger(schedule: str, timezone: str) -> CronTrigger:
    """A trigger from a five-field crontab, with crontab's meaning of day-of-week numbers.

    One difference stays: when both day-of-month and day-of-week are restricted, crontab runs on
    either, APScheduler only on days matching both.
    """
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, day_of_week = fields
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_cron_days(day_of_week), timezone=timezone
    )


def source_trigger(settings: Settings, name: str, schedule: str) -> CronTrigger:
    """The cron trigger of a source's `schedule`; a bad crontab or time zone names the key and the fix."""
    try:
        return crontab_trigger(schedule, settings.scheduler.timezone)
    except (ValueError, LookupError) as exc:  # ZoneInfoNotFoundError is a KeyError
        where = settings.path or "<config>"
        if not isinstance(exc, ValueError):
            raise ConfigError(
                f"{where}: scheduler.timezone {settings.scheduler.timezone!r} is not a known "
                f'time zone: use an IANA name such as "America/Chicago" or "UTC"'
            ) from None
        raise ConfigError(
            f"{where}: [sources.{name}].schedule {schedule!r} is not a valid crontab "
            f'({exc}): use five fields, e.g. "0 2 * * *" for 02:00 daily'
        ) from None


def scheduled_sources(settings: Settings) -> dict[str, str]:
    """Source name → crontab, for the sources that have a `schedule`."""
    return {name: table["schedule"] for name, table in settings.sources.items() if table.get("schedule")}


def build_scheduler(settings: Settings, db_url: str, *, config_path: str | Path | None) -> Scheduler:
    """A scheduler, started paused, whose job store holds exactly one job per scheduled source.

    A job whose cron and arguments are unchanged is kept as stored, so its next run time (and a
    run missed while nothing was running) survives a restart; a changed one is replaced, and jobs
    of sources no longer scheduled are removed. Call `resume()` to run jobs, `shutdown()` when done.
    """
    url = database_url(db_url)
    _serving_urls[redact(url)] = url
    triggers = {name: source_trigger(settings, name, cron) for name, cron in scheduled_sources(settings).items()}
    scheduler = Scheduler(
        jobstores={"default": SQLAlchemyJobStore(url=url, tablename=SCHEDULER_JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=max(1, min(8, len(triggers))))},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.scheduler.misfire_grace_seconds,
        },
        timezone=settings.scheduler.timezone,
    )
    scheduler.start(paused=True)
    try:
        args = (str(config_path) if config_path is not None else None, redact(url))
        for name, trigger in triggers.items():
            stored = scheduler.get_job(job_id(name))
            job_args = (*args, name)
            if (
                stored is not None
                and str(stored.trigger) == str(trigger)
                and stored.trigger.timezone == trigger.timezone
                and tuple(stored.args) == job_args
                and stored.misfire_grace_time == settings.scheduler.misfire_grace_seconds
            ):
                continue
            scheduler.add_job(
                run_sync_job, trigger, args=job_args, id=job_id(name), name=f"sync {name}", replace_existing=True
            )
        for job in scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id.removeprefix(JOB_PREFIX) not in triggers:
                log.info("removing the job of %s: it is no longer scheduled in the config", job.id)
                job.remove()
    except BaseException:
        scheduler.shutdown(wait=False)
        raise
    return scheduler


def next_runs(scheduler: Scheduler) -> list[tuple[str, datetime | None]]:
    """(job id, next run time) per job, soonest first; None for a paused job."""
    now = datetime.now(scheduler.timezone)
    out = []
    for job in scheduler.get_jobs():
        when = job.next_run_time if not job.pending else job.trigger.get_next_fire_time(None, now)
        out.append((job.id, when))
    return sorted(out, key=lambda item: (item[1] is None, item[1] or now))


def serve(
    settings: Settings,
    db_url: str,
    *,
    config_path: str | Path | None,
    stop_event: threading.Event | None = None,
    run_now: bool = False,
) -> None:
    """Run scheduled syncs until SIGTERM/SIGINT or `stop_event`; `run_now` syncs each source once first."""
    global _stop
    if not scheduled_sources(settings):
        raise ConfigError(
            f"{settings.path or '<config>'}: no source has a `schedule`: add one to a "
            f'[sources.<name>] table, e.g. schedule = "0 2 * * *"'
        )
    stop = stop_event or threading.Event()
    _stop = stop
    store = Store(db_url)  # fail now, with the store's own message, if the schema is not current
    try:
        with stop_on_signals(stop), the_only_scheduler(store, stop):
            if not stop.is_set():
                _serve(settings, db_url, config_path, stop, run_now)
    finally:
        store.dispose()


@contextmanager
def the_only_scheduler(store: Store, stop: threading.Event, poll: float = 1.0) -> Iterator[None]:
    """One scheduler per store: on PostgreSQL a second one waits here (holding nothing, enqueueing
    nothing) until the first stops, then takes over. SQLite stores are one machine's: no lock."""
    if store.is_sqlite:
        yield
        return
    from connector_core.store.issuer_lock import advisory_lock

    lock = advisory_lock(store, SCHEDULER_LOCK)
    told = False
    while not lock.try_acquire():
        if not told:
            log.warning("another scheduler (%s) runs on this store: waiting for it to stop", lock.holder() or "unknown")
            told = True
        if stop.wait(poll):
            lock.close()
            yield
            return
    if told:
        log.info("the other scheduler stopped: this one takes over")
    try:
        yield
    finally:
        lock.release()


def _serve(
    settings: Settings, db_url: str, config_path: str | Path | None, stop: threading.Event, run_now: bool
) -> None:
    scheduler = build_scheduler(settings, db_url, config_path=config_path)
    try:
        if run_now:
            now = datetime.now(scheduler.timezone)
            for job in scheduler.get_jobs():
                job.modify(next_run_time=now)
        scheduler.resume()
        for ident, when in next_runs(scheduler):
            log.info("%s next runs at %s", ident, when)
        while not stop.wait(0.5):
            pass
        log.info("stopping: waiting for running syncs to commit their current page")
    finally:
        stop.set()  # whatever ended the wait, running engines stop after their current page
        scheduler.shutdown(wait=True)
