"""Run records, stream cursors, run leases and dead letters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from connector_core.store.database import Store
from connector_core.store.tables import (
    DeadLetterRow,
    IssueRunRow,
    PartitionRow,
    RunLockRow,
    SeenRow,
    StreamStateRow,
    SyncRunRow,
    utcnow,
)


class RunRefused(Exception):
    """Another run of the same source and stream holds the lease."""


def acquire_lease(
    store: Store,
    source: str,
    stream: str,
    run_id: str,
    holder: str,
    ttl: timedelta,
    *,
    holder_gone: Callable[[str], bool] = lambda _holder: False,
) -> None:
    """Take the lease on source × stream, or take over one whose holder is gone or stopped renewing it.

    `holder_gone(holder)` says when a holder is known dead (same host, process not alive): its lease
    is taken over at once instead of after it expires.
    """
    now = utcnow()
    with store.session() as session:
        taken = session.execute(
            update(RunLockRow)
            .where(RunLockRow.source == source, RunLockRow.stream == stream, RunLockRow.expires_at < now)
            .values(run_id=run_id, holder=holder, expires_at=now + ttl)
        ).rowcount
        if taken:
            return
    try:
        with store.session() as session:
            session.add(RunLockRow(source=source, stream=stream, run_id=run_id, holder=holder, expires_at=now + ttl))
        return
    except IntegrityError:
        with store.session() as session:
            lock = session.get(RunLockRow, (source, stream))
    if lock is not None and holder_gone(lock.holder):
        with store.session() as session:
            taken = session.execute(
                update(RunLockRow)
                .where(RunLockRow.source == source, RunLockRow.stream == stream, RunLockRow.run_id == lock.run_id)
                .values(run_id=run_id, holder=holder, expires_at=now + ttl)
            ).rowcount
        if taken:
            return
    detail = f"run {lock.run_id} on {lock.holder} until {lock.expires_at:%Y-%m-%d %H:%M:%S} UTC" if lock else ""
    raise RunRefused(
        f"{source}/{stream} is already being synced ({detail}); wait for it to finish, or if "
        f"its process died the lease expires by itself"
    )


def renew_lease(session: Session, source: str, stream: str, run_id: str, ttl: timedelta) -> bool:
    """Extend our lease inside the page transaction; False if another run took it over."""
    return bool(
        session.execute(
            update(RunLockRow)
            .where(RunLockRow.source == source, RunLockRow.stream == stream, RunLockRow.run_id == run_id)
            .values(expires_at=utcnow() + ttl)
        ).rowcount
    )


def release_lease(store: Store, source: str, stream: str, run_id: str) -> None:
    with store.session() as session:
        session.execute(
            delete(RunLockRow).where(
                RunLockRow.source == source, RunLockRow.stream == stream, RunLockRow.run_id == run_id
            )
        )


def start_run(store: Store, run: SyncRunRow) -> None:
    with store.session() as session:
        session.add(run)


def finish_run(store: Store, run_id: str, **values: Any) -> SyncRunRow:
    with store.session() as session:
        run = session.get(SyncRunRow, run_id)
        for key, value in values.items():
            setattr(run, key, value)
        run.finished_at = utcnow()
        return run


def add_counts(session: Session, run_id: str, counts: dict[str, int]) -> None:
    """Add a committed page's counts to its run, in the page's own transaction."""
    columns = {name: getattr(SyncRunRow, name) + value for name, value in counts.items() if value}
    if columns:  # Core: once per page, where the ORM's bulk-update bookkeeping would cost more than the update
        session.connection().execute(update(SyncRunRow).where(SyncRunRow.id == run_id).values(**columns))


def get_run(store: Store, run_id: str) -> SyncRunRow | None:
    with store.session() as session:
        run = session.get(SyncRunRow, run_id)
        if run is None:
            run = session.scalars(select(SyncRunRow).where(SyncRunRow.id.startswith(run_id))).first()
        return run


def list_runs(store: Store, *, source: str | None = None, limit: int = 20) -> list[SyncRunRow]:
    query = select(SyncRunRow).order_by(SyncRunRow.started_at.desc()).limit(limit)
    if source:
        query = query.where(SyncRunRow.source == source)
    with store.session() as session:
        return list(session.scalars(query))


def mark_interrupted(store: Store, source: str, stream: str) -> None:
    """Runs still 'running' without a lease died mid-way: say so in their record."""
    with store.session() as session:
        held = select(RunLockRow.run_id).where(RunLockRow.source == source, RunLockRow.stream == stream)
        session.execute(
            update(SyncRunRow)
            .where(
                SyncRunRow.source == source,
                SyncRunRow.stream == stream,
                SyncRunRow.status == "running",
                SyncRunRow.id.not_in(held),
            )
            .values(status="interrupted", finished_at=utcnow())
        )


def load_state(store: Store, source: str, stream: str) -> StreamStateRow:
    with store.session() as session:
        return session.get(StreamStateRow, (source, stream)) or StreamStateRow(source=source, stream=stream)


def save_state(session: Session, state: StreamStateRow) -> None:
    state.updated_at = utcnow()
    session.merge(state)


def save_cursor(session: Session, state: StreamStateRow) -> None:
    """A committed page's cursor (and covered terms) on the stream's state: one update, no merge."""
    state.updated_at = utcnow()
    saved = session.connection().execute(
        update(StreamStateRow)
        .where(StreamStateRow.source == state.source, StreamStateRow.stream == state.stream)
        .values(cursor=state.cursor, covered=state.covered, updated_at=state.updated_at)
    )
    if not saved.rowcount:  # no state stored yet
        save_state(session, state)


def begin_pass(
    store: Store, source: str, stream: str, *, full: bool, flags_holds: bool = False, partitioned: bool = False
) -> StreamStateRow:
    """Open a new sync pass unless a crashed one is still open, which is resumed instead.

    `flags_holds` says the stream carries FERPA holds: issuing waits for its passes to complete.
    A pass is full when asked, or when the stream has no cursor yet; a `partitioned` stream keeps
    its cursors on its partitions, so it has none until its first pass completes.
    """
    with store.session() as session:
        state = session.get(StreamStateRow, (source, stream))
        if state is None:
            state = StreamStateRow(source=source, stream=stream)
            session.add(state)
        state.flags_holds = flags_holds
        if state.pass_open and not full:
            return state
        full = full or (state.pass_completed_at is None if partitioned else state.cursor is None)
        session.execute(delete(SeenRow).where(SeenRow.source == source, SeenRow.stream == stream))
        state.generation += 1
        state.covered = None
        state.pass_open = True
        state.pass_full = full
        if full:
            state.cursor = None
        state.updated_at = utcnow()
        return state


def mark_seen(session: Session, source: str, stream: str, ids: set[str]) -> None:
    """Note the page's source ids in the open full pass: one multi-row insert that skips ids already
    noted (an earlier page, another partition), in id order so concurrent pages never deadlock."""
    if not ids:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [{"source": source, "stream": stream, "source_record_id": i} for i in sorted(ids)]
    session.execute(insert(SeenRow.__table__).on_conflict_do_nothing(), rows)


def end_pass(session: Session, source: str, stream: str) -> None:
    session.execute(delete(SeenRow).where(SeenRow.source == source, SeenRow.stream == stream))
    session.execute(
        update(StreamStateRow)
        .where(StreamStateRow.source == source, StreamStateRow.stream == stream)
        .values(pass_open=False, pass_completed_at=utcnow(), updated_at=utcnow())
    )


def add_dead_letter(session: Session, letter: DeadLetterRow) -> None:
    session.add(letter)


def has_dead_letters(store: Store, source: str, stream: str) -> bool:
    """Whether the stream has any dead letter: a quiet stream's pages need not look for theirs."""
    with store.session() as session:
        query = select(DeadLetterRow.id).where(DeadLetterRow.source == source, DeadLetterRow.stream == stream)
        return session.scalar(query.limit(1)) is not None


def resolve_dead_letters(session: Session, source: str, stream: str, source_record_ids: set[str]) -> None:
    """Records that now normalized cleanly leave the dead-letter list."""
    if source_record_ids:
        session.execute(
            delete(DeadLetterRow).where(
                DeadLetterRow.source == source,
                DeadLetterRow.stream == stream,
                DeadLetterRow.source_record_id.in_(source_record_ids),
            )
        )


def drop_dead_letters(session: Session, letter_ids: list[int]) -> None:
    session.execute(delete(DeadLetterRow).where(DeadLetterRow.id.in_(letter_ids)))


def list_dead_letters(
    store: Store,
    *,
    source: str | None = None,
    stream: str | None = None,
    run_id: str | None = None,
    limit: int | None = 100,
) -> list[DeadLetterRow]:
    query = select(DeadLetterRow).order_by(DeadLetterRow.id.desc()).limit(limit)
    if source:
        query = query.where(DeadLetterRow.source == source)
    if stream:
        query = query.where(DeadLetterRow.stream == stream)
    if run_id:
        query = query.where(DeadLetterRow.run_id == run_id)
    with store.session() as session:
        return list(session.scalars(query))


def record_issuing(store: Store, outcome: IssueRunRow, run_ids: list[str]) -> None:
    """Keep an issuing pass's outcome and link the sync runs it followed to it."""
    with store.session() as session:
        session.merge(outcome)
        if run_ids:
            session.execute(update(SyncRunRow).where(SyncRunRow.id.in_(run_ids)).values(issue_run_id=outcome.id))


def issuing_of(store: Store, issue_run_ids: set[str]) -> dict[str, IssueRunRow]:
    """Issuing outcomes by id, for showing beside the sync runs that led to them."""
    if not issue_run_ids:
        return {}
    with store.session() as session:
        return {r.id: r for r in session.scalars(select(IssueRunRow).where(IssueRunRow.id.in_(issue_run_ids)))}


@contextmanager
def rehearsal(store: Store) -> Iterator[Store]:
    """A dry run: everything written through the yielded store is rolled back at the end, except
    the run history, which is kept marked `dry_run` so `runs` shows that a dry run happened."""
    started = utcnow()
    with store.rehearsal() as dry:
        try:
            yield dry
        finally:
            with dry.session() as session:
                kept = _dry_history(session, started)
    with store.session() as session:
        for row in kept:
            session.merge(row)


def _dry_history(session: Session, since: datetime) -> list[Any]:
    rows: list[Any] = list(
        session.scalars(select(IssueRunRow).where(IssueRunRow.dry_run.is_(True), IssueRunRow.started_at >= since))
    )
    rows += session.scalars(select(SyncRunRow).where(SyncRunRow.dry_run.is_(True), SyncRunRow.started_at >= since))
    for row in rows:
        session.expunge(row)
    return rows


def known_sources(store: Store) -> set[str]:
    """Every source name the store has run history or state for."""
    with store.session() as session:
        return set(session.scalars(select(SyncRunRow.source).distinct())) | set(
            session.scalars(select(StreamStateRow.source).distinct())
        )


def list_states(store: Store, source: str | None = None) -> list[StreamStateRow]:
    query = select(StreamStateRow).order_by(StreamStateRow.source, StreamStateRow.stream)
    if source:
        query = query.where(StreamStateRow.source == source)
    with store.session() as session:
        return list(session.scalars(query))


def reset_state(store: Store, source: str, stream: str | None = None) -> list[str]:
    """Forget the cursor and open pass of a source's streams: the next run reads everything again.

    Stored records stay; the next run is a full pass, so records the source no longer has are withdrawn.
    """
    where = [StreamStateRow.source == source]
    seen = [SeenRow.source == source]
    parts = [PartitionRow.source == source]
    if stream:
        where.append(StreamStateRow.stream == stream)
        seen.append(SeenRow.stream == stream)
        parts.append(PartitionRow.stream == stream)
    with store.session() as session:
        streams = list(session.scalars(select(StreamStateRow.stream).where(*where)))
        session.execute(delete(SeenRow).where(*seen))
        session.execute(delete(PartitionRow).where(*parts))
        session.execute(delete(StreamStateRow).where(*where))
    return streams
