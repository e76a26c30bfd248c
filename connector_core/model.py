"""The common LER model every source normalizes into: no I/O, no SQL.

A plugin builds `LearningRecord`s (each naming its `Learner` and `Achievement`); the engine adds
`Provenance` and stores them; the issuer turns them into credentials. The content hash is taken
from the normalized content alone, so the same source data hashes the same on every run.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AchievementKind(StrEnum):
    """What was achieved; maps onto OB 3.0 `achievementType`."""

    course = "course"
    competency = "competency"
    cocurricular = "cocurricular"
    training = "training"
    certification = "certification"
    employment = "employment"
    degree = "degree"


class ResultStatus(StrEnum):
    """Where the learner stands on the achievement (OB 3.0 `ResultStatusType`, plus withdrawn)."""

    completed = "completed"
    in_progress = "in_progress"
    incomplete = "incomplete"
    withdrawn = "withdrawn"
    failed = "failed"

    @classmethod
    def of_grade(cls, grade: str, *, failing: Collection[str], incomplete: Collection[str] = ("I",)) -> ResultStatus:
        """A final grade's status: `incomplete` grades (I), `failing` ones (F, NP...), else completed.

        Each system spells failing its own way, so the plugin names its set; case does not matter.
        """
        upper = grade.strip().upper()
        if upper in incomplete:
            return cls.incomplete
        return cls.failed if upper in failing else cls.completed


MAX_MAGNITUDE = Decimal(10) ** 15
"""The largest score, credit or points value a record may carry; beyond it is a data error."""


def storable(value: Any) -> Any:
    """JSON-like `value` with what no store can hold spelled out instead (for dead letters, errors).

    A NUL becomes the text `\\x00`, an undecodable byte `\\udcff`, an infinity the text `inf`.
    """
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


def store_safe(value: Any) -> Any:
    """Refuse what a store cannot hold or a credential cannot carry, the same on SQLite and PostgreSQL.

    NUL bytes (PostgreSQL text and JSON refuse them), infinities and NaN (not JSON), and numbers
    beyond ±10^15 (no real score or credit count; they turn into infinity on the way to a credential).
    """
    kind = type(value)
    if value is None or kind is int or kind is bool:  # most fields of most records: nothing to look at
        return value
    if kind is str or isinstance(value, str):
        if "\x00" in value:  # (undecodable bytes, lone surrogates, are refused by pydantic itself)
            raise ValueError(f"contains a NUL byte at position {value.index(chr(0))}: remove it at the source")
    elif isinstance(value, float | Decimal):
        if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
            raise ValueError(f"{value} is not a finite number: a store cannot hold it")
        if abs(Decimal(value)) > MAX_MAGNITUDE:
            raise ValueError(f"{value} is out of range (at most ±10^15)")
    elif isinstance(value, tuple | list):
        for item in value:
            store_safe(item)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _store_safe(cls, value: Any) -> Any:
        return store_safe(value)


class Alignment(_Model):
    """A link from an achievement to an external framework entry (CTDL, CASE, O*NET, Lightcast)."""

    target_name: str
    target_url: str
    target_code: str | None = None
    target_framework: str | None = None
    target_type: str | None = None


class Association(_Model):
    """A relation to another achievement, e.g. a competency `isPartOf` a course.

    Name the target the way it is keyed: build it with `Association.to(target)`, which copies the
    target's catalog key (and kind, version) when it has one, so the link survives across sources.
    """

    association_type: str = "isPartOf"
    target_key: str
    target_catalog_key: str | None = None
    target_kind: AchievementKind | None = None
    target_version: str | None = None

    @classmethod
    def to(cls, target: Achievement, association_type: str = "isPartOf") -> Association:
        return cls(
            association_type=association_type,
            target_key=target.key,
            target_catalog_key=target.catalog_key,
            target_kind=target.kind if target.catalog_key else None,
            target_version=target.version if target.catalog_key else None,
        )


class RubricLevel(_Model):
    """One level of a rubric / rating scale (Canvas outcome ratings, Banner competency levels)."""

    name: str
    points: float | None = None
    description: str | None = None


class ResultScheme(_Model):
    """How results of an achievement are expressed: letter grades, a rubric, a status."""

    name: str
    result_type: str  # OB ResultType: LetterGrade, RubricCriterionLevel, Status, GradePointAverage…
    allowed_values: tuple[str, ...] = ()
    levels: tuple[RubricLevel, ...] = ()
    required_level: str | None = None
    mastery_points: float | None = None

    @classmethod
    def rubric(cls, name: str, levels: Iterable[RubricLevel], mastery_points: float) -> ResultScheme:
        """A rating scale, highest level first; the required level is the lowest one at or above mastery."""
        ordered = tuple(sorted(levels, key=lambda level: -(level.points or 0)))
        required = next((lv.name for lv in reversed(ordered) if (lv.points or 0) >= mastery_points), None)
        return cls(
            name=name,
            result_type="RubricCriterionLevel",
            levels=ordered,
            required_level=required,
            mastery_points=float(mastery_points),
        )

    def level_for(self, points: float) -> str | None:
        """The highest level whose points `points` reach, None below the lowest."""
        return next((lv.name for lv in self.levels if lv.points is not None and points >= lv.points), None)


class Learner(_Model):
    """A person as one source system knows them.

    `source_id` is the id in that system (Canvas `sis_user_id`, Banner ID, Workday Employee_ID…);
    `institution_id` is the campus-wide id when the source exposes it, used to match the same
    person across systems. `confidential` is the FERPA directory hold / suppression flag.
    """

    source_id: str = Field(min_length=1)
    institution_id: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    email_verified: bool = False
    confidential: bool = False


class Achievement(_Model):
    """What can be achieved: a course, a competency, an activity, a job. `key` is stable per source.

    `catalog_key` is the achievement as the institution's catalog defines it, the same in every
    section, term and source: for a course institution + subject + number (`MATH 101`, or
    `SU:MATH 101` where one issuer covers several institutions), for an outcome its framework id,
    for an activity the activity's id. When it is set the framework keys the achievement by it
    (see `achievement_key`), so sections and terms share one achievement and two sources of the same
    course meet. `version` is the catalog's version (an effective date or term): a new version is a
    new achievement. Section-specific details belong on the `LearningRecord`, not here.
    """

    key: str = Field(min_length=1)
    kind: AchievementKind
    catalog_key: str | None = Field(default=None, min_length=1)
    version: str | None = Field(default=None, min_length=1)
    title: str = Field(min_length=1)
    description: str | None = None
    code: str | None = None
    criteria: str | None = None
    credits: Decimal | None = None
    result_schemes: tuple[ResultScheme, ...] = ()
    alignments: tuple[Alignment, ...] = ()
    associations: tuple[Association, ...] = ()

    @classmethod
    def course(
        cls,
        *,
        key: str,
        title: str,
        code: str | None = None,
        catalog_key: str | None = None,
        credits: Decimal | None = None,
    ) -> Achievement:
        """A catalog course, graded by letter."""
        return cls(
            key=key,
            kind=AchievementKind.course,
            catalog_key=catalog_key,
            title=title,
            code=code,
            credits=credits,
            result_schemes=(ResultScheme(name="Letter grade", result_type="LetterGrade"),),
        )


class Result(_Model):
    """The learner's result: a letter grade, a score, a rubric level, a status."""

    status: ResultStatus = ResultStatus.completed
    grade: str | None = None
    score: float | None = None
    level: str | None = None
    mastered: bool | None = None
    scheme: str | None = None


class Term(_Model):
    """An academic term in one vocabulary for every source: `code` matches across systems (the SIS
    term code, e.g. `202530`), `name` is what a person reads ("Fall 2025") and credentials show."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    start: date | None = None
    end: date | None = None

    @classmethod
    def of(cls, value: Any) -> Any:
        """A bare text is taken as both code and name (plugins written before terms had a model)."""
        if isinstance(value, str):
            text = value.strip()
            return cls(code=text, name=text) if text else None
        return value


class Provenance(_Model):
    """Where a stored record came from; filled by the engine, never part of the content hash."""

    source: str
    plugin: str
    plugin_version: str
    source_record_id: str
    source_updated_at: datetime | None = None
    run_id: str | None = None


class LearningRecord(_Model):
    """Learner × achievement × result, with term, dates, credits and evidence."""

    source_record_id: str = Field(min_length=1)
    learner: Learner
    achievement: Achievement
    result: Result = Result()
    term: Term | None = None
    section: str | None = None
    role: str | None = None
    started_on: date | None = None
    completed_on: date | None = None
    credits_earned: Decimal | None = None
    evidence: tuple[str, ...] = ()
    source_updated_at: datetime | None = None

    @field_validator("source_record_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("term", mode="before")
    @classmethod
    def _term(cls, value: Any) -> Any:
        return Term.of(value)

    def content_hash(self, dumped: dict[str, Any] | None = None) -> str:
        """SHA-256 of the normalized content; fetch and update times are left out on purpose.
        `dumped`: this record's `model_dump(mode="json")`, when the caller has it already."""
        dumped = self.model_dump(mode="json") if dumped is None else dumped
        content = {name: value for name, value in dumped.items() if name != "source_updated_at"}
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @classmethod
    def course(
        cls,
        *,
        source_id: str,
        learner: Learner,
        course_key: str,
        title: str,
        grade: str | None = None,
        score: float | None = None,
        status: ResultStatus = ResultStatus.completed,
        term: Term | str | None = None,
        credits: Decimal | None = None,
        code: str | None = None,
        catalog_key: str | None = None,
        **extra: Any,
    ) -> LearningRecord:
        """A graded course enrollment; credits earned only when completed with a grade."""
        achievement = Achievement.course(
            key=course_key, title=title, code=code, catalog_key=catalog_key, credits=credits
        )
        earned = credits if status is ResultStatus.completed and credits is not None else None
        return cls(
            source_record_id=source_id,
            learner=learner,
            achievement=achievement,
            result=Result(status=status, grade=grade, score=score, scheme="Letter grade"),
            term=term,
            credits_earned=earned,
            **extra,
        )

    @classmethod
    def cocurricular(
        cls,
        *,
        source_id: str,
        learner: Learner,
        activity_key: str,
        activity: str,
        completed_on: date | None = None,
        description: str | None = None,
        catalog_key: str | None = None,
        **extra: Any,
    ) -> LearningRecord:
        """Participation in a co-curricular activity (club, service, leadership, event)."""
        achievement = Achievement(
            key=activity_key,
            kind=AchievementKind.cocurricular,
            catalog_key=catalog_key,
            title=activity,
            description=description,
        )
        status = ResultStatus.completed if completed_on else ResultStatus.in_progress
        return cls(
            source_record_id=source_id,
            learner=learner,
            achievement=achievement,
            result=Result(status=status),
            completed_on=completed_on,
            **extra,
        )


def achievement_key(source: str, achievement: Achievement) -> str:
    """The framework's key of an achievement: by catalog when the plugin gives a catalog key (one
    achievement per course across sections, terms and sources), else per source."""
    return _key(source, achievement.kind, achievement.key, achievement.catalog_key, achievement.version)


def association_target_key(source: str, association: Association) -> str:
    """The framework's key of an association's target, by the same rule as `achievement_key`."""
    return _key(
        source,
        association.target_kind,
        association.target_key,
        association.target_catalog_key,
        association.target_version,
    )


def _key(source: str, kind: AchievementKind | None, key: str, catalog: str | None, version: str | None) -> str:
    if catalog is None or kind is None:
        return f"{source}:{key}"
    return f"catalog:{kind.value}:{catalog}" + (f"@{version}" if version else "")


class Tombstone(_Model):
    """Yielded by `normalize` when the source says a record was deleted: the engine withdraws it."""

    source_record_id: str = Field(min_length=1)
