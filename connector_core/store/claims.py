"""Claim links, claim-page sessions, wallet offers and holder-bound credentials, as delivery needs them.

Every secret (claim token, session cookie, exchange id, pre-authorized code, access token) arrives
here already hashed; single use is one conditional UPDATE, so two requests racing for the same
token cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Select, bindparam, insert, literal, select, update
from sqlmodel import Session

from connector_core.store.batches import chunks
from connector_core.store.database import Store
from connector_core.store.tables import (
    AuditRow,
    BoundCredentialRow,
    ClaimItemRow,
    ClaimLinkRow,
    ClaimSessionRow,
    CredentialRow,
    LearnerRow,
    WalletNonceRow,
    WalletOfferRow,
)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC times; compare them as aware ones."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _existing(session: Session, column, values: list[str]) -> set[str]:
    return {v for chunk in chunks(values) for v in session.scalars(select(column).where(column.in_(chunk)))}


def queue(store: Store, items: Iterable[tuple[str, str, str | None]]) -> int:
    """Queue (credential id, learner key, run id) for announcement; a credential already queued stays once."""
    items = list(items)
    if not items:
        return 0
    with store.session() as session:
        ids = [i[0] for i in items]
        known = _existing(session, ClaimItemRow.credential_id, ids)
        stored = _existing(session, CredentialRow.id, ids)
        fresh = {cid: (learner, run) for cid, learner, run in items if cid in stored and cid not in known}
        if fresh:
            now = datetime.now(UTC)
            session.execute(
                insert(ClaimItemRow.__table__),
                [{"credential_id": c, "learner_key": k, "run_id": r, "queued_at": now} for c, (k, r) in fresh.items()],
            )
    return len(fresh)


def queue_issued(store: Store, run_id: str) -> int:
    """Queue every live credential the run issued and no claim item holds yet: one statement in the
    database, however many the night signed and on whichever process signed them."""
    queued_at = ClaimItemRow.__table__.c.queued_at
    chosen = select(
        CredentialRow.id,
        CredentialRow.learner_key,
        CredentialRow.issued_run_id,
        literal(datetime.now(UTC), queued_at.type),
    ).where(
        CredentialRow.issued_run_id == run_id,
        CredentialRow.status == "active",
        CredentialRow.id.not_in(select(ClaimItemRow.credential_id)),
    )
    columns = ["credential_id", "learner_key", "run_id", "queued_at"]
    with store.session() as session:
        return session.execute(insert(ClaimItemRow.__table__).from_select(columns, chosen)).rowcount


def _pending(query: Select, learners: Iterable[str] | None) -> Select:
    """`query` narrowed to what waits: live queued credentials no sent claim link announced yet."""
    query = (
        query.join(CredentialRow, CredentialRow.id == ClaimItemRow.credential_id)
        .outerjoin(ClaimLinkRow, ClaimLinkRow.id == ClaimItemRow.claim_id)
        .where(CredentialRow.status == "active", (ClaimItemRow.claim_id.is_(None)) | ClaimLinkRow.sent_at.is_(None))
    )
    return query if learners is None else query.where(ClaimItemRow.learner_key.in_(learners))


def pending_learners(store: Store, learners: Iterable[str] | None = None) -> list[str]:
    """The learners (of `learners`, or everyone) `pending` has something for, in key order."""
    query = _pending(select(ClaimItemRow.learner_key).distinct(), learners).order_by(ClaimItemRow.learner_key)
    with store.session() as session:
        return list(session.scalars(query))


def pending(store: Store, learners: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Learner key -> the still-live queued credentials no sent claim link has announced yet."""
    query = _pending(select(ClaimItemRow.learner_key, ClaimItemRow.credential_id), learners)
    out: dict[str, list[str]] = {}
    with store.session() as session:
        for learner, credential in session.execute(
            query.order_by(ClaimItemRow.learner_key, ClaimItemRow.credential_id)
        ):
            out.setdefault(learner, []).append(credential)
    return out


def new_links(
    store: Store,
    links: list[tuple[str, str, list[str]]],
    expires_at: datetime,
    sink: str,
    run_id: str | None = None,
) -> dict[str, int]:
    """Claim links, one per (learner key, token hash, credential ids), in one transaction: learner -> link id.

    The queued credentials are attached to their learner's new link.
    """
    if not links:
        return {}
    now = datetime.now(UTC)
    link_table, item_table = ClaimLinkRow.__table__, ClaimItemRow.__table__
    with store.session() as session:  # Core executemany: an ORM round per learner costs 3 ms
        session.execute(
            insert(link_table),
            [
                {
                    "token_hash": d,
                    "learner_key": k,
                    "expires_at": expires_at,
                    "sink": sink,
                    "run_id": run_id,
                    "created_at": now,
                }
                for k, d, _ in links
            ],
        )
        hashes = [d for _, d, _ in links]
        by_hash = {
            digest: link_id
            for chunk in chunks(hashes)
            for digest, link_id in session.execute(
                select(link_table.c.token_hash, link_table.c.id).where(link_table.c.token_hash.in_(chunk))
            )
        }
        attach = [{"cid": c, "lid": by_hash[d]} for _, d, ids in links for c in ids]
        if attach:
            session.execute(
                update(item_table)
                .where(item_table.c.credential_id == bindparam("cid"))
                .values(claim_id=bindparam("lid")),
                attach,
            )
    return {k: by_hash[d] for k, d, _ in links}


def names(store: Store, credential_ids: list[str]) -> dict[str, str]:
    """Credential id -> its `name` (what a message lists), read in batches."""
    out: dict[str, str] = {}
    with store.session() as session:
        for chunk in chunks(credential_ids):
            for cid, document in session.execute(
                select(CredentialRow.id, CredentialRow.document).where(CredentialRow.id.in_(chunk))
            ):
                out[cid] = document.get("name") or "Credential"
    return out


def mark_sent(store: Store, link_ids: Iterable[int], *, error: str | None = None) -> None:
    """Record that links went out (or why they did not: the items stay pending for the next flush)."""
    ids = list(link_ids)
    if not ids:
        return
    now = datetime.now(UTC)
    with store.session() as session:
        values = {"error": error} if error else {"sent_at": now, "error": None}
        session.execute(update(ClaimLinkRow).where(ClaimLinkRow.id.in_(ids)).values(**values))


def redeem(store: Store, token_hash: str, session_hash: str, session_expires: datetime) -> str | None:
    """Use a claim link once: the learner it belongs to, with a new claim-page session, or None."""
    now = datetime.now(UTC)
    with store.session() as session:
        link = session.scalar(select(ClaimLinkRow).where(ClaimLinkRow.token_hash == token_hash))
        if link is None:
            return None
        won = session.execute(
            update(ClaimLinkRow)
            .where(ClaimLinkRow.id == link.id, ClaimLinkRow.used_at.is_(None), ClaimLinkRow.expires_at > now)
            .values(used_at=now)
        ).rowcount
        if won != 1:
            return None
        session.add(
            ClaimSessionRow(
                token_hash=session_hash, learner_key=link.learner_key, claim_id=link.id, expires_at=session_expires
            )
        )
        return link.learner_key


def link_state(store: Store, token_hash: str) -> str:
    """ "usable", "used", "expired" or "unknown", for the page that answers a claim link."""
    with store.session() as session:
        link = session.scalar(select(ClaimLinkRow).where(ClaimLinkRow.token_hash == token_hash))
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    return "expired" if aware(link.expires_at) <= datetime.now(UTC) else "usable"


def session_learner(store: Store, session_hash: str) -> str | None:
    """The learner a live claim-page session belongs to, or None."""
    with store.session() as session:
        row = session.get(ClaimSessionRow, session_hash)
    if row is None or aware(row.expires_at) <= datetime.now(UTC):
        return None
    return row.learner_key


def end_session(store: Store, session_hash: str) -> None:
    with store.session() as session:
        row = session.get(ClaimSessionRow, session_hash)
        if row is not None:
            session.delete(row)


def learner(store: Store, key: str) -> LearnerRow | None:
    with store.session() as session:
        return session.get(LearnerRow, key)


def live_credentials(store: Store, learner_key: str) -> list[CredentialRow]:
    """A learner's live credentials, achievements first, then the CLR: only ever their own."""
    with store.session() as session:
        rows = session.scalars(
            select(CredentialRow)
            .where(CredentialRow.learner_key == learner_key, CredentialRow.status == "active")
            .order_by(CredentialRow.kind, CredentialRow.issued_at, CredentialRow.id)
        )
        return list(rows)


def create_offer(
    store: Store,
    protocol: str,
    code_hash: str,
    learner_key: str,
    credential_ids: list[str],
    expires_at: datetime,
    *,
    challenge: str | None = None,
    tx_code_hash: str | None = None,
) -> int:
    with store.session() as session:
        offer = WalletOfferRow(
            protocol=protocol,
            code_hash=code_hash,
            learner_key=learner_key,
            credential_ids=credential_ids,
            expires_at=expires_at,
            challenge=challenge,
            tx_code_hash=tx_code_hash,
        )
        session.add(offer)
        session.flush()
        return offer.id


def live_offer(store: Store, protocol: str, code_hash: str) -> WalletOfferRow | None:
    """An unused, unexpired offer by its hashed code."""
    with store.session() as session:
        offer = session.scalar(
            select(WalletOfferRow).where(WalletOfferRow.code_hash == code_hash, WalletOfferRow.protocol == protocol)
        )
    if offer is None or offer.used_at is not None or aware(offer.expires_at) <= datetime.now(UTC):
        return None
    return offer


def use_offer(
    store: Store,
    offer_id: int,
    *,
    holder: str | None = None,
    access_token_hash: str | None = None,
    access_expires_at: datetime | None = None,
) -> bool:
    """Spend an offer once (the exchange answered, or the pre-authorized code traded for a token)."""
    now = datetime.now(UTC)
    values: dict = {"used_at": now}
    if holder is not None:
        values["holder"] = holder
    if access_token_hash is not None:
        values |= {"access_token_hash": access_token_hash, "access_expires_at": access_expires_at}
    with store.session() as session:
        won = session.execute(
            update(WalletOfferRow)
            .where(WalletOfferRow.id == offer_id, WalletOfferRow.used_at.is_(None), WalletOfferRow.expires_at > now)
            .values(**values)
        ).rowcount
    return won == 1


def offer_by_access_token(store: Store, token_hash: str) -> WalletOfferRow | None:
    with store.session() as session:
        offer = session.scalar(select(WalletOfferRow).where(WalletOfferRow.access_token_hash == token_hash))
    if offer is None or offer.access_expires_at is None or aware(offer.access_expires_at) <= datetime.now(UTC):
        return None
    return offer


def add_nonce(store: Store, nonce_hash: str, expires_at: datetime) -> None:
    with store.session() as session:
        session.add(WalletNonceRow(nonce_hash=nonce_hash, expires_at=expires_at))


def use_nonce(store: Store, nonce_hash: str) -> bool:
    """Spend a c_nonce once; False if unknown, used or expired."""
    now = datetime.now(UTC)
    with store.session() as session:
        won = session.execute(
            update(WalletNonceRow)
            .where(
                WalletNonceRow.nonce_hash == nonce_hash,
                WalletNonceRow.used_at.is_(None),
                WalletNonceRow.expires_at > now,
            )
            .values(used_at=now)
        ).rowcount
    return won == 1


def credentials(session: Session, learner_key: str, ids: list[str]) -> list[CredentialRow]:
    """The learner's live credentials among `ids`, in that order; someone else's never come back."""
    rows = {
        row.id: row
        for row in session.scalars(
            select(CredentialRow).where(
                CredentialRow.id.in_(ids), CredentialRow.learner_key == learner_key, CredentialRow.status == "active"
            )
        )
    }
    return [rows[i] for i in ids if i in rows]


def live_of(store: Store, learner_key: str, ids: list[str]) -> list[CredentialRow]:
    with store.session() as session:
        return credentials(session, learner_key, ids)


def add_bound(store: Store, offer_id: int, holder: str, pairs: list[tuple[CredentialRow, dict]]) -> None:
    """Keep the holder-bound copies and say so in the audit ledger (same learner, same status entry)."""
    with store.session() as session:
        for original, document in pairs:
            session.merge(
                BoundCredentialRow(
                    id=document["id"], original_id=original.id, offer_id=offer_id, holder=holder, document=document
                )
            )
            session.add(
                AuditRow(
                    action="bind",
                    credential_id=document["id"],
                    learner_key=original.learner_key,
                    record_id=original.record_id,
                    reason=f"{original.id} re-signed for wallet holder {holder}; it shares that credential's status",
                )
            )


def bound_copies(store: Store, original_id: str) -> list[BoundCredentialRow]:
    with store.session() as session:
        return list(session.scalars(select(BoundCredentialRow).where(BoundCredentialRow.original_id == original_id)))


def requeue(store: Store, learner_key: str, credential_ids: list[str]) -> None:
    """Queue these credentials again (a fresh link for a learner whose link was lost or expired)."""
    with store.session() as session:
        for credential_id in credential_ids:
            row = session.get(ClaimItemRow, credential_id)
            if row is None:
                session.add(ClaimItemRow(credential_id=credential_id, learner_key=learner_key))
            else:
                row.claim_id = None
