"""Partitions of a stream's sync pass: seeded when the pass opens, leased by workers, done one by one.

The lease is a token with an expiry on the partition's row, taken and renewed in single UPDATEs,
so two deliveries of one task (at-least-once brokers) never sync the same partition at once, and a
worker that died mid-partition loses it once its lease expires (at once if it was on this host).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlmodel import Session

from connector_core.store.database import Store
from connector_core.store.tables import PartitionRow, utcnow

WHOLE_STREAM = ""
"""The key of the one partition of a stream its source does not split (its cursor is in stream_state)."""


@dataclass(frozen=True)
class Claim:
    """The outcome of asking for a partition: `row` when we hold it, else why not."""

    status: str  # held, done (finished in this pass), busy (a live holder has it), stale (pass moved on)
    row: PartitionRow | None = None
    holder: str | None = None


def seed(
    store: Store, source: str, stream: str, keys: Iterable[str], generation: int, *, full: bool
) -> list[PartitionRow]:
    """The partitions of the pass `generation`, created or reset for it; partitions no longer named go.

    A partition already in this generation (a resumed pass) keeps its cursor and `done`; one from
    an earlier pass starts afresh, from the beginning on a `full` pass, else from its cursor (an
    incremental pass reads only what changed).
    """
    wanted = list(dict.fromkeys(keys))
    with store.session() as session:
        rows = {
            row.key: row
            for row in session.scalars(
                select(PartitionRow).where(PartitionRow.source == source, PartitionRow.stream == stream)
            )
        }
        for key in set(rows) - set(wanted):
            session.delete(rows.pop(key))
        for key in wanted:
            row = rows.get(key)
            if row is None:
                row = rows[key] = PartitionRow(source=source, stream=stream, key=key, generation=generation)
                session.add(row)
            elif row.generation != generation:
                row.generation, row.done, row.token, row.holder, row.expires_at = generation, False, None, None, None
                row.run_id, row.covered, row.pages, row.fetched, row.error = None, None, 0, 0, None
                row.updated_at = utcnow()
                if full:
                    row.cursor = None
        return [rows[key] for key in wanted]


def claim(
    store: Store,
    source: str,
    stream: str,
    key: str,
    *,
    generation: int,
    run_id: str,
    token: str,
    holder: str,
    ttl: timedelta,
    holder_gone: Callable[[str], bool] = lambda _holder: False,
) -> Claim:
    """Take the partition for this task attempt, or say why it is not ours to sync."""
    now = utcnow()
    where = (
        PartitionRow.source == source,
        PartitionRow.stream == stream,
        PartitionRow.key == key,
        PartitionRow.generation == generation,
        PartitionRow.done.is_(False),
    )
    values: dict[str, Any] = {"token": token, "holder": holder, "expires_at": now + ttl, "updated_at": now}
    with store.session() as session:
        row = session.scalars(select(PartitionRow).where(*where[:3])).first()
        if row is None or row.generation != generation:
            return Claim("stale")
        if row.done:
            return Claim("done", row)
        free = or_(PartitionRow.token.is_(None), PartitionRow.expires_at < now, PartitionRow.token == token)
        gone = row.token is not None and row.holder is not None and holder_gone(row.holder)
        condition = (PartitionRow.token == row.token) if gone else free
        if row.run_id != run_id:
            values.update(run_id=run_id, pages=0, fetched=0, error=None)
        taken = session.execute(update(PartitionRow).where(*where, condition).values(**values)).rowcount
        if not taken:
            return Claim("busy", holder=row.holder)
    with store.session() as session:
        return Claim("held", session.get(PartitionRow, (source, stream, key)))


def _ours(row: PartitionRow, token: str):
    """The SQL condition "this partition, still under our lease": a lease taken over fails it."""
    return and_(
        PartitionRow.source == row.source,
        PartitionRow.stream == row.stream,
        PartitionRow.key == row.key,
        PartitionRow.token == token,
    )


def renew(session: Session, row: PartitionRow, token: str, ttl: timedelta) -> bool:
    """Extend our lease (inside a page's transaction); False when another attempt took it over."""
    now = utcnow()
    statement = update(PartitionRow).where(_ours(row, token)).values(expires_at=now + ttl, updated_at=now)
    # Core, on the session's connection: the ORM's bulk-update bookkeeping costs more than the update
    return bool(session.connection().execute(statement).rowcount)


def checkpoint(
    session: Session,
    row: PartitionRow,
    token: str,
    *,
    cursor: Any,
    covers: Iterable[str],
    fetched: int,
    pages: int = 1,
) -> None:
    """A committed page of a named partition (with the quiet pages before it): its cursor, the terms
    it covered, its counts."""
    covered = sorted(set(row.covered or ()) | set(covers)) if covers else row.covered
    row.cursor, row.covered = cursor, covered
    values: dict[str, Any] = {
        "pages": PartitionRow.pages + pages,
        "fetched": PartitionRow.fetched + fetched,
        "updated_at": utcnow(),
    }
    if row.key != WHOLE_STREAM:
        values.update(cursor=cursor, covered=covered)
    session.connection().execute(update(PartitionRow).where(_ours(row, token)).values(**values))


def release(store: Store, row: PartitionRow, token: str, *, done: bool, error: str | None = None) -> None:
    """Give the partition back: finished (`done`), or left for the next attempt with the reason."""
    with store.session() as session:
        session.execute(
            update(PartitionRow)
            .where(_ours(row, token))
            .values(done=done, token=None, expires_at=None, error=error, updated_at=utcnow())
        )


def of_stream(store: Store, source: str, stream: str) -> list[PartitionRow]:
    with store.session() as session:
        return list(
            session.scalars(
                select(PartitionRow)
                .where(PartitionRow.source == source, PartitionRow.stream == stream)
                .order_by(PartitionRow.key)
            )
        )


def of_run(store: Store, run_id: str) -> list[PartitionRow]:
    """The partitions a run is working on (or last worked on), for `runs show` while it runs."""
    with store.session() as session:
        return list(
            session.scalars(select(PartitionRow).where(PartitionRow.run_id == run_id).order_by(PartitionRow.key))
        )


def summary(rows: Iterable[PartitionRow]) -> dict[str, dict[str, Any]]:
    """What a run keeps of its partitions: key -> status, pages, fetched, worker, error."""
    return {
        (row.key or "(whole stream)"): {
            "status": "done" if row.done else ("failed" if row.error else "unfinished"),
            "pages": row.pages,
            "fetched": row.fetched,
            "worker": row.holder,
            "error": row.error,
        }
        for row in rows
    }


def lost(store: Store, source: str, stream: str, key: str, holder_gone: Callable[[str], bool]) -> bool:
    """The partition is held by an attempt that stopped renewing (or whose process died): lost with it."""
    with store.session() as session:
        row = session.get(PartitionRow, (source, stream, key))
    if row is None or row.done or row.token is None:
        return False
    expired = row.expires_at is not None and _aware(row.expires_at) < utcnow()
    return expired or (row.holder is not None and holder_gone(row.holder))


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
