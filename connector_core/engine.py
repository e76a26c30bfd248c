"""The sync run: one source × one stream, a batch of pages at a time, each batch committed with its cursor.

A run killed at any moment resumes from the last committed batch: records and cursor go into the
store in one transaction, and the pass (see `StreamStateRow`) stays open until the stream is done.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from connector_core import logs
from connector_core.config import ConfigError, Settings, source_config
from connector_core.executors.base import Executor
from connector_core.hook_contexts import TransformContext
from connector_core.hookspecs import DropRecord
from connector_core.model import Achievement, LearningRecord, Tombstone, storable
from connector_core.plugins import Registry
from connector_core.secrecy import register_secrets
from connector_core.source import Page, RecordError, Source, SourceContext, SourceError
from connector_core.store import Store, identities, partitions, records, runs
from connector_core.store.tables import DeadLetterRow, PartitionRow, StreamStateRow, SyncRunRow

log = logging.getLogger("lerconnect.engine")


@dataclass
class RunResult:
    """What one run did; the same numbers are kept in the store's run record."""

    run_id: str
    source: str
    stream: str
    status: str
    full: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)


@dataclass
class _Normalized:
    items: list[LearningRecord] = field(default_factory=list)
    tombstones: list[Tombstone] = field(default_factory=list)
    dead: list[DeadLetterRow] = field(default_factory=list)


def run_logger(run_id: str, source: str, stream: str) -> logging.LoggerAdapter:
    """A logger whose every line carries the run id, source and stream."""
    return logging.LoggerAdapter(log, {"run_id": run_id, "source": source, "stream": stream})


def _reason(exc: Exception) -> tuple[str | None, str]:
    if isinstance(exc, RecordError):
        return exc.field, exc.reason
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or None
        return where, f"{first['msg']} (got {first.get('input')!r})"
    return None, f"{type(exc).__name__}: {exc}"


def _jsonable(raw: Any) -> Any:
    """The raw record as plain JSON for the dead-letter table, whatever types or bytes the source used."""
    return storable(json.loads(json.dumps(raw, default=str)))


def _transform(
    transforms: list[Callable[..., Any]], record: LearningRecord, context: TransformContext
) -> list[LearningRecord]:
    """Chain the transform hooks in call order, each seeing the record as the previous left it."""
    for transform in transforms:
        try:
            changed = transform(record=record, context=context)
        except DropRecord:
            return []
        if changed is not None:
            record = changed
    return [record]


def holder_gone(holder: str) -> bool:
    """A lease holder ("host:pid") on this host whose process is not alive: its lease can go at once."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host: only expiry (no renewal) says it is gone
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


class LeaseKeeper:
    """Renews a lease every third of its time to live while the work holding it is alive.

    So a slow page never loses the lease, and once this process stops (killed, host down) another
    host may take the lease over shortly after: when the lease expires, within one time to live.
    `renew(session)` says False once the lease was taken over; renewing then stops.
    """

    def __init__(self, store: Store, renew: Callable[[Session], bool], ttl: timedelta, name: str) -> None:
        self.store, self.renew, self.ttl, self.name = store, renew, ttl, name
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease {name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _renew(self) -> None:
        while not self._done.wait(self.ttl.total_seconds() / 3):
            try:
                with self.store.session() as session:
                    if not self.renew(session):
                        return  # taken over: the next page commit notices and stops
            except Exception as exc:  # the store is briefly unreachable: try again next time
                log.warning("could not renew the lease on %s: %s", self.name, exc)


COMMIT_ATTEMPTS = 5


@dataclass(frozen=True)
class PartitionJob:
    """One partition's work, in plain values: what an executor hands to a process or a Celery worker."""

    source: str
    stream: str
    key: str
    generation: int
    run_id: str
    full: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PartitionOutcome:
    """How one attempt at a partition ended: done, interrupted, failed, or not ours (done, busy, stale)."""

    key: str
    status: str
    error: str | None = None
    pages: int = 0
    timings: dict[str, float] = field(default_factory=lambda: {"pull": 0.0, "normalize": 0.0, "store": 0.0})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class QuietPages:
    """Pages with nothing to write, not yet checkpointed.

    On an unchanged night most pages only confirm what the store holds; committing each one's
    cursor and counts was most of such a night's store time. So their cursor, terms and counts are
    kept here and written with the next page that writes, or every `LIMIT` pages or `SECONDS`, or
    at the partition's end. A crash in between re-reads them, which writes nothing. A full pass
    never keeps pages back: each page notes what it saw, so that unseen records can be withdrawn.
    """

    LIMIT: ClassVar[int] = 50
    SECONDS: ClassVar[float] = 5.0
    pages: int = 0
    fetched: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    covers: set[str] = field(default_factory=set)
    since: float = 0.0
    last: Page | None = None

    def keep(self, page: Page, counts: dict[str, int]) -> bool:
        """Keep the quiet page back unless the batch is due; True if it was kept."""
        if self.pages and (self.pages >= self.LIMIT or time.monotonic() - self.since >= self.SECONDS):
            return False
        if not self.pages:
            self.since = time.monotonic()
        self.pages += counts["pages"]
        self.fetched += counts["fetched"]
        self.counts.update(counts)
        self.covers.update(page.covers)
        self.last = page
        return True

    def with_counts(self, counts: dict[str, int]) -> dict[str, int]:
        """The counts to write with the next checkpoint: the kept pages' with `counts`."""
        return dict(self.counts + Counter(counts))

    def clear(self) -> None:
        """Forget the kept pages, once the checkpoint that wrote them has committed (not before: a
        commit that loses a race is tried again, and must write them again)."""
        self.pages, self.fetched, self.counts, self.covers, self.last = 0, 0, Counter(), set(), None


@dataclass
class PageBatch:
    """Pages read and normalized, committed together: one transaction, lease check and checkpoint
    for up to `records` records (`[engine].commit_records`) or `SECONDS` of reading, instead of one a
    page (Canvas pages hold a course's twenty-odd enrollments). A crash re-reads the batch from the
    last checkpoint, which writes nothing twice: records are upserted by source id and content."""

    records: int
    SECONDS: ClassVar[float] = 2.0
    pages: list[Page] = field(default_factory=list)
    normalized: _Normalized = field(default_factory=_Normalized)
    read: int = 0  # records in the batch; an empty page (a file's end) counts one
    since: float = 0.0

    def add(self, page: Page, normalized: _Normalized) -> None:
        if not self.pages:
            self.since = time.monotonic()
        self.pages.append(page)
        self.read += max(1, len(page.records))
        self.normalized.items.extend(normalized.items)
        self.normalized.tombstones.extend(normalized.tombstones)
        self.normalized.dead.extend(normalized.dead)

    def due(self) -> bool:
        return self.read >= self.records or time.monotonic() - self.since >= self.SECONDS

    def take(self) -> tuple[Page, _Normalized, int]:
        """The batch as one page (the last page's cursor, every page's terms and records), its
        normalized records, and how many pages it holds; the batch is then empty."""
        last = self.pages[-1]
        page = Page(
            records=[raw for page in self.pages for raw in page.records],
            cursor=last.cursor,
            covers=tuple(sorted({term for page in self.pages for term in page.covers})),
            total=last.total,
        )
        taken = (page, self.normalized, len(self.pages))
        self.pages, self.normalized, self.read = [], _Normalized(), 0
        return taken


@dataclass
class Checkpoint:
    """Where a page's commit proves it still holds its lease and saves its cursor.

    A named partition keeps both on its partition row; the whole stream keeps its cursor in the
    stream's state (as it always has); a dead-letter retry holds the stream run's own lease.
    """

    row: PartitionRow | None
    token: str | None
    state: StreamStateRow | None
    full: bool
    ttl: timedelta
    letters: bool = True  # the stream may have dead letters a page could resolve (False: none to look for)
    quiet: QuietPages = field(default_factory=QuietPages)

    def hold(self, session: Session, origin: records.Origin) -> bool:
        if self.row is not None and self.token is not None:
            return partitions.renew(session, self.row, self.token, self.ttl)
        return runs.renew_lease(session, origin.source, origin.stream, origin.run_id, self.ttl)

    def describe(self, origin: records.Origin) -> str:
        key = f"[{self.row.key}]" if self.row is not None and self.row.key else ""
        return f"{origin.source}/{origin.stream}{key}"

    def save(self, session: Session, origin: records.Origin, page: Page | None, counts: dict[str, int]) -> None:
        """A written page's cursor and counts with those of the quiet pages kept back before it
        (`page` None: only theirs, up to the last of them)."""
        quiet = self.quiet
        cursor = (page or quiet.last).cursor
        covers = quiet.covers.union(page.covers if page is not None else ())
        pages, fetched = quiet.pages + counts.get("pages", 0), quiet.fetched + counts.get("fetched", 0)
        runs.add_counts(session, origin.run_id, quiet.with_counts(counts))
        if self.row is not None and self.token is not None:
            partitions.checkpoint(
                session, self.row, self.token, cursor=cursor, covers=covers, fetched=fetched, pages=pages
            )
        if self.state is not None:
            self.state.cursor = cursor
            if covers:
                self.state.covered = sorted(set(self.state.covered or ()) | covers)
            runs.save_cursor(session, self.state)


def source_partitions(source: Source, stream: str) -> list[str] | None:
    """The partition keys the source names for `stream`, or None when it does not split it."""
    named = source.partitions(stream)
    if named is None:
        return None
    keys = [str(key) for key in named]
    if not keys or any(not key for key in keys) or len(set(keys)) != len(keys):
        raise SourceError(
            f"{type(source).__name__}.partitions({stream!r}) must name one or more distinct, non-empty keys "
            f"(got {keys!r}): return None to sync the stream whole"
        )
    return keys


def pass_covered(store: Store, source: str, stream: str, named: list[str] | None) -> list[str] | None:
    """The terms the pass read in full (see `Page.covers`), over all its partitions; None: all of them."""
    if named is None:
        return runs.load_state(store, source, stream).covered
    rows = partitions.of_stream(store, source, stream)
    if any(row.covered is None for row in rows):
        return None  # a partition that named no terms read all of its records
    return sorted({term for row in rows for term in row.covered or ()})


def run_counts(store: Store, run_id: str) -> dict[str, int]:
    """The counts the run's partitions added to its record, page by page, wherever they ran."""
    row = runs.get_run(store, run_id)
    names = ("pages", "fetched", "new", "changed", "unchanged", "withdrawn", "dead_lettered", "learners_merged")
    return {name: getattr(row, name) for name in names if row is not None and getattr(row, name)}


def build_source(settings: Settings, registry: Registry, name: str) -> Source:
    """Instantiate the configured source `name` with its validated config."""
    if name not in settings.sources:
        known = ", ".join(sorted(settings.sources)) or "none"
        raise ConfigError(f"no source named {name!r} in the config (configured: {known}): add a [sources.{name}] table")
    cls = registry.source_class(settings.sources[name]["plugin"])
    info = registry.source_plugin[cls.name]
    config = source_config(settings, name, cls.Config)
    register_secrets(config)
    unknown = sorted(set(config.streams or ()) - set(cls.streams))
    if unknown:
        raise ConfigError(
            f"{settings.path or '<config>'}: [sources.{name}].streams names {', '.join(map(repr, unknown))}, "
            f"which plugin {cls.name!r} does not offer: use some of {', '.join(cls.streams)}"
        )
    base = settings.path.parent if settings.path else Path.cwd()
    return cls(config, SourceContext(name=name, plugin=cls.name, plugin_version=info.version, base_dir=base))


class SyncEngine:
    """Runs syncs against one store for the sources in one config."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        settings: Settings,
        *,
        lease_ttl: timedelta = timedelta(seconds=60),
        stop: threading.Event | None = None,
        on_page: Callable[[RunResult, Page], None] | None = None,
        on_run_done: Callable[[RunResult], None] | None = None,
        dry_run: bool = False,
        executor: Executor | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.settings = settings
        self.lease_ttl = lease_ttl
        self.stop = stop or threading.Event()
        self.on_page = on_page  # after each commit, a batch of pages (progress display)
        self.on_run_done = on_run_done  # after each run, with its final counts
        if dry_run and not store.rehearsing:
            raise ValueError("a dry run needs a rehearsal store: `with store.rehearsal() as dry: SyncEngine(dry, …)`")
        self.dry_run = dry_run  # the store is a rehearsal: everything is rolled back at its end
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self.executor = executor or Executor()  # a dry run's rehearsal store is this process's alone

    def make_source(self, name: str) -> Source:
        return build_source(self.settings, self.registry, name)

    def holds_last(self, names: list[str]) -> list[str]:
        """Sources whose streams flag FERPA holds go last: the night's other records are then
        covered by a hold pass that completed after them, and can be issued the same night."""
        flags = {}
        for name in names:
            source = self.make_source(name)
            try:
                flags[name] = any(source.flags_holds(s) for s in source.active_streams())
            finally:
                source.close()
        return sorted(names, key=lambda name: flags[name])

    def sync(self, name: str, *, stream: str | None = None, full: bool = False) -> list[RunResult]:
        """Run every stream of source `name` (or one), one after another."""
        source = self.make_source(name)
        try:
            if stream is not None and stream not in source.streams:
                raise ConfigError(
                    f"source {name!r} has no stream {stream!r}: use one of {', '.join(source.active_streams())}"
                )
            streams = (stream,) if stream else source.active_streams()
            return [self.run(source, s, full=full) for s in streams if not self.stop.is_set()]
        finally:
            source.close()

    def run(self, source: Source, stream: str, *, full: bool = False) -> RunResult:
        """One run of `stream`: refused if another holds its lease, otherwise to the end or a stop."""
        name = source.context.name
        run_id = uuid.uuid4().hex
        logger = run_logger(run_id, name, stream)
        started = time.monotonic()
        runs.start_run(
            self.store,
            SyncRunRow(id=run_id, source=name, stream=stream, status="running", full=full, dry_run=self.dry_run),
        )
        try:
            runs.acquire_lease(self.store, name, stream, run_id, self.holder, self.lease_ttl, holder_gone=holder_gone)
        except runs.RunRefused as exc:
            logger.warning("%s", exc)
            runs.finish_run(self.store, run_id, status="refused", error=str(exc))
            return RunResult(run_id, name, stream, "refused", full, error=str(exc))
        keeper = LeaseKeeper(
            self.store,
            lambda session: runs.renew_lease(session, name, stream, run_id, self.lease_ttl),
            self.lease_ttl,
            f"{name}/{stream}",
        )
        try:
            keeper.start()
            runs.mark_interrupted(self.store, name, stream)
            return self._run_locked(source, stream, run_id, full, logger, started)
        finally:
            keeper.stop()
            runs.release_lease(self.store, name, stream, run_id)

    def _run_locked(
        self, source: Source, stream: str, run_id: str, full: bool, logger: logging.LoggerAdapter, started: float
    ) -> RunResult:
        """The stream's pass: its partitions synced through the executor, then (all done) withdraw and close."""
        name = source.context.name
        named: list[str] | None = None
        timings = {"pull": 0.0, "normalize": 0.0, "store": 0.0}
        result = RunResult(run_id, name, stream, "running", full)
        try:
            named = source_partitions(source, stream)
            holds, partitioned = source.flags_holds(stream), named is not None
            state = runs.begin_pass(self.store, name, stream, full=full, flags_holds=holds, partitioned=partitioned)
            result.full = state.pass_full
            logger.info("run started (%s pass %d)", "full" if state.pass_full else "incremental", state.generation)
            keys = named or [partitions.WHOLE_STREAM]
            rows = partitions.seed(self.store, name, stream, keys, state.generation, full=state.pass_full)
            jobs = [
                PartitionJob(name, stream, row.key, state.generation, run_id, state.pass_full).as_dict()
                for row in rows
                if not row.done
            ]
            failures = self._sync_partitions(source, jobs, result, timings)
            result.counts = run_counts(self.store, run_id)
            if failures:
                result.status, result.error = "failed", logs.mask(storable("; ".join(failures)))
                logger.error("run failed: %s", result.error)
            elif self.stop.is_set() or not all(row.done for row in partitions.of_stream(self.store, name, stream)):
                result.status = "interrupted"
                logger.warning("stopped on request; the next run resumes where each partition left off")
            else:
                with self.store.session() as session:
                    if state.pass_full:
                        covered = pass_covered(self.store, name, stream, named)
                        origin = records.Origin(
                            name, stream, source.context.plugin, source.context.plugin_version, run_id
                        )
                        withdrawn = records.withdraw_unseen(session, origin, covered)
                        result.counts["withdrawn"] = result.count("withdrawn") + withdrawn
                        runs.add_counts(session, run_id, {"withdrawn": withdrawn})
                    runs.end_pass(session, name, stream)
                result.status = "succeeded"
        except Exception as exc:
            result.status, result.error = "failed", logs.mask(storable(f"{type(exc).__name__}: {exc}"))
            # a source's own errors are expected and self-explaining; anything else keeps its traceback
            logger.error("run failed: %s", result.error, exc_info=not isinstance(exc, SourceError | RecordError))
        result.seconds = time.monotonic() - started
        timings = {k: round(v, 3) for k, v in timings.items()}
        columns = {k: v for k, v in result.counts.items() if k in SyncRunRow.model_fields}
        kept = partitions.summary(partitions.of_run(self.store, run_id)) if named is not None else None
        runs.finish_run(
            self.store,
            run_id,
            status=result.status,
            error=result.error,
            timings=timings,
            full=result.full,
            partitions=kept,
            **columns,
        )
        counts = ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items())) or "nothing stored"
        logger.info("run %s in %.1fs: %s", result.status, result.seconds, counts)
        if self.on_run_done:
            self.on_run_done(result)
        return result

    def _sync_partitions(
        self, source: Source, jobs: list[dict[str, Any]], result: RunResult, timings: dict[str, float]
    ) -> list[str]:
        """Run the partitions through the executor until each is done, failed or stopped; the failures.

        A partition another attempt holds (a duplicate delivery) or one whose worker stopped before
        its end is asked for again, until its holder finishes it or its lease expires.
        """

        def here(payload: dict[str, Any]) -> dict[str, Any]:
            def on_page(counts: dict[str, int], page: Page) -> None:
                for key, value in counts.items():
                    result.counts[key] = result.count(key) + value
                if self.on_page:
                    self.on_page(result, page)

            return self.sync_partition(source, PartitionJob(**payload), on_page).as_dict()

        def lost(payload: dict[str, Any]) -> bool:
            return partitions.lost(self.store, payload["source"], payload["stream"], payload["key"], holder_gone)

        failures: list[str] = []
        while jobs and not self.stop.is_set():
            again = []
            for outcome in self.executor.map("sync_partition", jobs, inline=here, lost=lost, stop=self.stop):
                for name, seconds in (outcome.get("timings") or {}).items():
                    timings[name] = timings.get(name, 0.0) + seconds
                if outcome["status"] == "failed":
                    key = outcome["key"]
                    failures.append(f"partition {key}: {outcome['error']}" if key else str(outcome["error"]))
                elif outcome["status"] in ("busy", "interrupted"):
                    again.append(next(job for job in jobs if job["key"] == outcome["key"]))
            if failures:
                break
            jobs = again
            if jobs:
                self.stop.wait(min(1.0, self.lease_ttl.total_seconds() / 3))
        return failures

    def sync_partition(
        self, source: Source, job: PartitionJob, on_page: Callable[[dict[str, int], Page], None] | None = None
    ) -> PartitionOutcome:
        """Sync one partition to its end (or a stop): the body every executor runs, in or out of process.

        Safe to run twice at once or again after a crash: only the attempt holding the partition's
        lease commits pages, each page with the partition's cursor in one transaction.
        """
        logger = run_logger(job.run_id, job.source, job.stream)
        token = uuid.uuid4().hex
        claim = partitions.claim(
            self.store,
            job.source,
            job.stream,
            job.key,
            generation=job.generation,
            run_id=job.run_id,
            token=token,
            holder=self.holder,
            ttl=self.lease_ttl,
            holder_gone=holder_gone,
        )
        if claim.row is None or claim.status != "held":
            logger.info("partition %r not synced here: %s %s", job.key, claim.status, claim.holder or "")
            return PartitionOutcome(job.key, claim.status)
        row = claim.row
        keeper = LeaseKeeper(
            self.store,
            lambda session: partitions.renew(session, row, token, self.lease_ttl),
            self.lease_ttl,
            f"{job.source}/{job.stream}[{job.key}]",
        )
        outcome = PartitionOutcome(job.key, "running")
        keeper.start()
        try:
            self._pull_partition(source, job, row, token, outcome, on_page)
            outcome.status = "interrupted" if self.stop.is_set() else "done"
            if outcome.status == "interrupted":
                logger.warning("partition %r stopped on request; the next run resumes from there", job.key)
        except Exception as exc:
            outcome.status, outcome.error = "failed", logs.mask(storable(f"{type(exc).__name__}: {exc}"))
            logger.error(
                "partition %r failed: %s",
                job.key,
                outcome.error,
                exc_info=not isinstance(exc, SourceError | RecordError),
            )
        finally:
            keeper.stop()
            partitions.release(self.store, row, token, done=outcome.status == "done", error=outcome.error)
        return outcome

    def _pull_partition(
        self,
        source: Source,
        job: PartitionJob,
        row: PartitionRow,
        token: str,
        outcome: PartitionOutcome,
        on_page: Callable[[dict[str, int], Page], None] | None,
    ) -> None:
        whole = job.key == partitions.WHOLE_STREAM
        state = runs.load_state(self.store, job.source, job.stream)
        origin = records.Origin(
            job.source, job.stream, source.context.plugin, source.context.plugin_version, job.run_id
        )
        checkpoint = Checkpoint(row, token, state if whole else None, job.full, self.lease_ttl)
        checkpoint.letters = runs.has_dead_letters(self.store, job.source, job.stream)
        resolved: dict[str, identities.Resolution] = {}
        achievements: dict[str, Achievement] = {}
        cursor = state.cursor if whole else row.cursor
        pages = iter(source.pull(job.stream, cursor) if whole else source.pull(job.stream, cursor, partition=job.key))
        timings = outcome.timings
        batch = PageBatch(self.settings.engine.commit_records)

        def commit() -> None:
            if not batch.pages:
                return
            t0 = time.monotonic()
            page, normalized, count = batch.take()
            counts = self._commit_retried(origin, checkpoint, page, normalized, resolved, achievements, count)
            timings["store"] += time.monotonic() - t0
            outcome.pages += count
            if on_page:
                on_page(counts, page)

        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                page = next(pages, None)
            except Exception:
                commit()  # what was read before the source failed is stored
                raise
            timings["pull"] += time.monotonic() - t0
            if page is None:
                break
            t0 = time.monotonic()
            batch.add(page, self._normalize(source, job.stream, page, job.run_id))
            timings["normalize"] += time.monotonic() - t0
            if batch.due():
                commit()
        commit()
        self._save_quiet(origin, checkpoint)

    def _save_quiet(self, origin: records.Origin, checkpoint: Checkpoint) -> None:
        """The partition ended (or was stopped): the cursor and counts of quiet pages kept back go in."""
        if checkpoint.quiet.last is None:
            return
        with self.store.session() as session:
            if not checkpoint.hold(session, origin):
                raise runs.RunRefused(f"lost the lease on {checkpoint.describe(origin)} to another run")
            checkpoint.save(session, origin, None, {})
        checkpoint.quiet.clear()

    def retry(self, source: Source, stream: str, letters: list[DeadLetterRow]) -> RunResult:
        """Normalize dead letters' stored raw records again (after a fix to the plugin or the config).

        One run: records that now pass are stored and leave the list; the others are listed again
        under this run. The stream's cursor and pass are left as they are.
        """
        name = source.context.name
        run_id = uuid.uuid4().hex
        logger = run_logger(run_id, name, stream)
        started = time.monotonic()
        runs.start_run(self.store, SyncRunRow(id=run_id, source=name, stream=stream, status="running"))
        result = RunResult(run_id, name, stream, "running")
        try:
            runs.acquire_lease(self.store, name, stream, run_id, self.holder, self.lease_ttl)
        except runs.RunRefused as exc:
            runs.finish_run(self.store, run_id, status="refused", error=str(exc))
            return RunResult(run_id, name, stream, "refused", error=str(exc))
        try:
            state = runs.load_state(self.store, name, stream)
            page = Page(records=[letter.raw for letter in letters], cursor=state.cursor)
            origin = records.Origin(name, stream, source.context.plugin, source.context.plugin_version, run_id)
            normalized = self._normalize(source, stream, page, run_id)
            retried = [letter.id for letter in letters]
            checkpoint = Checkpoint(None, None, state, state.pass_full, self.lease_ttl)
            result.counts = self._commit_page(origin, checkpoint, page, normalized, {}, {}, retried=retried)
            result.status = "succeeded"
            logger.info(
                "dead letters retried: %d stored, %d still failing", len(normalized.items), len(normalized.dead)
            )
        except Exception as exc:
            result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
            logger.error("retry failed: %s", result.error)
        finally:
            runs.release_lease(self.store, name, stream, run_id)
            result.seconds = time.monotonic() - started
            columns = {k: v for k, v in result.counts.items() if k in SyncRunRow.model_fields}
            runs.finish_run(self.store, run_id, status=result.status, error=result.error, **columns)
        return result

    def _normalize(self, source: Source, stream: str, page: Page, run_id: str) -> _Normalized:
        out = _Normalized()
        context = TransformContext(source=source.context.name, stream=stream, run_id=run_id)
        transforms = [impl.function for impl in reversed(self.registry.hook.lerconnect_transform.get_hookimpls())]
        for raw in page.records:
            try:
                produced: Iterable[LearningRecord | Tombstone] = list(source.normalize(stream, raw))
                for item in produced:
                    if isinstance(item, Tombstone):
                        out.tombstones.append(item)
                    else:
                        out.items.extend(_transform(transforms, item, context))
            except Exception as exc:  # any bad record dead-letters; the run goes on
                where, reason = _reason(exc)
                out.dead.append(
                    DeadLetterRow(
                        run_id=run_id,
                        source=source.context.name,
                        stream=stream,
                        source_record_id=storable(source.record_id(stream, raw)),
                        field=storable(where),
                        reason=logs.mask(storable(reason)),
                        location=storable(source.record_location(stream, raw)),
                        raw=_jsonable(raw),
                    )
                )
        return out

    def _commit_retried(
        self,
        origin: records.Origin,
        checkpoint: Checkpoint,
        page: Page,
        normalized: _Normalized,
        resolved: dict[str, identities.Resolution],
        achievements: dict[str, Achievement],
        pages: int = 1,
    ) -> dict[str, int]:
        """Commit a page (or a `PageBatch` of `pages`); partitions committing at once may collide on a new
        learner or achievement, so a commit that loses such a race is tried again, seeing what the winner stored."""
        for attempt in range(COMMIT_ATTEMPTS):
            try:
                return self._commit_page(origin, checkpoint, page, normalized, resolved, achievements, pages=pages)
            except (IntegrityError, OperationalError) as exc:
                if attempt == COMMIT_ATTEMPTS - 1 or not _lost_race(exc):
                    raise
                resolved.clear()
                achievements.clear()
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _commit_page(
        self,
        origin: records.Origin,
        checkpoint: Checkpoint,
        page: Page,
        normalized: _Normalized,
        resolved: dict[str, identities.Resolution],
        achievements: dict[str, Achievement],
        retried: list[int] | None = None,
        pages: int = 1,
    ) -> dict[str, int]:
        rules = self.settings.identity.match
        with self.store.session() as session:
            items = []
            merged = placed = 0
            unplaced = [r.learner for r in normalized.items if r.learner.source_id not in resolved]
            if unplaced:  # learners the store already knows, in one query; only newcomers go one by one
                resolved.update(identities.known(session, origin.source, unplaced))
            for record in normalized.items:
                learner = record.learner
                resolution = resolved.get(learner.source_id)
                if resolution is None:
                    resolution = identities.resolve(session, origin.source, learner, rules)
                    resolved[learner.source_id] = resolution
                    merged += resolution.merged
                    placed += 1
                items.append((record, resolution.learner_key))
            counts = records.upsert(session, origin, items, normalized.tombstones, achievements).as_dict()
            counts.update(
                pages=pages, fetched=len(page.records), dead_lettered=len(normalized.dead), learners_merged=merged
            )
            wrote = placed or counts["new"] or counts["changed"] or counts["withdrawn"] or normalized.dead
            quiet = not (wrote or retried or checkpoint.letters or checkpoint.full)
            if quiet and checkpoint.quiet.keep(page, counts):
                return counts  # nothing written: the cursor goes in with a later page (see `QuietPages`)
            if not checkpoint.hold(session, origin):
                raise runs.RunRefused(f"lost the lease on {checkpoint.describe(origin)} to another run")
            if checkpoint.full:
                runs.mark_seen(session, origin.source, origin.stream, {r.source_record_id for r in normalized.items})
            # a record that now normalizes leaves the list; one failing again keeps only its newest entry
            if retried:
                runs.drop_dead_letters(session, retried)
            again = {letter.source_record_id for letter in normalized.dead}
            checkpoint.letters |= bool(again)
            if checkpoint.letters:
                runs.resolve_dead_letters(
                    session, origin.source, origin.stream, {r.source_record_id for r in normalized.items} | again
                )
            for letter in normalized.dead:
                runs.add_dead_letter(session, DeadLetterRow(**letter.model_dump(exclude={"id"})))
            checkpoint.save(session, origin, page, counts)
        checkpoint.quiet.clear()
        return counts


def _lost_race(exc: Exception) -> bool:
    """A unique key another transaction inserted first, or a deadlock PostgreSQL broke by aborting us."""
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in {"40P01", "40001"}
