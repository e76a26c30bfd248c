"""One issuer at a time per store: two `sync` processes must never sign the same records.

PostgreSQL: a session advisory lock, keyed by the schema, held on a connection of its own (a dead
process's connection closes and the lock goes with it). SQLite: a lease row with an expiry, renewed
while signing; a holder on this host whose process is gone is taken over at once.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from connector_core.store.database import Store
from connector_core.store.tables import IssuerLeaseRow, utcnow

LEASE = "issuer"
TTL = timedelta(minutes=2)


class IssuerBusy(Exception):
    """Another issuer kept the store for longer than we were willing to wait."""


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@contextmanager
def issuer_lock(store: Store, *, wait: float, poll: float = 0.2) -> Iterator[IssuerLease]:
    """Hold the store's issuer lock for the block; waits up to `wait` seconds, then IssuerBusy."""
    lease = _PostgresLock(store) if not store.is_sqlite else _LeaseRow(store)
    deadline = time.monotonic() + wait
    while not lease.try_acquire():
        if time.monotonic() >= deadline:
            holder = lease.holder()  # asked before close: on PostgreSQL it reads through the lease's connection
            lease.close()
            raise IssuerBusy(f"another issuer ({holder or 'unknown'}) is signing for this store")
        time.sleep(poll)
    try:
        yield lease
    finally:
        lease.release()


class IssuerLease:
    def try_acquire(self) -> bool:
        raise NotImplementedError

    def renew(self) -> None:
        """Called between batches of a long signing run."""

    def holder(self) -> str | None:
        return None

    def release(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Give up without having held the lock."""


class _PostgresLock(IssuerLease):
    """A session advisory lock named `name` in the store's schema (the issuer's, the scheduler's)."""

    def __init__(self, store: Store, name: str = LEASE) -> None:
        self.connection = store.engine.connect()
        schema = self.connection.execute(text("select current_schema()")).scalar() or ""
        digest = hashlib.sha256(f"lerconnect {name} {schema}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        self.connection.commit()

    def try_acquire(self) -> bool:
        got = bool(self.connection.execute(text("select pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        self.connection.commit()  # the lock is the session's, not the transaction's
        return got

    def holder(self) -> str | None:
        unsigned = self.key & 0xFFFFFFFFFFFFFFFF
        pid = self.connection.execute(
            text(
                "select pid from pg_locks where locktype = 'advisory' and granted and objsubid = 1 "
                "and classid = cast(:hi as oid) and objid = cast(:lo as oid)"
            ),
            {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
        ).scalar()
        self.connection.commit()
        return f"PostgreSQL backend pid {pid}" if pid else None

    def release(self) -> None:
        try:
            self.connection.execute(text("select pg_advisory_unlock(:k)"), {"k": self.key})
            self.connection.commit()
        finally:
            self.connection.close()

    def close(self) -> None:
        self.connection.close()


def advisory_lock(store: Store, name: str) -> IssuerLease:
    """PostgreSQL's session advisory lock `name` for this store: `try_acquire`, `holder`, `release`."""
    if store.is_sqlite:
        raise ValueError("advisory locks are PostgreSQL's; SQLite has none")
    return _PostgresLock(store, name)


class _LeaseRow(IssuerLease):
    def __init__(self, store: Store) -> None:
        self.store = store
        self.me = holder_name()

    def try_acquire(self) -> bool:
        now = utcnow()
        try:
            with self.store.session() as session:
                row = session.get(IssuerLeaseRow, LEASE)
                if row is None:
                    session.add(IssuerLeaseRow(name=LEASE, holder=self.me, expires_at=now + TTL))
                    return True
                if row.holder == self.me or row.expires_at < now or _gone(row.holder):
                    row.holder, row.expires_at = self.me, now + TTL
                    return True
                return False
        except (IntegrityError, OperationalError):  # a racing insert, or the database is busy
            return False

    def renew(self) -> None:
        with self.store.session() as session:
            session.execute(
                update(IssuerLeaseRow)
                .where(IssuerLeaseRow.name == LEASE, IssuerLeaseRow.holder == self.me)
                .values(expires_at=utcnow() + TTL)
            )

    def holder(self) -> str | None:
        try:
            with self.store.session() as session:
                return session.scalar(select(IssuerLeaseRow.holder).where(IssuerLeaseRow.name == LEASE))
        except OperationalError:
            return None

    def release(self) -> None:
        with self.store.session() as session:
            session.execute(
                delete(IssuerLeaseRow).where(IssuerLeaseRow.name == LEASE, IssuerLeaseRow.holder == self.me)
            )


def _gone(holder: str) -> bool:
    """A holder on this host whose process no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
