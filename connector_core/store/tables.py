"""The store's tables. Only `connector_core.store` speaks SQL; everything else calls its functions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from connector_core.store.packed import PackedJSON

SCHEDULER_JOB_TABLE = "scheduler_job"
"""APScheduler's job store makes and owns this table in the store's database; alembic leaves it alone."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class LearnerRow(SQLModel, table=True):
    """One person, however many systems know them. PII lives here and in record data only."""

    __tablename__ = "learner"
    __table_args__ = (
        Index(
            "ix_learner_institution_id",
            "institution_id",
            unique=True,
            sqlite_where=text("institution_id IS NOT NULL"),
            postgresql_where=text("institution_id IS NOT NULL"),
        ),
    )
    key: str = Field(primary_key=True)
    institution_id: str | None = None
    email: str | None = Field(default=None, index=True)
    email_verified: bool = False
    given_name: str | None = None
    family_name: str | None = None
    review_pending: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class LearnerIdentifierRow(SQLModel, table=True):
    """A learner's id in one configured source; `confidential` is that source's FERPA hold flag."""

    __tablename__ = "learner_identifier"
    __table_args__ = (UniqueConstraint("source", "source_id"),)
    id: int | None = Field(default=None, primary_key=True)
    learner_key: str = Field(foreign_key="learner.key", index=True)
    source: str
    source_id: str
    confidential: bool = False


class IdentityReviewRow(SQLModel, table=True):
    """A learner the matching rule could not place with certainty; nothing is issued until resolved."""

    __tablename__ = "identity_review"
    id: int | None = Field(default=None, primary_key=True)
    learner_key: str = Field(foreign_key="learner.key", index=True)
    source: str
    source_id: str
    candidates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    matched_by: dict[str, list[str]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """candidate key → the matching rules that pointed at it"""
    reason: str
    status: str = Field(default="open", index=True)  # open, merged, kept_separate
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None


class AchievementRow(SQLModel, table=True):
    __tablename__ = "achievement"
    key: str = Field(primary_key=True)  # "<source>:<achievement key>"
    source: str = Field(index=True)
    kind: str
    title: str
    content_hash: str
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class RecordRow(SQLModel, table=True):
    """A stored LearningRecord. A change supersedes the active row and adds a new one: history stays."""

    __tablename__ = "learning_record"
    __table_args__ = (
        Index(
            "ix_record_active_key",
            "source",
            "stream",
            "source_record_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_record_learner", "learner_key", "status"),
        Index("ix_record_source_record_id", "source_record_id"),  # every version of a record (issue_numbers)
    )
    id: int | None = Field(default=None, primary_key=True)
    source: str
    stream: str
    source_record_id: str
    status: str = Field(default="active", index=True)  # active, superseded, withdrawn
    learner_key: str = Field(foreign_key="learner.key")
    achievement_key: str = Field(foreign_key="achievement.key")
    content_hash: str
    term: str | None = None
    result_status: str
    data: dict[str, Any] = Field(sa_column=Column(PackedJSON, nullable=False))
    plugin: str
    plugin_version: str
    source_updated_at: datetime | None = None
    created_run_id: str
    changed_run_id: str
    ended_run_id: str | None = None
    ended_reason: str | None = None
    replaces_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class SyncRunRow(SQLModel, table=True):
    __tablename__ = "sync_run"
    id: str = Field(primary_key=True)
    source: str = Field(index=True)
    stream: str
    status: str  # running, succeeded, failed, refused, interrupted
    full: bool = False
    dry_run: bool = False
    started_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    pages: int = 0
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    dead_lettered: int = 0
    learners_merged: int = 0
    error: str | None = None
    timings: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    issue_run_id: str | None = Field(default=None, index=True)  # the issuing that followed this sync
    partitions: dict[str, dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """A partitioned run's partitions at its end: key -> status, pages, fetched, worker."""


class IssueRunRow(SQLModel, table=True):
    """One issuing pass after a night's syncs: what it signed, revoked and held back, or why it failed."""

    __tablename__ = "issue_run"
    id: str = Field(primary_key=True)
    status: str  # succeeded, failed, skipped (another issuer held the store)
    dry_run: bool = False
    started_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    issued: int = 0
    replaced: int = 0
    revoked: int = 0
    clrs: int = 0
    held: int = 0
    withheld: int = 0
    refused: int = 0
    error: str | None = None
    details: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class StreamStateRow(SQLModel, table=True):
    """The saved cursor of a source × stream and the sync pass it belongs to.

    A pass is one logical sync that may span several runs when one crashes; `generation` numbers the
    passes, and a full pass withdraws at its end what it did not see.
    """

    __tablename__ = "stream_state"
    source: str = Field(primary_key=True)
    stream: str = Field(primary_key=True)
    cursor: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    covered: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    generation: int = 0
    pass_open: bool = False
    pass_full: bool = False
    flags_holds: bool = False  # the stream carries FERPA holds: issuing waits for its passes
    pass_completed_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class SeenRow(SQLModel, table=True):
    """Source ids seen by the open full pass; cleared when the pass ends."""

    __tablename__ = "sync_seen"
    source: str = Field(primary_key=True)
    stream: str = Field(primary_key=True)
    source_record_id: str = Field(primary_key=True)


class DeadLetterRow(SQLModel, table=True):
    __tablename__ = "dead_letter"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True)
    source: str = Field(index=True)
    stream: str
    source_record_id: str
    field: str | None = None
    reason: str
    location: str | None = None  # where the bad record is, e.g. "export.csv:14" for file sources
    raw: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class RunLockRow(SQLModel, table=True):
    """A lease on a source × stream: refused to others until released or expired."""

    __tablename__ = "run_lock"
    source: str = Field(primary_key=True)
    stream: str = Field(primary_key=True)
    run_id: str
    holder: str
    expires_at: datetime


class PartitionRow(SQLModel, table=True):
    """One partition of a stream's sync pass: its own cursor and checkpoint, its lease, whether it finished.

    A stream whose source names no partitions is the one partition "" (its cursor stays in
    `stream_state`). The pass completes, and may withdraw, only when every partition of its
    `generation` is `done`. A worker holds a partition by `token` until `expires_at`; one that stops
    renewing (killed, host down) loses it to the next worker that asks.
    """

    __tablename__ = "sync_partition"
    source: str = Field(primary_key=True)
    stream: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    generation: int = 0
    run_id: str | None = None  # the stream run that last worked on it
    cursor: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    covered: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    done: bool = False
    token: str | None = None  # the task attempt holding the lease
    holder: str | None = None  # "host:pid" of that attempt, for people and for taking over a dead one
    expires_at: datetime | None = None
    pages: int = 0
    fetched: int = 0
    error: str | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class CredentialRow(SQLModel, table=True):
    """A signed credential: one OB credential per record content, one CLR per learner state."""

    __tablename__ = "credential"
    __table_args__ = (
        Index("ix_credential_record", "record_id", "status"),
        Index("ix_credential_learner", "learner_key", "kind", "status"),
        Index("ix_credential_issued_run", "issued_run_id"),  # what a night issued (claim links)
    )
    id: str = Field(primary_key=True)  # the credential's own `id` (urn:uuid, deterministic)
    kind: str  # achievement, clr
    status: str = Field(default="active", index=True)  # active, revoked
    learner_key: str = Field(foreign_key="learner.key")
    record_id: int | None = Field(default=None, foreign_key="learning_record.id")
    status_list_id: int = Field(foreign_key="status_list.id")
    status_index: int
    replaces: str | None = None
    document: dict[str, Any] = Field(sa_column=Column(PackedJSON, nullable=False))
    issued_at: datetime = Field(default_factory=utcnow)
    issued_run_id: str | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None
    embeds: str | None = None  # a CLR's digest of the achievement credentials it embeds


class WithheldRecordRow(SQLModel, table=True):
    """A registrar's revocation by hand: nothing is issued for the record (or a learner's CLR) until
    someone reinstates it, whatever later runs, key rotations or replays bring."""

    __tablename__ = "withheld"
    __table_args__ = (UniqueConstraint("kind", "subject"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str  # achievement (the record's source, stream and id), clr (the learner's CLR)
    subject: str  # "<source>/<stream>/<record id>" or the learner key: one decision per subject
    learner_key: str = Field(index=True)
    source: str | None = None
    stream: str | None = None
    source_record_id: str | None = None
    credential_id: str
    reason: str
    at: datetime = Field(default_factory=utcnow)


class IssuerLeaseRow(SQLModel, table=True):
    """One issuer at a time per store (SQLite; PostgreSQL uses an advisory lock instead)."""

    __tablename__ = "issuer_lease"
    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime


class StatusListRow(SQLModel, table=True):
    """A Bitstring Status List: its bits, and the counter that feeds the non-sequential allocator."""

    __tablename__ = "status_list"
    __table_args__ = (UniqueConstraint("url"),)
    id: int | None = Field(default=None, primary_key=True)
    url: str
    purpose: str = "revocation"
    size: int
    allocated: int = 0
    seed: str  # hex key of the index permutation: indexes say nothing about order or recipient
    bits: bytes
    updated_at: datetime = Field(default_factory=utcnow)
    published_digest: str | None = None  # of the bits last signed and written: unchanged lists are left alone


class AuditRow(SQLModel, table=True):
    """The ledger of every issue, revoke and replace, with the reason taken from the source change."""

    __tablename__ = "audit_ledger"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    action: str  # issue, revoke, replace, reinstate
    credential_id: str = Field(index=True)
    learner_key: str | None = None  # None for credentials a campus system posted to the issuer API
    record_id: int | None = None
    reason: str
    run_id: str | None = None


class ServeClientRow(SQLModel, table=True):
    """A campus system allowed to call the issuer API (OAuth 2.0 client credentials).

    The secret is kept as its SHA-256 digest only; a removed client keeps its row (the audit ledger
    names it) but can get no token and its tokens are deleted.
    """

    __tablename__ = "serve_client"
    id: str = Field(primary_key=True)  # the client_id, public
    name: str
    secret_digest: str
    scopes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None


class ServeTokenRow(SQLModel, table=True):
    """An access token of the issuer API, kept as its SHA-256 digest, with its scopes and expiry."""

    __tablename__ = "serve_token"
    digest: str = Field(primary_key=True)
    client_id: str = Field(foreign_key="serve_client.id", index=True)
    scopes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    expires_at: datetime = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ApiCredentialRow(SQLModel, table=True):
    """A credential a campus system posted unsigned to `POST /credentials/issue`, signed and kept.

    `id` is the request's `options.credentialId` (else the credential's own id): posting the same
    again returns this one; `request_digest` tells a repeat from a different credential under a
    used id. Its status entry comes from the same lists, by the same allocator, as the nightly run's.
    """

    __tablename__ = "api_credential"
    id: str = Field(primary_key=True)
    client_id: str = Field(foreign_key="serve_client.id", index=True)
    request_digest: str
    status: str = "active"  # active, revoked
    status_list_id: int = Field(foreign_key="status_list.id")
    status_index: int
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    issued_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class ClaimLinkRow(SQLModel, table=True):
    """A single-use, expiring claim link sent to a learner: only the SHA-256 of its token is kept."""

    __tablename__ = "claim_link"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    learner_key: str = Field(foreign_key="learner.key", index=True)
    run_id: str | None = None
    sink: str  # email, csv, or a campus sink's name
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    sent_at: datetime | None = None
    used_at: datetime | None = None
    error: str | None = None  # why sending failed (the next flush retries)


class ClaimItemRow(SQLModel, table=True):
    """A new or changed credential waiting to be announced, and the claim link that announced it."""

    __tablename__ = "claim_item"
    credential_id: str = Field(foreign_key="credential.id", primary_key=True)
    learner_key: str = Field(foreign_key="learner.key", index=True)
    run_id: str | None = None
    claim_id: int | None = Field(default=None, foreign_key="claim_link.id", index=True)
    queued_at: datetime = Field(default_factory=utcnow)


class ClaimSessionRow(SQLModel, table=True):
    """A learner signed in to the claim page by a claim link; the cookie holds the token, the store its hash."""

    __tablename__ = "claim_session"
    token_hash: str = Field(primary_key=True)
    learner_key: str = Field(foreign_key="learner.key", index=True)
    claim_id: int = Field(foreign_key="claim_link.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class WalletOfferRow(SQLModel, table=True):
    """One wallet hand-over (a VC-API exchange or an OID4VCI pre-authorized offer) of a learner's credentials.

    Secrets (exchange id, pre-authorized code, transaction code, access token) are kept as SHA-256 only.
    """

    __tablename__ = "wallet_offer"
    id: int | None = Field(default=None, primary_key=True)
    protocol: str  # vcapi, oid4vci
    code_hash: str = Field(unique=True)
    learner_key: str = Field(foreign_key="learner.key", index=True)
    credential_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    challenge: str | None = None  # the DIDAuth challenge (not secret: it travels in the deep link)
    tx_code_hash: str | None = None
    access_token_hash: str | None = Field(default=None, unique=True)
    access_expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    holder: str | None = None  # the DID the credentials were bound to


class WalletNonceRow(SQLModel, table=True):
    """An OID4VCI c_nonce from the nonce endpoint: single use, short-lived."""

    __tablename__ = "wallet_nonce"
    nonce_hash: str = Field(primary_key=True)
    expires_at: datetime
    used_at: datetime | None = None


class BoundCredentialRow(SQLModel, table=True):
    """A credential re-signed for a holder's DID at hand-over; it shares the original's status entry."""

    __tablename__ = "bound_credential"
    id: str = Field(primary_key=True)
    original_id: str = Field(foreign_key="credential.id", index=True)
    offer_id: int = Field(foreign_key="wallet_offer.id", index=True)
    holder: str
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    issued_at: datetime = Field(default_factory=utcnow)
