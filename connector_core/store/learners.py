"""Finding a learner by any id a person would have at hand, and everything the store knows of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from connector_core.store.database import Store
from connector_core.store.identities import holds
from connector_core.store.tables import CredentialRow, LearnerIdentifierRow, LearnerRow, RecordRow

MIN_PREFIX = 6  # shorter key prefixes would match too many learners to be meant


class LearnerNotFound(LookupError):
    """No learner, or more than one, answers to the id given; the message says which."""


@dataclass
class LearnerView:
    """One learner: who they are, their id in each system, holds, records and credentials."""

    learner: LearnerRow
    ids: dict[str, str] = field(default_factory=dict)
    hold: str | None = None
    records: list[RecordRow] = field(default_factory=list)
    credentials: list[CredentialRow] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.learner.given_name, self.learner.family_name) if p)


def find_learner(store: Store, ident: str) -> str:
    """The key of the one learner `ident` names: internal key (or a prefix of it), institution id,
    a source's id (`ID` or `SOURCE:ID`), or email."""
    text = ident.strip()
    with store.session() as session:
        by_source = LearnerIdentifierRow.source_id == text
        if ":" in text:
            source, _, source_id = text.partition(":")
            by_source = by_source | (
                (LearnerIdentifierRow.source == source) & (LearnerIdentifierRow.source_id == source_id)
            )
        keys = set(
            session.scalars(
                select(LearnerRow.key).where(
                    or_(
                        LearnerRow.key == text,
                        LearnerRow.key.startswith(text) if len(text) >= MIN_PREFIX else False,
                        LearnerRow.institution_id == text,
                        func.lower(LearnerRow.email) == text.lower(),
                    )
                )
            )
        )
        keys |= set(session.scalars(select(LearnerIdentifierRow.learner_key).where(by_source)))
    if not keys:
        raise LearnerNotFound(
            f"no learner answers to {ident!r}: give an internal key, institution id, a source's id or an email"
        )
    if len(keys) > 1:
        raise LearnerNotFound(f"{ident!r} names {len(keys)} learners ({', '.join(sorted(keys))}): give the key")
    return keys.pop()


def describe(store: Store, keys: list[str]) -> dict[str, dict]:
    """Name, email, institution id and each system's id of these learners, by key."""
    with store.session() as session:
        rows = session.scalars(select(LearnerRow).where(LearnerRow.key.in_(keys)))
        out = {
            r.key: {
                "key": r.key,
                "name": " ".join(p for p in (r.given_name, r.family_name) if p) or None,
                "email": r.email,
                "institution_id": r.institution_id,
                "ids": {},
            }
            for r in rows
        }
        for ident in session.scalars(select(LearnerIdentifierRow).where(LearnerIdentifierRow.learner_key.in_(keys))):
            if ident.learner_key in out:
                out[ident.learner_key]["ids"][ident.source] = ident.source_id
    return out


def learner_view(store: Store, key: str) -> LearnerView:
    """Everything about one learner, newest records and credentials last."""
    with store.session() as session:
        row = session.get(LearnerRow, key)
        if row is None:
            raise LearnerNotFound(f"no learner {key!r}")
        view = LearnerView(row, hold=holds(session, key).get(key))
        for ident in session.scalars(select(LearnerIdentifierRow).where(LearnerIdentifierRow.learner_key == key)):
            view.ids[ident.source] = ident.source_id
        view.records = list(
            session.scalars(select(RecordRow).where(RecordRow.learner_key == key).order_by(RecordRow.id))
        )
        view.credentials = list(
            session.scalars(
                select(CredentialRow)
                .where(CredentialRow.learner_key == key)
                .order_by(CredentialRow.issued_at, CredentialRow.id)
            )
        )
    return view


def learner_names(store: Store, keys: set[str]) -> dict[str, str]:
    """A short label per learner key, for listings: "Ada Lovelace (S1)"."""
    return {
        key: " ".join(p for p in (d["name"], f"({d['institution_id']})" if d["institution_id"] else None) if p)
        or key[:12]
        for key, d in describe(store, sorted(keys)).items()
    }
