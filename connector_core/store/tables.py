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


class CredentialRow(SQLModel, table=True):
    """A signed credential: one OB credential per record content, one CLR per learner state."""

    __tablename__ = "credential"
    __table_args__ = (
        Index("ix_credential_record", "record_id", "status"),
        Index("ix_credential_learner", "learner_key", "kind", "status"),
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
    learner_key: str
    record_id: int | None = None
    reason: str
    run_id: str | None = None
