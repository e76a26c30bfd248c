"""Identity: one learner however many systems know them, by a configurable matching rule.

A source id seen before keeps its learner. A new one is matched by the rules in order
(`institution_id`, then `verified_email`); when rules disagree, or one finds several learners, or
the match already has another id in the same source, the learner is created apart and queued for
review: nothing is merged silently, and nothing is issued for them until someone decides.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from connector_core.model import Learner
from connector_core.store.batches import chunks
from connector_core.store.database import Store
from connector_core.store.tables import (
    IdentityReviewRow,
    LearnerIdentifierRow,
    LearnerRow,
    RecordRow,
    utcnow,
)

RULES = ("institution_id", "verified_email")


@dataclass(frozen=True)
class Resolution:
    learner_key: str
    merged: bool = False


def _candidates(session: Session, rule: str, learner: Learner) -> set[str]:
    if rule == "institution_id" and learner.institution_id:
        query = select(LearnerRow.key).where(LearnerRow.institution_id == learner.institution_id)
    elif rule == "verified_email" and learner.email and learner.email_verified:
        query = select(LearnerRow.key).where(
            LearnerRow.email == learner.email.lower(), LearnerRow.email_verified.is_(True)
        )
    else:
        return set()
    return set(session.scalars(query))


def _conflict(session: Session, source: str, matches: dict[str, set[str]]) -> str | None:
    found = set().union(*matches.values()) if matches else set()
    if len(found) > 1:
        return "rules point to different learners: " + "; ".join(
            f"{rule} → {', '.join(sorted(keys))}" for rule, keys in matches.items()
        )
    if found:
        (key,) = found
        other = session.scalar(
            select(LearnerIdentifierRow.source_id).where(
                LearnerIdentifierRow.learner_key == key, LearnerIdentifierRow.source == source
            )
        )
        if other is not None:
            return f"the matching learner already has id {other!r} in {source}"
    return None


def resolve(session: Session, source: str, learner: Learner, rules: tuple[str, ...] = RULES) -> Resolution:
    """The learner key for `learner` as seen in `source`, creating or linking as the rules say.

    Two runs may meet the same new person at once; the unique institution id and source id make
    one of them lose its insert, and the loser resolves again and finds the winner's learner.
    """
    for _ in range(3):
        try:
            with session.begin_nested():
                return _resolve(session, source, learner, rules)
        except IntegrityError:
            continue
    raise RuntimeError(f"could not place learner {learner.source_id} of {source}: the store kept changing")


def known(session: Session, source: str, learners: Iterable[Learner]) -> dict[str, Resolution]:
    """The learners `source` has named before with the same FERPA flag, by source id: one query for a
    whole page, where `resolve` would open a savepoint per learner to find the same."""
    wanted: dict[str, bool] = {}
    for learner in learners:  # the first mention decides, as resolve's cache would
        wanted.setdefault(learner.source_id, learner.confidential)
    found: dict[str, Resolution] = {}
    for chunk in chunks(sorted(wanted)):
        columns = (LearnerIdentifierRow.source_id, LearnerIdentifierRow.learner_key, LearnerIdentifierRow.confidential)
        query = select(*columns).where(LearnerIdentifierRow.source == source, LearnerIdentifierRow.source_id.in_(chunk))
        for source_id, key, confidential in session.execute(query):
            if confidential == wanted[source_id]:
                found[source_id] = Resolution(key)
    return found


def _resolve(session: Session, source: str, learner: Learner, rules: tuple[str, ...]) -> Resolution:
    known = session.scalar(
        select(LearnerIdentifierRow).where(
            LearnerIdentifierRow.source == source, LearnerIdentifierRow.source_id == learner.source_id
        )
    )
    if known is not None:
        if known.confidential != learner.confidential:
            known.confidential = learner.confidential
        return Resolution(known.learner_key)
    matches = {rule: keys for rule in rules if (keys := _candidates(session, rule, learner))}
    conflict = _conflict(session, source, matches)
    if matches and conflict is None:
        key = next(iter(next(iter(matches.values()))))
        _link(session, key, source, learner)
        return Resolution(key, merged=True)
    key = _create(session, learner, review_pending=conflict is not None, taken=bool(matches.get("institution_id")))
    _link(session, key, source, learner)
    if conflict is None:
        return Resolution(key)
    candidates = sorted(set().union(*matches.values()))
    matched_by = {c: [rule for rule, keys in matches.items() if c in keys] for c in candidates}
    session.add(
        IdentityReviewRow(
            learner_key=key,
            source=source,
            source_id=learner.source_id,
            candidates=candidates,
            matched_by=matched_by,
            reason=conflict,
        )
    )
    return Resolution(key)


def _create(session: Session, learner: Learner, *, review_pending: bool, taken: bool = False) -> str:
    """A new learner; one awaiting review whose institution id is another learner's does not claim it."""
    key = uuid.uuid4().hex
    session.add(
        LearnerRow(
            key=key,
            institution_id=None if taken else learner.institution_id,
            email=learner.email.lower() if learner.email else None,
            email_verified=learner.email_verified,
            given_name=learner.given_name,
            family_name=learner.family_name,
            review_pending=review_pending,
        )
    )
    session.flush()
    return key


def _link(session: Session, key: str, source: str, learner: Learner) -> None:
    session.add(
        LearnerIdentifierRow(
            learner_key=key, source=source, source_id=learner.source_id, confidential=learner.confidential
        )
    )
    session.flush()


def open_reviews(store: Store) -> list[IdentityReviewRow]:
    with store.session() as session:
        return list(
            session.scalars(
                select(IdentityReviewRow).where(IdentityReviewRow.status == "open").order_by(IdentityReviewRow.id)
            )
        )


class ReviewError(LookupError):
    pass


def _open_review(session: Session, review_id: int) -> IdentityReviewRow:
    review = session.get(IdentityReviewRow, review_id)
    if review is None or review.status != "open":
        raise ReviewError(f"no open identity review #{review_id}: see `lerconnect identities review`")
    return review


def merge(store: Store, review_id: int, into: str) -> None:
    """Resolve a review by merging its learner into `into` (one of the candidates)."""
    with store.session() as session:
        review = _open_review(session, review_id)
        if into not in review.candidates:
            raise ReviewError(
                f"{into} is not a candidate of review #{review_id} (candidates: {', '.join(review.candidates)})"
            )
        old = review.learner_key
        for table in (LearnerIdentifierRow, RecordRow):
            session.execute(update(table).where(table.learner_key == old).values(learner_key=into))
        review.learner_key = into
        review.status, review.resolved_at = "merged", utcnow()
        session.flush()
        session.delete(session.get(LearnerRow, old))


def keep_separate(store: Store, review_id: int) -> None:
    """Resolve a review by confirming the learner is a different person."""
    with store.session() as session:
        review = _open_review(session, review_id)
        review.status, review.resolved_at = "kept_separate", utcnow()
        session.execute(update(LearnerRow).where(LearnerRow.key == review.learner_key).values(review_pending=False))


AWAITING_REVIEW = "identity awaiting review"  # the reason `holds` gives for a learner under review


def holds(session: Session, learner_key: str | None = None) -> dict[str, str]:
    """Learners nothing may be issued for, and why: an identity awaiting review, or a FERPA hold
    (directory hold / confidentiality flag) from any source. One learner's, or everyone's."""
    ferpa = select(LearnerIdentifierRow.learner_key, LearnerIdentifierRow.source).where(
        LearnerIdentifierRow.confidential.is_(True)
    )
    review = select(LearnerRow.key).where(LearnerRow.review_pending.is_(True))
    if learner_key is not None:
        ferpa = ferpa.where(LearnerIdentifierRow.learner_key == learner_key)
        review = review.where(LearnerRow.key == learner_key)
    reasons = {key: f"FERPA hold flagged by {source}" for key, source in session.execute(ferpa)}
    reasons.update({key: AWAITING_REVIEW for key in session.scalars(review)})
    return reasons


def on_hold(session: Session, learner_key: str) -> str | None:
    """Why nothing may be issued for this learner now, or None."""
    return holds(session, learner_key).get(learner_key)
