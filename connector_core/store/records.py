"""Storing normalized records: upsert by (source, stream, source record id) and content hash."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, tuple_
from sqlmodel import Session

from connector_core.model import Achievement, LearningRecord, Tombstone, achievement_key
from connector_core.store.batches import IN_LIMIT, chunks
from connector_core.store.database import Store
from connector_core.store.tables import (
    AchievementRow,
    LearnerIdentifierRow,
    LearnerRow,
    RecordRow,
    SeenRow,
    utcnow,
)


@dataclass
class PageCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"new": self.new, "changed": self.changed, "unchanged": self.unchanged, "withdrawn": self.withdrawn}


@dataclass(frozen=True)
class Origin:
    """Who is writing: the source instance, its plugin, the run."""

    source: str
    stream: str
    plugin: str
    plugin_version: str
    run_id: str


def _hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _upsert_achievement(session: Session, source: str, achievement: Achievement, cache: dict[str, Achievement]) -> str:
    """Store the achievement's definition under its key; `cache` holds what this run wrote already,
    compared field by field: a page of one course's records names one definition many times."""
    key = achievement_key(source, achievement)
    if cache.get(key) == achievement:
        return key
    data = achievement.model_dump(mode="json")
    digest = _hash(data)
    row = session.get(AchievementRow, key)
    if row is None:
        session.add(
            AchievementRow(
                key=key,
                source=source,
                kind=achievement.kind.value,
                title=achievement.title,
                content_hash=digest,
                data=data,
            )
        )
    elif row.content_hash != digest:
        row.kind, row.title, row.content_hash, row.data = achievement.kind.value, achievement.title, digest, data
    cache[key] = achievement
    return key


Fact = tuple[str, str, str | None]
STATUS_RANK = {"completed": 0, "failed": 1, "incomplete": 2, "in_progress": 3, "withdrawn": 4}


def fact(row: RecordRow) -> Fact:
    """What a record states: this learner, this achievement, this term. Records of several sources
    (or two enrollments in one activity) stating the same fact are provenances of one record."""
    return (row.learner_key, row.achievement_key, row.term)


def _precedence(row: RecordRow) -> tuple[int, float, int]:
    updated = row.source_updated_at.timestamp() if row.source_updated_at else float("-inf")
    return (STATUS_RANK.get(row.result_status, len(STATUS_RANK)), -updated, -(row.id or 0))


def speaker(rows: Iterable[RecordRow]) -> RecordRow:
    """The provenance that speaks for a fact: the best result status (completed, failed, incomplete,
    in progress, withdrawn), then the latest source update, then the latest stored. Deterministic."""
    return min(rows, key=_precedence)


FACT_COLUMNS = (
    RecordRow.id,
    RecordRow.source,
    RecordRow.learner_key,
    RecordRow.achievement_key,
    RecordRow.term,
    RecordRow.result_status,
    RecordRow.source_updated_at,
)
"""What deciding a fact's speaker reads: never a record's data, which would be unpacked for nothing."""


def _active_rows(session: Session, pairs: Iterable[tuple[str, str]]) -> Iterator[RecordRow]:
    """Active records (the `FACT_COLUMNS` of them) of these (learner, achievement) pairs, a chunk a query.

    The learner keys are named too: SQLite plans a bare `(learner, achievement) IN (VALUES …)` as a
    scan of every active record, which made issuing a campus quadratic; with them it reads the
    learners' index."""
    for chunk in chunks(sorted(set(pairs)), IN_LIMIT // 3):  # two parameters a pair, at most one a learner
        yield from session.execute(
            select(*FACT_COLUMNS).where(
                RecordRow.status == "active",
                RecordRow.learner_key.in_({learner for learner, _ in chunk}),
                tuple_(RecordRow.learner_key, RecordRow.achievement_key).in_(chunk),
            )
        )


def _facts(session: Session, pairs: Iterable[tuple[str, str]]) -> dict[Fact, list[RecordRow]]:
    groups: dict[Fact, list[RecordRow]] = defaultdict(list)
    for row in _active_rows(session, pairs):
        groups[fact(row)].append(row)
    return groups


def fact_speakers(session: Session, rows: Iterable[RecordRow]) -> dict[Fact, RecordRow]:
    """For each fact the given records state, the active record that speaks for it."""
    groups = _facts(session, ((r.learner_key, r.achievement_key) for r in rows))
    return {key: speaker(group) for key, group in groups.items()}


def silent_provenances(session: Session, learners: Iterable[str]) -> dict[int, RecordRow]:
    """Active records of these learners whose fact another active record speaks for: record id ->
    the speaker. Asked a batch of learners at a time (`learner_batches`): a campus has too many."""
    silent = {}
    for chunk in chunks(sorted(set(learners))):
        shared = (
            select(RecordRow.learner_key, RecordRow.achievement_key)
            .where(RecordRow.status == "active", RecordRow.learner_key.in_(chunk))
            .group_by(RecordRow.learner_key, RecordRow.achievement_key, RecordRow.term)
            .having(func.count() > 1)
        )
        for group in _facts(session, (tuple(pair) for pair in session.execute(shared))).values():
            voice = speaker(group)
            silent.update({row.id: voice for row in group if row.id != voice.id})
    return silent


def learner_batches(store: Store, size: int = IN_LIMIT) -> Iterator[list[str]]:
    """Every learner's key, in key order, `size` at a time: for work done a slice of the campus at once."""
    last = ""
    while True:
        with store.session() as session:
            query = select(LearnerRow.key).where(LearnerRow.key > last).order_by(LearnerRow.key).limit(size)
            keys = list(session.scalars(query))
        if not keys:
            return
        yield keys
        last = keys[-1]


def learners(store: Store, keys: set[str]) -> dict[str, LearnerRow]:
    """The learners under these keys, as identity matching merged them across sources."""
    with store.session() as session:
        return {row.key: row for row in session.scalars(select(LearnerRow).where(LearnerRow.key.in_(keys)))}


def achievements(store: Store, keys: set[str]) -> list[Achievement]:
    """Stored achievement definitions under their store keys (e.g. the targets of associations)."""
    if not keys:
        return []
    with store.session() as session:
        rows = list(
            session.scalars(select(AchievementRow).where(AchievementRow.key.in_(keys)).order_by(AchievementRow.key))
        )
    return [Achievement.model_validate({**row.data, "key": row.key}) for row in rows]


def upsert(
    session: Session,
    origin: Origin,
    items: Sequence[tuple[LearningRecord, str]],
    tombstones: Sequence[Tombstone],
    achievements: dict[str, Achievement],
) -> PageCounts:
    """Write one page's records. `items` pairs each record with its resolved learner key.

    New records (all of a first night) go in as one multi-row insert, never as ORM objects: building
    and flushing those was most of a first night's store time. A changed record supersedes its row.
    """
    counts = PageCounts()
    ids = {record.source_record_id for record, _ in items} | {t.source_record_id for t in tombstones}
    # what the unchanged check needs, for the whole page; a row is loaded whole only to change it
    known = {
        record_id: (row_id, content_hash, learner)
        for chunk in chunks(sorted(ids))
        for row_id, record_id, content_hash, learner in session.execute(
            select(RecordRow.id, RecordRow.source_record_id, RecordRow.content_hash, RecordRow.learner_key).where(
                RecordRow.source == origin.source,
                RecordRow.stream == origin.stream,
                RecordRow.status == "active",
                RecordRow.source_record_id.in_(chunk),
            )
        )
    }
    active: dict[str, RecordRow] = {}  # changed in this page
    new = _NewRows(origin)  # new in this page, not inserted yet
    for record, learner_key in items:
        record_id = record.source_record_id
        data = record.model_dump(mode="json")
        digest = record.content_hash(data)
        current = active.get(record_id)
        now = (current.content_hash, current.learner_key) if current is not None else new.state(record_id)
        seen = known.get(record_id)
        if now is None and seen is not None:
            now = seen[1:]
        if now == (digest, learner_key):
            counts.unchanged += 1
            continue
        if current is None and record_id in new:  # new earlier in this page: now it is superseded
            current = new.row(session, record_id)
        elif current is None and seen is not None:
            current = session.get(RecordRow, seen[0])
        values = {
            "source": origin.source,
            "stream": origin.stream,
            "source_record_id": record_id,
            "learner_key": learner_key,
            "achievement_key": _upsert_achievement(session, origin.source, record.achievement, achievements),
            "content_hash": digest,
            "term": record.term.code if record.term else None,
            "result_status": record.result.status.value,
            "data": data,
            "plugin": origin.plugin,
            "plugin_version": origin.plugin_version,
            "source_updated_at": _aware(record.source_updated_at),
            "created_run_id": origin.run_id,
            "changed_run_id": origin.run_id,
        }
        if current is None:
            counts.new += 1
            new.add(values)
            continue
        counts.changed += 1
        row = RecordRow(**values, replaces_id=current.id)
        current.status, current.ended_run_id = "superseded", origin.run_id
        current.ended_reason = describe_change(current.data, data)
        session.flush()  # the partial unique index allows one active row per key
        session.add(row)
        active[record_id] = row
    for tombstone in tombstones:
        record_id = tombstone.source_record_id
        current = active.pop(record_id, None)
        seen = known.pop(record_id, None)
        if current is None and record_id in new:
            current = new.row(session, record_id)
        elif current is None and seen is not None:
            current = session.get(RecordRow, seen[0])
        if current is not None and current.status == "active":
            _withdraw(current, origin.run_id, "deleted at the source")
            counts.withdrawn += 1
    new.insert(session)
    return counts


class _NewRows:
    """A page's new records as column values, inserted together (`insert`) or when one is needed as
    a row (`row`: the same record again in the page, changed or deleted)."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.pending: dict[str, dict] = {}

    def __contains__(self, record_id: str) -> bool:
        return record_id in self.pending

    def state(self, record_id: str) -> tuple[str, str] | None:
        values = self.pending.get(record_id)
        return (values["content_hash"], values["learner_key"]) if values is not None else None

    def add(self, values: dict) -> None:
        self.pending[values["source_record_id"]] = values

    def insert(self, session: Session) -> None:
        if not self.pending:
            return
        session.flush()  # the learners and achievements they name go first
        created = utcnow()
        unset = {
            "status": "active",
            "replaces_id": None,
            "ended_run_id": None,
            "ended_reason": None,
            "created_at": created,
        }
        session.execute(insert(RecordRow), [{**values, **unset} for values in self.pending.values()])
        self.pending.clear()

    def row(self, session: Session, record_id: str) -> RecordRow:
        self.insert(session)
        query = select(RecordRow).where(
            RecordRow.source == self.origin.source,
            RecordRow.stream == self.origin.stream,
            RecordRow.source_record_id == record_id,
            RecordRow.status == "active",
        )
        return session.scalars(query).one()


def _aware(moment: datetime | None) -> datetime | None:
    """Sources send naive times too; the store keeps UTC-aware ones."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _withdraw(row: RecordRow, run_id: str, reason: str) -> None:
    row.status, row.ended_run_id, row.ended_reason = "withdrawn", run_id, reason


def withdraw_unseen(session: Session, origin: Origin, covered: list[str] | None) -> int:
    """End of a full pass: records the source no longer returns are withdrawn.

    When the pass said which terms it covered (`Page.covers`), only records of those terms can be
    withdrawn: a term that left the source's window is not a term whose records vanished.
    """
    seen = select(SeenRow.source_record_id).where(SeenRow.source == origin.source, SeenRow.stream == origin.stream)
    query = select(RecordRow).where(
        RecordRow.source == origin.source,
        RecordRow.stream == origin.stream,
        RecordRow.status == "active",
        RecordRow.source_record_id.not_in(seen),
    )
    if covered is not None:
        query = query.where(RecordRow.term.in_(covered))
    rows = session.scalars(query)
    count = 0
    for row in rows:
        _withdraw(row, origin.run_id, "no longer returned by the source")
        count += 1
    return count


def _shown(value: object) -> object:
    """A term by its name (older records hold a bare text), anything else as it is."""
    return value.get("name") if isinstance(value, dict) else value


def describe_change(old: dict, new: dict) -> str:
    """A human reason for a supersession, e.g. 'grade changed from B to A-'."""
    parts = []
    for section in ("result",):
        before, after = old.get(section) or {}, new.get(section) or {}
        for name in sorted(set(before) | set(after)):
            if before.get(name) != after.get(name):
                parts.append(f"{name} changed from {before.get(name)} to {after.get(name)}")
    for name in ("term", "completed_on", "credits_earned"):
        if old.get(name) != new.get(name):
            parts.append(f"{name} changed from {_shown(old.get(name))} to {_shown(new.get(name))}")
    if not parts and old.get("achievement") != new.get("achievement"):
        parts.append("achievement details changed")
    if not parts and old.get("learner") != new.get("learner"):
        parts.append("learner details changed")
    return "; ".join(parts) or "record changed at the source"


def iter_records(
    store: Store,
    *,
    source: str | None = None,
    stream: str | None = None,
    learner: str | None = None,
    status: str = "active",
    batch: int = 1000,
) -> Iterator[tuple[RecordRow, list[tuple[str, str]]]]:
    """Stored records with the learner's ids per source, in id order, fetched in batches."""
    last = 0
    while True:
        query = select(RecordRow).where(RecordRow.id > last, RecordRow.status == status)
        if source:
            query = query.where(RecordRow.source == source)
        if stream:
            query = query.where(RecordRow.stream == stream)
        if learner:
            keys = select(LearnerIdentifierRow.learner_key).where(LearnerIdentifierRow.source_id == learner)
            query = query.where((RecordRow.learner_key == learner) | RecordRow.learner_key.in_(keys))
        with store.session() as session:
            rows = list(session.scalars(query.order_by(RecordRow.id).limit(batch)))
            ids: dict[str, list[tuple[str, str]]] = {}
            for ident in session.scalars(
                select(LearnerIdentifierRow).where(LearnerIdentifierRow.learner_key.in_({r.learner_key for r in rows}))
            ):
                ids.setdefault(ident.learner_key, []).append((ident.source, ident.source_id))
        if not rows:
            return
        for row in rows:
            yield row, ids.get(row.learner_key, [])
        last = rows[-1].id
