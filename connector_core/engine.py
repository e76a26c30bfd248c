"""The sync run: one source × one stream, page by page, each page committed with its cursor.

A run killed at any moment resumes from the last committed page: records and cursor go into the
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connector_core import logs
from connector_core.config import ConfigError, Settings, source_config
from connector_core.hook_contexts import TransformContext
from connector_core.hookspecs import DropRecord
from connector_core.model import LearningRecord, Tombstone, storable
from connector_core.plugins import Registry
from connector_core.secrecy import register_secrets
from connector_core.source import Page, RecordError, Source, SourceContext, SourceError
from connector_core.store import Store, identities, records, runs
from connector_core.store.tables import DeadLetterRow, SyncRunRow

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
    """Renews a run's lease every third of its time to live while the run is alive.

    So a slow page never loses the lease, and once this process stops (killed, host down) another
    host may take the lease over shortly after: when the lease expires, within one time to live.
    """

    def __init__(self, store: Store, source: str, stream: str, run_id: str, ttl: timedelta) -> None:
        self.store, self.source, self.stream, self.run_id, self.ttl = store, source, stream, run_id, ttl
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease {source}/{stream}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _renew(self) -> None:
        while not self._done.wait(self.ttl.total_seconds() / 3):
            try:
                with self.store.session() as session:
                    if not runs.renew_lease(session, self.source, self.stream, self.run_id, self.ttl):
                        return  # taken over: the next page commit notices and stops the run
            except Exception as exc:  # the store is briefly unreachable: try again next time
                log.warning("could not renew the lease on %s/%s: %s", self.source, self.stream, exc)


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
    ) -> None:
        self.store = store
        self.registry = registry
        self.settings = settings
        self.lease_ttl = lease_ttl
        self.stop = stop or threading.Event()
        self.on_page = on_page  # after each committed page (progress display)
        self.on_run_done = on_run_done  # after each run, with its final counts
        if dry_run and not store.rehearsing:
            raise ValueError("a dry run needs a rehearsal store: `with store.rehearsal() as dry: SyncEngine(dry, …)`")
        self.dry_run = dry_run  # the store is a rehearsal: everything is rolled back at its end
        self.holder = f"{socket.gethostname()}:{os.getpid()}"

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
        keeper = LeaseKeeper(self.store, name, stream, run_id, self.lease_ttl)
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
        name = source.context.name
        state = runs.begin_pass(self.store, name, stream, full=full, flags_holds=source.flags_holds(stream))
        result = RunResult(run_id, name, stream, "running", state.pass_full)
        origin = records.Origin(name, stream, source.context.plugin, source.context.plugin_version, run_id)
        timings = {"pull": 0.0, "normalize": 0.0, "store": 0.0}
        resolved: dict[str, identities.Resolution] = {}
        achievements: dict[str, str] = {}
        logger.info("run started (%s pass %d)", "full" if state.pass_full else "incremental", state.generation)
        try:
            pages = iter(source.pull(stream, state.cursor))
            number = 0
            while not self.stop.is_set():
                t0 = time.monotonic()
                page = next(pages, None)
                timings["pull"] += time.monotonic() - t0
                if page is None:
                    break
                number += 1
                t0 = time.monotonic()
                normalized = self._normalize(source, stream, page, run_id)
                timings["normalize"] += time.monotonic() - t0
                t0 = time.monotonic()
                counts = self._commit_page(origin, state, page, normalized, resolved, achievements)
                timings["store"] += time.monotonic() - t0
                for key, value in counts.items():
                    result.counts[key] = result.count(key) + value
                if self.on_page:
                    self.on_page(result, page)
            if self.stop.is_set():
                result.status = "interrupted"
                logger.warning("stopped on request after page %d; the next run resumes from there", number)
            else:
                with self.store.session() as session:
                    if state.pass_full:
                        withdrawn = records.withdraw_unseen(session, origin, state.covered)
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
        runs.finish_run(
            self.store, run_id, status=result.status, error=result.error, timings=timings, full=result.full, **columns
        )
        counts = ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items())) or "nothing stored"
        logger.info("run %s in %.1fs: %s", result.status, result.seconds, counts)
        if self.on_run_done:
            self.on_run_done(result)
        return result

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
            result.counts = self._commit_page(origin, state, page, normalized, {}, {}, retried=retried)
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

    def _commit_page(
        self,
        origin: records.Origin,
        state: Any,
        page: Page,
        normalized: _Normalized,
        resolved: dict[str, identities.Resolution],
        achievements: dict[str, str],
        retried: list[int] | None = None,
    ) -> dict[str, int]:
        rules = self.settings.identity.match
        with self.store.session() as session:
            if not runs.renew_lease(session, origin.source, origin.stream, origin.run_id, self.lease_ttl):
                raise runs.RunRefused(f"lost the lease on {origin.source}/{origin.stream} to another run")
            items = []
            merged = 0
            for record in normalized.items:
                learner = record.learner
                resolution = resolved.get(learner.source_id)
                if resolution is None:
                    resolution = identities.resolve(session, origin.source, learner, rules)
                    resolved[learner.source_id] = resolution
                    merged += resolution.merged
                items.append((record, resolution.learner_key))
            counts = records.upsert(session, origin, items, normalized.tombstones, achievements).as_dict()
            if state.pass_full:
                runs.mark_seen(session, origin.source, origin.stream, {r.source_record_id for r in normalized.items})
            # a record that now normalizes leaves the list; one failing again keeps only its newest entry
            if retried:
                runs.drop_dead_letters(session, retried)
            again = {letter.source_record_id for letter in normalized.dead}
            runs.resolve_dead_letters(
                session, origin.source, origin.stream, {r.source_record_id for r in normalized.items} | again
            )
            for letter in normalized.dead:
                runs.add_dead_letter(session, letter)
            counts.update(
                pages=1, fetched=len(page.records), dead_lettered=len(normalized.dead), learners_merged=merged
            )
            runs.add_counts(session, origin.run_id, counts)
            state.cursor = page.cursor
            if page.covers:
                state.covered = sorted(set(state.covered or ()) | set(page.covers))
            runs.save_state(session, state)
        return counts
