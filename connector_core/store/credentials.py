"""Credentials, status lists and the audit ledger, as the issuing pipeline needs them."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from connector_core.store import records
from connector_core.store.batches import IN_LIMIT, chunks
from connector_core.store.database import Store
from connector_core.store.tables import (
    AuditRow,
    CredentialRow,
    LearnerRow,
    RecordRow,
    StatusListRow,
    StreamStateRow,
    SyncRunRow,
    WithheldRecordRow,
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


@dataclass(frozen=True)
class HoldGate:
    """Streams that flag FERPA holds, and how far their completed passes reach.

    A record stored after `cutoff` (or any record, when a hold-flagging stream has never completed
    a pass) waits: the hold that would stop it may be in the pass that has not finished yet.
    """

    waiting_for: tuple[str, ...] = ()
    cutoff: datetime | None = None
    closed: bool = False
    completed_at: tuple[datetime | None, ...] = ()  # each stream's last completed pass, as `waiting_for`

    def describe(self, waiting: int) -> str:
        """Why `waiting` records are kept back: which passes they wait for, and where those stand."""
        last = ", ".join(
            f"{name}: {f'{moment:%Y-%m-%d %H:%M:%S} UTC' if moment else 'never'}"
            for name, moment in zip(self.waiting_for, self.completed_at, strict=True)
        )
        verb = "waits" if waiting == 1 else "wait"
        return (
            f"{records_text(waiting)} {verb} for {' and '.join(self.waiting_for)} to complete a pass "
            f"({'its' if len(self.waiting_for) == 1 else 'their'} last completed {last}): "
            "a hold in that pass would stop them"
        )


def records_text(count: int) -> str:
    return f"{count} record{'' if count == 1 else 's'}"


def hold_gate(session: Session, night: Collection[str] = ()) -> HoldGate:
    """The gate as the store's stream states say: open when no stream flags holds.

    `night` is the ids of the sync runs issuing follows. A hold-flagging stream whose pass one of
    them completed covers every record the night stored, up to the night's last finished run: the
    night's other sources need not run before it, nor wait a day for its next pass. A stream the
    night did not complete (not run, failed, killed) covers only what was stored before its last
    completed pass.
    """
    states = list(session.scalars(select(StreamStateRow).where(StreamStateRow.flags_holds.is_(True))))
    if not states:
        return HoldGate()
    names = tuple(f"{s.source}/{s.stream}" for s in states)
    completed = tuple(s.pass_completed_at for s in states)
    if any(moment is None for moment in completed):
        return HoldGate(names, None, closed=True, completed_at=completed)
    runs = (
        session.execute(
            select(SyncRunRow.source, SyncRunRow.stream, SyncRunRow.started_at, SyncRunRow.finished_at).where(
                SyncRunRow.id.in_(list(night))
            )
        ).all()
        if night
        else []
    )
    night_end = max((run.finished_at for run in runs if run.finished_at is not None), default=None)

    def reach(state: StreamStateRow) -> datetime:
        done_tonight = any(
            (run.source, run.stream) == (state.source, state.stream) and state.pass_completed_at >= run.started_at
            for run in runs
        )
        return max(night_end, state.pass_completed_at) if done_tonight and night_end else state.pass_completed_at

    return HoldGate(names, min(reach(s) for s in states), completed_at=completed)


def _waiting(gate: HoldGate):
    """The SQL condition of records the gate keeps back (None when it keeps none)."""
    if gate.closed:
        return RecordRow.id.is_not(None)
    if gate.cutoff is not None:
        return RecordRow.created_at > gate.cutoff
    return None


def _withheld():
    return exists().where(
        WithheldRecordRow.kind == "achievement",
        WithheldRecordRow.source == RecordRow.source,
        WithheldRecordRow.stream == RecordRow.stream,
        WithheldRecordRow.source_record_id == RecordRow.source_record_id,
    )


def _unissued(statuses: tuple[str, ...]):
    # NOT EXISTS, probing ix_credential_record per record: NOT IN (every live credential) was
    # materialized again by each batch's query, a cost that grew with the store every night
    live = exists().where(CredentialRow.record_id == RecordRow.id, CredentialRow.status == "active")
    return and_(RecordRow.status == "active", RecordRow.result_status.in_(statuses), ~live)


@dataclass(frozen=True)
class Backlog:
    """Records that would earn a credential but are kept back, by why."""

    ferpa: int = 0  # the learner has a FERPA hold
    review: int = 0  # the learner's identity awaits review
    waiting: int = 0  # neither, but the hold gate keeps it back until a hold-flagging pass completes
    withheld: int = 0  # revoked by hand, until reinstated

    @property
    def held(self) -> int:
        return self.ferpa + self.review + self.waiting


def backlog(
    session: Session, held: set[str], statuses: tuple[str, ...], gate: HoldGate, review: set[str] = frozenset()
) -> Backlog:
    """The records kept back, by why; `review` are the `held` learners whose identity awaits review."""

    def count(*conditions) -> int:
        return session.scalar(select(func.count()).select_from(RecordRow).where(_unissued(statuses), *conditions)) or 0

    waiting = _waiting(gate)
    kept = RecordRow.learner_key.in_(held)
    return Backlog(
        ferpa=count(~_withheld(), RecordRow.learner_key.in_(held - review)),
        review=count(~_withheld(), RecordRow.learner_key.in_(review & held)),
        waiting=0 if waiting is None else count(~_withheld(), ~kept, waiting),
        withheld=count(_withheld()),
    )


def count_records_to_issue(store: Store, held: set[str], statuses: tuple[str, ...]) -> int:
    """At most how many records `records_to_issue` will yield (a progress bar's total): records whose
    fact another provenance speaks for are counted here and left out there."""
    query = select(func.count()).select_from(RecordRow).where(_unissued(statuses))
    if held:
        query = query.where(RecordRow.learner_key.not_in(held))
    with store.session() as session:
        return session.scalar(query) or 0


def records_to_issue(
    store: Store,
    held: set[str],
    statuses: tuple[str, ...],
    batch: int = 500,
    *,
    gate: HoldGate = HoldGate(),
    learners: set[str] | None = None,
) -> Iterator[list[RecordRow]]:
    """Active records with a result status that earns a credential and no live one yet, in batches,
    leaving out held learners, records the hold gate keeps back, records withheld by hand and records
    whose fact (learner, achievement, term) another provenance speaks for."""
    last = 0
    waiting = _waiting(gate)
    while True:
        # the facts first, whole rows only for the records kept: a provenance another one speaks for
        # stays unissued, and would otherwise be read (and its data unpacked) again every night
        query = select(*records.FACT_COLUMNS).where(RecordRow.id > last, _unissued(statuses), ~_withheld())
        if waiting is not None:
            query = query.where(~waiting)
        if learners is not None:
            query = query.where(RecordRow.learner_key.in_(learners))
        with store.session() as session:
            rows = session.execute(query.order_by(RecordRow.id).limit(batch)).all()
            speakers = records.fact_speakers(session, rows)  # one credential per learner, achievement, term
            ids = [r.id for r in rows if r.learner_key not in held and speakers[records.fact(r)].id == r.id]
            kept = list(session.scalars(select(RecordRow).where(RecordRow.id.in_(ids)).order_by(RecordRow.id)))
        if not rows:
            return
        last = rows[-1].id
        if kept:
            yield kept


def records_still_to_issue(store: Store, ids: list[int], statuses: tuple[str, ...]) -> list[RecordRow]:
    """Of these records (a signing task's batch), those still active, earning a credential and without
    a live one: what another delivery of the same task already signed is left out."""
    if not ids:
        return []
    with store.session() as session:
        query = select(RecordRow).where(RecordRow.id.in_(ids), _unissued(statuses), ~_withheld())
        return list(session.scalars(query.order_by(RecordRow.id)))


def issue_numbers(session: Session, rows: list[RecordRow]) -> dict[int, int]:
    """How many credentials each record's identity (source, stream, record id) has had before.

    Part of a re-issued credential's id: a grade that goes A → B → A gets a new live credential,
    not the id of the revoked one; a crashed batch's rerun counts the same and gets the same ids.
    """
    earlier: dict[tuple[str, str, str], int] = {}
    for source, stream, record_id, n in session.execute(
        select(RecordRow.source, RecordRow.stream, RecordRow.source_record_id, func.count(CredentialRow.id))
        .join(CredentialRow, CredentialRow.record_id == RecordRow.id)
        .where(RecordRow.source_record_id.in_({r.source_record_id for r in rows}))
        .group_by(RecordRow.source, RecordRow.stream, RecordRow.source_record_id)
    ):
        earlier[(source, stream, record_id)] = n
    return {r.id: earlier.get((r.source, r.stream, r.source_record_id), 0) for r in rows}


def clr_numbers(session: Session, learner_keys: Iterable[str]) -> dict[str, int]:
    """How many CLRs each learner has had (0 when none): part of a new CLR's id, so a reinstated one is new too."""
    keys = set(learner_keys)
    if not keys:
        return {}
    query = (
        select(CredentialRow.learner_key, func.count())
        .where(CredentialRow.kind == "clr", CredentialRow.learner_key.in_(keys))
        .group_by(CredentialRow.learner_key)
    )
    counts = {key: 0 for key in keys}
    counts.update({key: n for key, n in session.execute(query)})
    return counts


def embeds_digest(credential_ids: Iterable[str]) -> str:
    """What a CLR embeds, independent of who signed it: a key rotation alone changes nothing."""
    return hashlib.sha256("\n".join(sorted(credential_ids)).encode()).hexdigest()


def live_credentials_of(store: Store, learners: set[str]) -> list[tuple[str, str]]:
    """(id, learner key) of live credentials of these learners, achievements first (their CLR follows)."""
    if not learners:
        return []
    with store.session() as session:
        return list(
            session.execute(
                select(CredentialRow.id, CredentialRow.learner_key)
                .where(CredentialRow.status == "active", CredentialRow.learner_key.in_(learners))
                .order_by(CredentialRow.kind, CredentialRow.id)
            )
        )


def credentials_to_revoke(
    store: Store, learners: set[str] | None = None, batch: int = IN_LIMIT
) -> Iterator[tuple[CredentialRow, str]]:
    """Live achievement credentials (of `learners`, or everyone), with the reason, whose record was
    superseded or withdrawn at the source, or whose fact (learner, achievement, term) another
    provenance now speaks for. `batch` learners at a time: never the campus's in memory."""
    batches = records.learner_batches(store, batch) if learners is None else chunks(sorted(learners), batch)
    for batch in batches:
        yield from _to_revoke_of(store, batch)


def _to_revoke_of(store: Store, learners: list[str]) -> list[tuple[CredentialRow, str]]:
    live = and_(CredentialRow.status == "active", CredentialRow.learner_key.in_(learners))
    ended_query = (
        select(CredentialRow, RecordRow)
        .join(RecordRow, RecordRow.id == CredentialRow.record_id)
        .where(live, RecordRow.status != "active")
    )
    with store.session() as session:
        ended = [
            (credential, record.ended_reason or record.status) for credential, record in session.execute(ended_query)
        ]
        silent = records.silent_provenances(session, learners)
        merged = [
            (
                credential,
                f"merged: record {silent[credential.record_id].id} of {silent[credential.record_id].source} "
                "now speaks for this learner, achievement and term",
            )
            for chunk in chunks(sorted(silent))
            for credential in session.scalars(select(CredentialRow).where(live, CredentialRow.record_id.in_(chunk)))
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


def _audit_entry(action: str, row: CredentialRow, reason: str, run_id: str | None) -> dict[str, Any]:
    """The audit ledger's columns for `action` on `row` (all but the moment)."""
    return {
        "action": action,
        "credential_id": row.id,
        "learner_key": row.learner_key,
        "record_id": row.record_id,
        "reason": reason,
        "run_id": run_id,
    }


def _audit(action: str, row: CredentialRow, reason: str, run_id: str | None) -> AuditRow:
    return AuditRow(**_audit_entry(action, row, reason, run_id))


def add_credentials(session: Session, rows: list[tuple[CredentialRow, str]]) -> list[CredentialRow]:
    """Store signed credentials, each with its audit reason, except ids already stored (a rerun,
    a double delivery); returns those stored. A few statements for the whole batch: Core inserts,
    since building and flushing two ORM objects per credential cost more than the inserts."""
    known = set(session.scalars(select(CredentialRow.id).where(CredentialRow.id.in_([r.id for r, _ in rows]))))
    added: list[tuple[CredentialRow, str]] = []
    for row, reason in rows:
        if row.id not in known:
            known.add(row.id)
            added.append((row, reason))
    if not added:
        return []
    session.flush()  # what the session holds (a revocation this batch makes) goes first, as it always did
    columns = CredentialRow.__table__.columns.keys()
    at = utcnow()
    connection = session.connection()
    connection.execute(insert(CredentialRow.__table__), [{c: getattr(row, c) for c in columns} for row, _ in added])
    ledger = [
        {**_audit_entry("replace" if row.replaces else "issue", row, reason, row.issued_run_id), "at": at}
        for row, reason in added
    ]
    connection.execute(insert(AuditRow.__table__), ledger)
    return [row for row, _ in added]


@dataclass(frozen=True)
class LearnerCredentials:
    learner: LearnerRow
    achievement_ids: list[str]
    clr_id: str | None
    clr_embeds: str | None = None
    clr_withheld: bool = False


def learners_with_credentials(
    store: Store, held: set[str], learners: set[str] | None = None, batch: int = 500
) -> Iterator[LearnerCredentials]:
    """Each learner with live achievement credentials, their ids, and their live CLR if any.

    In learner-key order, `batch` learners at a time: memory stays flat however large the campus.
    """
    last = ""
    while True:
        page = (
            select(CredentialRow.learner_key)
            .where(CredentialRow.status == "active", CredentialRow.learner_key > last)
            .group_by(CredentialRow.learner_key)
            .order_by(CredentialRow.learner_key)
            .limit(batch)
        )
        if learners is not None:
            page = page.where(CredentialRow.learner_key.in_(learners))
        with store.session() as session:
            keys = list(session.scalars(page))
            if not keys:
                return
            found = _credentials_of(session, keys)
        last = keys[-1]
        for key in keys:
            if key not in held and found.get(key) is not None:
                yield found[key]


def _credentials_of(session: Session, keys: list[str]) -> dict[str, LearnerCredentials]:
    ids: dict[str, list[str]] = {}
    achievements = select(CredentialRow.learner_key, CredentialRow.id).where(
        CredentialRow.kind == "achievement", CredentialRow.status == "active", CredentialRow.learner_key.in_(keys)
    )
    for key, cred_id in session.execute(achievements.order_by(CredentialRow.learner_key, CredentialRow.id)):
        ids.setdefault(key, []).append(cred_id)
    # ids only: a CLR document embeds every credential of its learner
    clr_query = select(CredentialRow.learner_key, CredentialRow.id, CredentialRow.embeds).where(
        CredentialRow.kind == "clr", CredentialRow.status == "active", CredentialRow.learner_key.in_(keys)
    )
    clrs = {key: (cred_id, embeds) for key, cred_id, embeds in session.execute(clr_query)}
    rows = {row.key: row for row in session.scalars(select(LearnerRow).where(LearnerRow.key.in_(keys)))}
    withheld = set(
        session.scalars(
            select(WithheldRecordRow.learner_key).where(
                WithheldRecordRow.kind == "clr", WithheldRecordRow.learner_key.in_(keys)
            )
        )
    )
    found = {}
    for key in keys:
        if key in rows:
            clr_id, embeds = clrs.get(key, (None, None))
            found[key] = LearnerCredentials(rows[key], ids.get(key, []), clr_id, embeds, key in withheld)
    return found


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


def issued_ids(store: Store, run_id: str | None, batch: int = 5000) -> Iterator[str]:
    """Ids of the live credentials a run issued (every live one without a run), in id order, streamed."""
    last = ""
    while True:
        query = select(CredentialRow.id).where(CredentialRow.status == "active", CredentialRow.id > last)
        if run_id:
            query = query.where(CredentialRow.issued_run_id == run_id)
        with store.session() as session:
            ids = list(session.scalars(query.order_by(CredentialRow.id).limit(batch)))
        if not ids:
            return
        yield from ids
        last = ids[-1]


def documents(store: Store, credential_ids: list[str]) -> list[dict]:
    """The documents of these credentials, in the order asked."""
    query = select(CredentialRow.id, CredentialRow.document)
    with store.session() as session:
        rows = {
            credential_id: document
            for chunk in chunks(credential_ids)
            for credential_id, document in session.execute(query.where(CredentialRow.id.in_(chunk)))
        }
    return [rows[i] for i in credential_ids]


def records_by_credential(store: Store, credential_ids: list[str]) -> dict[str, RecordRow]:
    """The record each of these (achievement) credentials was issued for, by credential id."""
    if not credential_ids:
        return {}
    query = select(CredentialRow.id, RecordRow).join(RecordRow, CredentialRow.record_id == RecordRow.id)
    with store.session() as session:
        return {
            cid: row
            for chunk in chunks(credential_ids)
            for cid, row in session.execute(query.where(CredentialRow.id.in_(chunk)))
        }


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


def find_credentials(store: Store, text: str, limit: int = 2) -> list[CredentialRow]:
    """The credential with this id, else those whose id (or its uuid part) starts with `text`."""
    with store.session() as session:
        row = session.get(CredentialRow, text)
        if row is not None:
            return [row]
        prefix = CredentialRow.id.startswith(text) | CredentialRow.id.startswith(f"urn:uuid:{text}")
        return list(session.scalars(select(CredentialRow).where(prefix).limit(limit)))


class NotWithheld(LookupError):
    """Reinstate was asked for a credential whose record is not withheld."""


def revoke_by_hand(store: Store, credential_id: str, reason: str) -> CredentialRow | None:
    """Revoke, and withhold what it was issued for until someone reinstates it (None if not live)."""
    with store.session() as session:
        row = revoke(session, credential_id, reason, None)
        if row is None:
            return None
        decision = WithheldRecordRow(
            kind=row.kind, subject=row.learner_key, learner_key=row.learner_key, credential_id=row.id, reason=reason
        )
        record = session.get(RecordRow, row.record_id) if row.record_id is not None else None
        if record is not None:
            decision.subject = f"{record.source}/{record.stream}/{record.source_record_id}"
            decision.source, decision.stream = record.source, record.stream
            decision.source_record_id = record.source_record_id
        known = session.scalar(
            select(WithheldRecordRow).where(
                WithheldRecordRow.kind == decision.kind, WithheldRecordRow.subject == decision.subject
            )
        )
        if known is None:
            session.add(decision)
        return row


def reinstate(store: Store, credential_id: str, reason: str) -> WithheldRecordRow:
    """Lift the decision a revocation by hand made; the next issuing signs a new credential."""
    with store.session() as session:
        decision = session.scalar(select(WithheldRecordRow).where(WithheldRecordRow.credential_id == credential_id))
        if decision is None:
            raise NotWithheld(
                f"{credential_id} was not revoked by hand (or is already reinstated): nothing to reinstate"
            )
        credential = session.get(CredentialRow, credential_id)
        session.delete(decision)
        session.add(_audit("reinstate", credential, reason, None))
        return decision


def withheld(store: Store) -> list[WithheldRecordRow]:
    with store.session() as session:
        return list(session.scalars(select(WithheldRecordRow).order_by(WithheldRecordRow.id)))


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


def unpublished(store: Store) -> list[StatusListRow]:
    """Status lists whose bits changed since they were last signed and written."""
    return [row for row in status_lists(store) if row.published_digest != bits_digest(row.bits)]


def bits_digest(bits: bytes) -> str:
    return hashlib.sha256(bits).hexdigest()


def mark_published(store: Store, digests: dict[int, str]) -> None:
    with store.session() as session:
        for list_id, digest in digests.items():
            session.execute(update(StatusListRow).where(StatusListRow.id == list_id).values(published_digest=digest))


def known_ids(session: Session, ids: list[str]) -> set[str]:
    return set(session.scalars(select(CredentialRow.id).where(CredentialRow.id.in_(ids)))) if ids else set()
