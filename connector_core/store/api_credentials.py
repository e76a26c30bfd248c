"""Credentials signed for the issuer API: kept by their id, revocable, each change in the audit ledger."""

from __future__ import annotations

from enum import Enum

from sqlalchemy.exc import IntegrityError

from connector_core.store.credentials import set_revoked
from connector_core.store.database import Store
from connector_core.store.tables import ApiCredentialRow, AuditRow, CredentialRow, utcnow


class StatusChange(Enum):
    changed = "changed"
    unchanged = "unchanged"
    not_found = "not_found"
    permanent = "permanent"  # un-revoking: revocation is final, as in the nightly run


def get(store: Store, credential_id: str) -> ApiCredentialRow | None:
    with store.session() as session:
        return session.get(ApiCredentialRow, credential_id)


def nightly(store: Store, credential_id: str) -> CredentialRow | None:
    """The nightly run's credential with this id, if any."""
    with store.session() as session:
        return session.get(CredentialRow, credential_id)


def nightly_has(store: Store, credential_id: str) -> bool:
    """Whether the nightly run already issued a credential with this id (the API may not reuse it)."""
    return nightly(store, credential_id) is not None


def _audit(action: str, row: ApiCredentialRow, reason: str) -> AuditRow:
    return AuditRow(action=action, credential_id=row.id, learner_key=None, reason=reason)


def add(store: Store, row: ApiCredentialRow) -> tuple[ApiCredentialRow, bool]:
    """Store a signed credential with its audit entry; (the stored row, True) or, when another
    request stored this id first, (that row, False). Its status index is simply never used then."""
    try:
        with store.session() as session:
            session.add(row)
            session.add(_audit("issue", row, f"issued through the issuer API for client {row.client_id}"))
    except IntegrityError:
        existing = get(store, row.id)
        if existing is None:
            raise
        return existing, False
    return row, True


def refused(store: Store, credential_id: str, client_id: str, message: str) -> None:
    """Record in the audit ledger that a policy plugin refused to sign a posted credential (nothing else is kept)."""
    with store.session() as session:
        session.add(
            AuditRow(
                action="refuse",
                credential_id=credential_id,
                learner_key=None,
                reason=f"refused by policy for issuer API client {client_id}: {message}",
            )
        )


def set_status(store: Store, credential_id: str, revoked: bool, client_id: str) -> StatusChange:
    """Revoke (set the status bit) or confirm active; un-revoking is refused, as revocation is final."""
    with store.session() as session:
        row = session.get(ApiCredentialRow, credential_id, with_for_update=True)
        if row is None:
            return StatusChange.not_found
        if not revoked:
            return StatusChange.permanent if row.status == "revoked" else StatusChange.unchanged
        if row.status == "revoked":
            return StatusChange.unchanged
        row.status, row.revoked_at = "revoked", utcnow()
        set_revoked(session, row.status_list_id, row.status_index)
        session.add(_audit("revoke", row, f"revoked through the issuer API by client {client_id}"))
    return StatusChange.changed
