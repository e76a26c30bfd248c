"""Credentials, status lists and the audit ledger, as the issuing pipeline needs them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from connector_core.store import records
from connector_core.store.database import Store
from connector_core.store.tables import (
    AuditRow,
    CredentialRow,
    LearnerRow,
    RecordRow,
    StatusListRow,
    utcnow,
)

LIST_SIZE = 131_072


def current_list(session: Session, base_url: str, size: int = LIST_SIZE) -> StatusListRow:
    """The newest status list under `base_url` with room left, created when there is none.

    Two issuers may both find none and both create one: the URL is unique, so the loser's insert
    fails inside a savepoint and it takes the winner's list.
    """
    prefix = base_url.rstrip("/") + "/"
    while True:
        row = session.scalars(
            select(StatusListRow)
            .where(StatusListRow.url.startswith(prefix), StatusListRow.allocated < StatusListRow.size)
            .order_by(StatusListRow.id.desc())
        ).first()
        if row is not None:
            return row
        count = session.scalar(select(func.count()).select_from(StatusListRow)) or 0
        try:
            with session.begin_nested():
                row = StatusListRow(
                    url=f"{prefix}{count + 1}", size=size, seed=os.urandom(16).hex(), bits=bytes(size // 8)
                )
                session.add(row)
            return row
        except IntegrityError:
            continue


def reserve(store: Store, base_url: str, count: int) -> list[tuple[StatusListRow, int]]:
    """Reserve `count` allocation counters, atomically: concurrent issuers never get the same one.

    Returns (list, counter) pairs; the caller turns counters into indexes with the list's seed.
    A reservation that is never used is simply skipped: indexes are never reused.
    """
    out: list[tuple[StatusListRow, int]] = []
    while len(out) < count:
        with store.session() as session:
            row = current_list(session, base_url)
            want = min(count - len(out), row.size - row.allocated)
            reached = session.execute(
                update(StatusListRow)
                .where(StatusListRow.id == row.id, StatusListRow.allocated + want <= StatusListRow.size)
                .values(allocated=StatusListRow.allocated + want)
                .returning(StatusListRow.allocated)
            ).scalar()
            if reached is None:
                continue  # another issuer filled it between our read and update: take the next list
            out.extend((row, counter) for counter in range(reached - want, reached))
    return out


def set_revoked(session: Session, list_id: int, index: int) -> None:
    row = session.get(StatusListRow, list_id, with_for_update=True)
    bits = bytearray(row.bits)
    bits[index // 8] |= 1 << (7 - index % 8)
    row.bits = bytes(bits)
    row.updated_at = utcnow()


def status_lists(store: Store) -> list[StatusListRow]:
    with store.session() as session:
        return list(session.scalars(select(StatusListRow).order_by(StatusListRow.id)))


def count_held_records(session: Session, held: set[str]) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(RecordRow)
            .where(RecordRow.status == "active", RecordRow.learner_key.in_(held))
        )
        or 0
    )


def records_to_issue(
    store: Store, held: set[str], statuses: tuple[str, ...], batch: int = 500
) -> Iterator[list[RecordRow]]:
    """Active records with a result status that earns a credential and no live one yet, in batches,
    leaving out held learners and records whose fact another provenance speaks for."""
    last = 0
    while True:
        live = select(CredentialRow.record_id).where(
            CredentialRow.status == "active", CredentialRow.record_id.is_not(None)
        )
        with store.session() as session:
            rows = list(
                session.scalars(
                    select(RecordRow)
                    .where(
                        RecordRow.status == "active",
                        RecordRow.id > last,
                        RecordRow.result_status.in_(statuses),
                        RecordRow.id.not_in(live),
                    )
                    .order_by(RecordRow.id)
                    .limit(batch)
                )
            )
            speakers = records.fact_speakers(session, rows)  # one credential per learner, achievement, term
        if not rows:
            return
        last = rows[-1].id
        kept = [r for r in rows if r.learner_key not in held and speakers[records.fact(r)].id == r.id]
        if kept:
            yield kept


def credentials_to_revoke(store: Store) -> list[tuple[CredentialRow, str]]:
    """Live achievement credentials, with the reason, whose record was superseded or withdrawn at the
    source, or whose fact (learner, achievement, term) another provenance now speaks for."""
    with store.session() as session:
        ended = [
            (credential, record.ended_reason or record.status)
            for credential, record in session.execute(
                select(CredentialRow, RecordRow)
                .join(RecordRow, RecordRow.id == CredentialRow.record_id)
                .where(CredentialRow.status == "active", RecordRow.status != "active")
            )
        ]
        silent = records.silent_provenances(session)
        merged = [
            (
                credential,
                f"merged: record {silent[credential.record_id].id} of {silent[credential.record_id].source} "
                "now speaks for this learner, achievement and term",
            )
            for credential in session.scalars(
                select(CredentialRow).where(CredentialRow.status == "active", CredentialRow.record_id.in_(silent))
            )
        ]
        return ended + merged


def replaced_credential(session: Session, record: RecordRow) -> str | None:
    """The credential of the record this one replaces, if it had one."""
    if record.replaces_id is None:
        return None
    return session.scalar(
        select(CredentialRow.id)
        .where(CredentialRow.record_id == record.replaces_id)
        .order_by(CredentialRow.issued_at.desc())
    )


def revoke(session: Session, credential_id: str, reason: str, run_id: str | None) -> CredentialRow | None:
    """Mark revoked and set its status bit; None if it was not live (idempotent)."""
    row = session.get(CredentialRow, credential_id)
    if row is None or row.status != "active":
        return None
    row.status, row.revoked_at, row.revoke_reason = "revoked", utcnow(), reason
    set_revoked(session, row.status_list_id, row.status_index)
    session.add(_audit("revoke", row, reason, run_id))
    return row


def _audit(action: str, row: CredentialRow, reason: str, run_id: str | None) -> AuditRow:
    return AuditRow(
        action=action,
        credential_id=row.id,
        learner_key=row.learner_key,
        record_id=row.record_id,
        reason=reason,
        run_id=run_id,
    )


def add_credentials(session: Session, rows: list[tuple[CredentialRow, str]]) -> list[CredentialRow]:
    """Store signed credentials, each with its audit reason, except ids already stored (a rerun,
    a double delivery); returns those stored. One query for the whole batch."""
    known = set(session.scalars(select(CredentialRow.id).where(CredentialRow.id.in_([r.id for r, _ in rows]))))
    added = []
    for row, reason in rows:
        if row.id in known:
            continue
        known.add(row.id)
        session.add_all((row, _audit("replace" if row.replaces else "issue", row, reason, row.issued_run_id)))
        added.append(row)
    return added


@dataclass(frozen=True)
class LearnerCredentials:
    learner: LearnerRow
    achievement_ids: list[str]
    clr_id: str | None


def learners_with_credentials(store: Store, held: set[str]) -> Iterator[LearnerCredentials]:
    """Each learner with live achievement credentials, their ids, and their live CLR if any."""
    with store.session() as session:
        ids: dict[str, list[str]] = {}
        for key, cred_id in session.execute(
            select(CredentialRow.learner_key, CredentialRow.id)
            .where(CredentialRow.kind == "achievement", CredentialRow.status == "active")
            .order_by(CredentialRow.learner_key, CredentialRow.id)
        ):
            ids.setdefault(key, []).append(cred_id)
        clrs = dict(  # ids only: a CLR document embeds every credential of its learner
            session.execute(
                select(CredentialRow.learner_key, CredentialRow.id).where(
                    CredentialRow.kind == "clr", CredentialRow.status == "active"
                )
            ).all()
        )
        keys = set(ids) | set(clrs)
        learners = {row.key: row for row in session.scalars(select(LearnerRow).where(LearnerRow.key.in_(keys)))}
    for key in sorted(keys):
        if key in held or key not in learners:
            continue
        yield LearnerCredentials(learners[key], ids.get(key, []), clrs.get(key))


def iter_documents(store: Store, *, run_id: str | None, limit: int | None = None, batch: int = 1000) -> Iterator[dict]:
    """Live credentials a run issued, a batch at a time, so memory stays flat however many there are."""
    last, given = "", 0
    while limit is None or given < limit:
        query = select(CredentialRow.id, CredentialRow.document).where(
            CredentialRow.status == "active", CredentialRow.id > last
        )
        if run_id:
            query = query.where(CredentialRow.issued_run_id == run_id)
        with store.session() as session:
            rows = session.execute(query.order_by(CredentialRow.id).limit(batch)).all()
        if not rows:
            return
        for credential_id, document in rows[: None if limit is None else limit - given]:
            last, given = credential_id, given + 1
            yield document
        last = rows[-1][0]


def documents(store: Store, credential_ids: list[str]) -> list[dict]:
    with store.session() as session:
        rows = {
            r.id: r.document for r in session.scalars(select(CredentialRow).where(CredentialRow.id.in_(credential_ids)))
        }
    return [rows[i] for i in credential_ids]


def records_by_credential(store: Store, credential_ids: list[str]) -> list[RecordRow]:
    with store.session() as session:
        return list(
            session.scalars(
                select(RecordRow).join(
                    CredentialRow, and_(CredentialRow.record_id == RecordRow.id, CredentialRow.id.in_(credential_ids))
                )
            )
        )


def list_credentials(
    store: Store,
    *,
    status: str | None = None,
    kind: str | None = None,
    learner: str | None = None,
    run_id: str | None = None,
    limit: int | None = None,
) -> list[CredentialRow]:
    query = select(CredentialRow).order_by(CredentialRow.issued_at, CredentialRow.id)
    if run_id:
        query = query.where(CredentialRow.issued_run_id == run_id)
    if status:
        query = query.where(CredentialRow.status == status)
    if kind:
        query = query.where(CredentialRow.kind == kind)
    if learner:
        query = query.where(CredentialRow.learner_key == learner)
    if limit:
        query = query.limit(limit)
    with store.session() as session:
        return list(session.scalars(query))


def get_credential(store: Store, credential_id: str) -> CredentialRow | None:
    with store.session() as session:
        row = session.get(CredentialRow, credential_id)
        if row is None:
            row = session.scalars(select(CredentialRow).where(CredentialRow.id.endswith(credential_id))).first()
        return row


def revoke_by_hand(store: Store, credential_id: str, reason: str) -> CredentialRow | None:
    with store.session() as session:
        return revoke(session, credential_id, reason, None)


def audit_entries(store: Store, credential_id: str | None = None) -> list[AuditRow]:
    query = select(AuditRow).order_by(AuditRow.id)
    if credential_id:
        query = query.where(AuditRow.credential_id == credential_id)
    with store.session() as session:
        return list(session.scalars(query))


def counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {
            f"{kind}:{status}": n
            for kind, status, n in session.execute(
                select(CredentialRow.kind, CredentialRow.status, func.count()).group_by(
                    CredentialRow.kind, CredentialRow.status
                )
            )
        }
