"""Raw Canvas records (as `pull` assembles them) into LER records; no I/O.

A raw record is self-contained: the Canvas object plus the `user`, `course` and `term` it refers to,
so a dead-lettered record can be normalized again on its own.

Status decisions (Canvas has no withdrawn/incomplete grade of its own):
  enrollment `deleted`                      -> Tombstone (removed at the source, e.g. dropped before census)
  enrollment `inactive`                     -> withdrawn (how SIS imports mark a W)
  active enrollment in a course not concluded -> in_progress, no grade or score (a running score would
                                               change the content hash, and re-issue, every night)
  concluded, grade I                        -> incomplete
  concluded, grade F / NP / "incomplete"    -> failed (OB ResultStatusType Failed; issuing it is policy)
  concluded, any other grade (P, letters)   -> completed
  concluded, no grade and no score          -> in_progress (nothing posted yet)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector_core import (
    Achievement,
    AchievementKind,
    Association,
    Learner,
    LearningRecord,
    RecordError,
    Result,
    ResultScheme,
    ResultStatus,
    RubricLevel,
    Term,
    Tombstone,
    plain_text,
)
from lerconnect_canvas.config import Catalog, Config

FAILED = {"F", "NP", "INCOMPLETE", "FAIL"}
INCOMPLETE = {"I"}
GRADE_FIELDS = {  # grade_source -> (grade field, score field) of the enrollment's `grades`
    "final_grade": ("final_grade", "final_score"),
    "current_grade": ("current_grade", "current_score"),
}
MAX_GRADE_LENGTH = 24

Raw = Mapping[str, Any]


def course_key(course: Mapping[str, Any]) -> str:
    """Canvas course ids never change and are always visible (SIS ids need a permission)."""
    return f"canvas:course:{course['id']}"


def catalog_key(course: Mapping[str, Any], catalog: Catalog) -> str | None:
    """The catalog course a Canvas course (a section in a term) teaches: `MATH 101`, the same in
    every section and term; None when the course has no such field (keyed per Canvas course then)."""
    value = " ".join(str(course.get(catalog.field) or "").split())
    if not value:
        return None
    found = re.match(catalog.pattern, value)
    key = f"{found['subject']} {found['number']}".upper() if found else value.upper()
    return f"{catalog.institution}:{key}" if catalog.institution else key


def section_of(course: Mapping[str, Any]) -> str:
    """The section the record belongs to: the SIS course id (`<term>.<CRN>`) when visible."""
    return str(course.get("sis_course_id") or f"canvas course {course['id']}")


def timestamp(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(f"{field} {value!r} is not an ISO 8601 timestamp", field=field) from None


def day(value: Any, field: str) -> date | None:
    moment = timestamp(value, field)
    return moment.date() if moment else None


def part(raw: Raw, key: str) -> Mapping[str, Any]:
    """A required object of the raw record (`enrollment`, `user`, `course`...), or a RecordError naming it."""
    value = raw.get(key) if isinstance(raw, Mapping) else None
    if not isinstance(value, Mapping):
        raise RecordError(f"the raw record has no `{key}` object (got {value!r})", field=key)
    if key != "score" and "id" not in value:
        raise RecordError(f"the raw record's `{key}` has no id", field=f"{key}.id")
    return value


def term_of(raw: Raw) -> Mapping[str, Any]:
    """The optional `term` object ({} when absent)."""
    value = raw.get("term")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RecordError(f"the raw record's `term` is not an object (got {value!r})", field="term")
    return value


def term_label(term: Mapping[str, Any]) -> str | None:
    """The SIS term code when visible (matches the SIS's own records), else the term's name."""
    return term.get("sis_term_id") or term.get("name")


def term_model(term: Mapping[str, Any]) -> Term | None:
    """The Canvas enrollment term in the common vocabulary: SIS code, name, start, end."""
    code = term_label(term)
    if not code:
        return None
    return Term(
        code=str(code),
        name=str(term.get("name") or code),
        start=day(term.get("start_at"), "term.start_at"),
        end=day(term.get("end_at"), "term.end_at"),
    )


def record_id(stream: str, raw: Raw) -> str:
    """Enrollment id; for outcome scores `<course id>:<user id>:<outcome id>` (Canvas has no id for them)."""

    def id_of(key: str) -> Any:
        value = raw.get(key) if isinstance(raw, Mapping) else None
        return value.get("id", "?") if isinstance(value, Mapping) else "?"

    if stream == "competencies":
        return f"{id_of('course')}:{id_of('user')}:{id_of('outcome')}"
    return str(id_of("enrollment"))


class Normalizer:
    """Turns raw records into LER records the way this source's config says."""

    def __init__(self, config: Config) -> None:
        self.learner_id = config.learner_id
        self.grade_source = config.grade_source
        self.credits_pattern = re.compile(config.credits_pattern) if config.credits_pattern else None
        self.catalog = config.catalog

    def course_achievement(self, course: Mapping[str, Any], kind: AchievementKind) -> Achievement:
        """The catalog course (or activity) a Canvas course shell stands for, without section details."""
        return Achievement(
            key=course_key(course),
            kind=kind,
            catalog_key=catalog_key(course, self.catalog),
            title=course.get("name") or course.get("course_code") or f"Canvas course {course['id']}",
            code=course.get("course_code") if kind is AchievementKind.course else None,
            credits=self.credits(course) if kind is AchievementKind.course else None,
            result_schemes=(
                (ResultScheme(name="Letter grade", result_type="LetterGrade"),)
                if kind is AchievementKind.course
                else ()
            ),
        )

    def __call__(self, stream: str, raw: Raw) -> Iterator[LearningRecord | Tombstone]:
        if stream == "competencies":
            yield from self.competency(raw)
        elif stream == "grades":
            yield from self.course_record(raw)
        elif stream == "cocurricular":
            yield from self.cocurricular(raw)
        else:
            raise RecordError(f"unknown stream {stream!r}", field="stream")

    def learner(self, user: Mapping[str, Any]) -> Learner:
        """The configured `learner_id` field is the key; a user without it cannot be keyed."""
        source_id = user.get(self.learner_id)
        if not isinstance(source_id, str | int) or not str(source_id).strip():
            raise RecordError(
                f"Canvas user {user.get('id')} ({user.get('name')}) has no {self.learner_id}, "
                f"the configured learner_id",
                field=f"user.{self.learner_id}",
            )
        given, family = user.get("first_name"), user.get("last_name")
        if not (given and family) and "," in str(user.get("sortable_name") or ""):
            family, _, given = (part.strip() for part in str(user["sortable_name"]).partition(","))
        return Learner(
            source_id=str(source_id).strip(),
            institution_id=user.get("sis_user_id") or None,
            given_name=given or None,
            family_name=family or None,
            email=user.get("email") or None,
        )

    def grade_and_score(self, enrollment: Mapping[str, Any]) -> tuple[str | None, float | None]:
        grades = enrollment.get("grades") or {}
        if self.grade_source == "override_grade" and (
            enrollment.get("override_grade") is not None or enrollment.get("override_score") is not None
        ):
            pairs = [
                (enrollment.get("override_grade"), "override_grade"),
                (enrollment.get("override_score"), "override_score"),
            ]
        else:
            grade_field, score_field = GRADE_FIELDS.get(self.grade_source, GRADE_FIELDS["final_grade"])
            pairs = [
                (grades.get(grade_field), f"grades.{grade_field}"),
                (grades.get(score_field), f"grades.{score_field}"),
            ]
        (grade, grade_name), (score, score_name) = pairs
        return check_grade(grade, grade_name), check_score(score, score_name)

    def credits(self, course: Mapping[str, Any]) -> Decimal | None:
        if self.credits_pattern is None:
            return None
        found = self.credits_pattern.search(str(course.get("name") or "")) or self.credits_pattern.search(
            str(course.get("course_code") or "")
        )
        if not found:
            return None
        try:
            return Decimal(found.group(1))
        except InvalidOperation:
            raise RecordError(
                f"credits {found.group(1)!r} in course {course.get('id')} name is not a number", field="course.name"
            ) from None

    def course_record(self, raw: Raw) -> Iterator[LearningRecord | Tombstone]:
        enrollment, course, term = part(raw, "enrollment"), part(raw, "course"), term_of(raw)
        state = enrollment.get("enrollment_state")
        if state == "deleted":
            yield Tombstone(source_record_id=str(enrollment["id"]))
            return
        grade, score = self.grade_and_score(enrollment)
        concluded = state == "completed" or course.get("workflow_state") == "completed"
        if state == "inactive":
            status, grade, score = ResultStatus.withdrawn, None, None
        elif not concluded or (grade is None and score is None):
            status, grade, score = ResultStatus.in_progress, None, None
        else:
            status = grade_status(grade)
        end = course.get("end_at") or term.get("end_at")
        achievement = self.course_achievement(course, AchievementKind.course)
        yield LearningRecord(
            source_record_id=str(enrollment["id"]),
            learner=self.learner(part(raw, "user")),
            achievement=achievement,
            result=Result(status=status, grade=grade, score=score, scheme="Letter grade"),
            term=term_model(term),
            section=section_of(course),
            credits_earned=achievement.credits if status is ResultStatus.completed else None,
            started_on=day(course.get("start_at") or term.get("start_at"), "course.start_at"),
            completed_on=day(end, "course.end_at") if status is not ResultStatus.in_progress else None,
            source_updated_at=timestamp(enrollment.get("updated_at"), "enrollment.updated_at"),
        )

    def cocurricular(self, raw: Raw) -> Iterator[LearningRecord | Tombstone]:
        enrollment, course, term = part(raw, "enrollment"), part(raw, "course"), term_of(raw)
        state = enrollment.get("enrollment_state")
        if state == "deleted":
            yield Tombstone(source_record_id=str(enrollment["id"]))
            return
        done = state == "completed" or course.get("workflow_state") == "completed"
        role = enrollment.get("role")
        record = LearningRecord(
            source_record_id=str(enrollment["id"]),
            learner=self.learner(part(raw, "user")),
            achievement=self.course_achievement(course, AchievementKind.cocurricular),
            result=Result(status=ResultStatus.completed if done else ResultStatus.in_progress),
            completed_on=day(course.get("end_at") or term.get("end_at"), "course.end_at") if done else None,
            started_on=day(course.get("start_at") or term.get("start_at"), "course.start_at"),
            term=term_model(term),
            section=section_of(course),
            role=role if isinstance(role, str) and role and not role.endswith("Enrollment") else None,
            source_updated_at=timestamp(enrollment.get("updated_at"), "enrollment.updated_at"),
        )
        if state == "inactive":
            record = record.model_copy(update={"result": Result(status=ResultStatus.withdrawn), "completed_on": None})
        yield record

    def competency(self, raw: Raw) -> Iterator[LearningRecord]:
        outcome, course, score = part(raw, "outcome"), part(raw, "course"), part(raw, "score")
        value = check_score(score.get("score"), "score.score")
        if value is None:
            return
        ratings, mastery = mastery_scale(outcome, raw.get("scale"))
        levels = tuple(
            RubricLevel(name=r.get("description") or str(r.get("points")), points=r.get("points"))
            for r in sorted(ratings, key=lambda r: -(r.get("points") or 0))
        )
        required = next((lv.name for lv in reversed(levels) if (lv.points or 0) >= mastery), None)
        achieved = next((lv.name for lv in levels if lv.points is not None and value >= lv.points), None)
        scheme = ResultScheme(
            name=f"{outcome.get('title')} rating",
            result_type="RubricCriterionLevel",
            levels=levels,
            required_level=required,
            mastery_points=float(mastery),
        )
        achievement = Achievement(
            key=f"canvas:outcome:{outcome['id']}",
            kind=AchievementKind.competency,
            catalog_key=outcome.get("vendor_guid") or f"canvas-outcome-{outcome['id']}",
            title=outcome.get("title") or f"Outcome {outcome['id']}",
            description=plain_text(outcome.get("description")),
            code=outcome.get("vendor_guid") or None,
            criteria=f"Mastery at {mastery:g} points, {outcome.get('calculation_method') or 'default'} of results",
            result_schemes=(scheme,),
            associations=(Association.to(self.course_achievement(course, AchievementKind.course)),),
        )
        mastered = value >= mastery
        yield LearningRecord(
            source_record_id=record_id("competencies", raw),
            learner=self.learner(part(raw, "user")),
            achievement=achievement,
            result=Result(
                status=ResultStatus.completed if mastered else ResultStatus.in_progress,
                score=value,
                level=achieved,
                mastered=mastered,
                scheme=scheme.name,
            ),
            term=term_model(term_of(raw)),
            section=section_of(course),
        )


def has_own_scale(outcome: Mapping[str, Any]) -> bool:
    """Outcomes under account-level mastery scales carry no `mastery_points` of their own."""
    mastery = outcome.get("mastery_points")
    return isinstance(mastery, int | float) and not isinstance(mastery, bool)


def mastery_scale(outcome: Mapping[str, Any], scale: Any) -> tuple[list[Mapping[str, Any]], float]:
    """(ratings, mastery points): the outcome's own, else the course or account scale the record carries."""
    if has_own_scale(outcome):
        return list(outcome.get("ratings") or []), float(outcome["mastery_points"])
    ratings = scale.get("ratings") if isinstance(scale, Mapping) else None
    marked = [r for r in ratings or [] if isinstance(r, Mapping) and r.get("mastery")]
    points = marked[0].get("points") if len(marked) == 1 else None
    if isinstance(points, int | float) and not isinstance(points, bool):
        return list(ratings or []), float(points)
    where = f"the mastery scale of {scale.get('context')}" if isinstance(scale, Mapping) else "no mastery scale"
    raise RecordError(
        f"outcome {outcome.get('id')} has no mastery_points of its own and {where} marks no one rating as mastery "
        "(GET /api/v1/{courses|accounts}/:id/outcome_proficiency): set the mastery scale in Canvas (Account > "
        "Outcomes > Mastery) or give the outcome its own mastery points",
        field="outcome.mastery_points",
    )


def grade_status(grade: str | None) -> ResultStatus:
    if grade is None:
        return ResultStatus.completed
    upper = grade.strip().upper()
    if upper in INCOMPLETE:
        return ResultStatus.incomplete
    if upper in FAILED:
        return ResultStatus.failed
    return ResultStatus.completed


def check_grade(value: Any, field: str) -> str | None:
    """A grade is a short non-empty text (a letter, P/NP, a scheme's name) or null."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_GRADE_LENGTH or not value.isprintable():
        raise RecordError(f"{field} {value!r} is not a grade (expected a short text such as 'B+' or 'P')", field=field)
    return value.strip()


def check_score(value: Any, field: str) -> float | None:
    """Canvas scores are numbers (percent or points) or null; anything else is malformed."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise RecordError(f"{field} {value!r} is not a score (expected a non-negative number or null)", field=field)
    return float(value)
