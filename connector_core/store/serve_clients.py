"""The issuer API's OAuth clients and access tokens. Only digests of secrets are stored: a stolen
database copy holds no usable client secret or token."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from connector_core.store.database import Store
from connector_core.store.tables import ServeClientRow, ServeTokenRow, utcnow


@dataclass(frozen=True)
class Grant:
    """Who a valid token speaks for, and what it may do."""

    client_id: str
    scopes: frozenset[str]


def add_client(store: Store, client_id: str, name: str, secret_digest: str, scopes: Iterable[str]) -> ServeClientRow:
    row = ServeClientRow(id=client_id, name=name, secret_digest=secret_digest, scopes=sorted(set(scopes)))
    with store.session() as session:
        session.add(row)
    return row


def clients(store: Store, *, include_removed: bool = False) -> list[ServeClientRow]:
    query = select(ServeClientRow).order_by(ServeClientRow.created_at)
    if not include_removed:
        query = query.where(ServeClientRow.removed_at.is_(None))
    with store.session() as session:
        return list(session.scalars(query))


def client(store: Store, client_id: str) -> ServeClientRow | None:
    """A live (not removed) client by id."""
    with store.session() as session:
        row = session.get(ServeClientRow, client_id)
        return row if row is not None and row.removed_at is None else None


def remove_client(store: Store, client_id: str) -> bool:
    """Remove a client and delete its tokens at once; False if there was no such live client."""
    with store.session() as session:
        row = session.get(ServeClientRow, client_id)
        if row is None or row.removed_at is not None:
            return False
        row.removed_at = utcnow()
        session.execute(delete(ServeTokenRow).where(ServeTokenRow.client_id == client_id))
    return True


def add_token(store: Store, digest: str, client_id: str, scopes: Iterable[str], lifetime: timedelta) -> datetime:
    """Keep a new token's digest; expired tokens of every client are deleted on the way."""
    now = utcnow()
    expires = now + lifetime
    with store.session() as session:
        session.execute(delete(ServeTokenRow).where(ServeTokenRow.expires_at <= now))
        session.add(ServeTokenRow(digest=digest, client_id=client_id, scopes=sorted(set(scopes)), expires_at=expires))
    return expires


def grant(store: Store, digest: str) -> Grant | None:
    """What the token with this digest may do, if it is known, unexpired and its client not removed.

    The digest is the primary key: the lookup compares digests, never the tokens themselves.
    """
    with store.session() as session:
        found = session.execute(
            select(ServeTokenRow.client_id, ServeTokenRow.scopes, ServeTokenRow.expires_at)
            .join(ServeClientRow, ServeClientRow.id == ServeTokenRow.client_id)
            .where(ServeTokenRow.digest == digest, ServeClientRow.removed_at.is_(None))
        ).first()
    if found is None:
        return None
    client_id, scopes, expires = found
    if _aware(expires) <= utcnow():
        return None
    return Grant(client_id, frozenset(scopes))


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
