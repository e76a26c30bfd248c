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

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
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
    read,
)
from lerconnect_canvas.config import Catalog, Config

FAILED = {"F", "NP", "INCOMPLETE", "FAIL"}
GRADE_FIELDS = {  # grade_source -> (grade field, score field) of the enrollment's `grades`
    "final_grade": ("final_grade", "final_score"),
    "current_grade": ("current_grade", "current_score"),
}
OVERRIDE = ("override_grade", "override_score")
KINDS = {"grades": AchievementKind.course, "cocurricular": AchievementKind.cocurricular}

Raw = Mapping[str, Any]


def course_key(course: Mapping[str, Any]) -> str:
    """Canvas course ids never change and are always visible (SIS ids need a permission)."""
    return f"canvas:course:{course['id']}"


def course_title(course: Mapping[str, Any]) -> str:
    return course.get("name") or course.get("course_code") or f"Canvas course {course['id']}"


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
        start=read.day(term.get("start_at"), "term.start_at"),
        end=read.day(term.get("end_at"), "term.end_at"),
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

    def __call__(self, stream: str, raw: Raw) -> Iterator[LearningRecord | Tombstone]:
        if stream == "competencies":
            yield from self.competency(raw)
        elif stream in KINDS:
            yield from self.enrollment(raw, KINDS[stream])
        else:
            raise RecordError(f"unknown stream {stream!r}", field="stream")

    def course(self, course: Mapping[str, Any]) -> Achievement:
        """The catalog course a Canvas course shell stands for, without section details."""
        return Achievement.course(
            key=course_key(course),
            title=course_title(course),
            code=course.get("course_code"),
            catalog_key=catalog_key(course, self.catalog),
            credits=self.credits(course),
        )

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
        """The configured grade source's grade and score; an override only where the teacher set one."""
        if self.grade_source == "override_grade" and any(enrollment.get(k) is not None for k in OVERRIDE):
            where, prefix, (grade, score) = enrollment, "", OVERRIDE
        else:
            where, prefix = enrollment.get("grades") or {}, "grades."
            grade, score = GRADE_FIELDS.get(self.grade_source, GRADE_FIELDS["final_grade"])
        return read.grade(where.get(grade), prefix + grade), read.score(where.get(score), prefix + score)

    def credits(self, course: Mapping[str, Any]) -> Decimal | None:
        if self.credits_pattern is None:
            return None
        found = self.credits_pattern.search(str(course.get("name") or "")) or self.credits_pattern.search(
            str(course.get("course_code") or "")
        )
        return read.amount(found.group(1), "course.name") if found else None

    def course_result(self, enrollment: Mapping[str, Any], concluded: bool) -> Result:
        grade, score = self.grade_and_score(enrollment)
        if enrollment.get("enrollment_state") == "inactive":
            return Result(status=ResultStatus.withdrawn, scheme="Letter grade")
        if not concluded or (grade is None and score is None):
            return Result(status=ResultStatus.in_progress, scheme="Letter grade")
        status = ResultStatus.of_grade(grade or "", failing=FAILED)
        return Result(status=status, grade=grade, score=score, scheme="Letter grade")

    def enrollment(self, raw: Raw, kind: AchievementKind) -> Iterator[LearningRecord | Tombstone]:
        """A course enrollment (graded) or a co-curricular one (taking part, in a role)."""
        enrollment, course = read.part(raw, "enrollment"), read.part(raw, "course")
        term = read.part(raw, "term", needs=(), optional=True)
        state = enrollment.get("enrollment_state")
        if state == "deleted":
            yield Tombstone(source_record_id=str(enrollment["id"]))
            return
        concluded = state == "completed" or course.get("workflow_state") == "completed"
        role = None
        if kind is AchievementKind.course:
            achievement, result = self.course(course), self.course_result(enrollment, concluded)
            ended = result.status is not ResultStatus.in_progress  # a withdrawal ends on the last day too
        else:
            key, title = course_key(course), course_title(course)
            achievement = Achievement(key=key, kind=kind, catalog_key=catalog_key(course, self.catalog), title=title)
            done = ResultStatus.completed if concluded else ResultStatus.in_progress
            result = Result(status=ResultStatus.withdrawn if state == "inactive" else done)
            ended, role = result.status is ResultStatus.completed, enrollment.get("role")
        yield LearningRecord(
            source_record_id=str(enrollment["id"]),
            learner=self.learner(read.part(raw, "user")),
            achievement=achievement,
            result=result,
            term=term_model(term),
            section=section_of(course),
            role=role if isinstance(role, str) and role and not role.endswith("Enrollment") else None,
            credits_earned=achievement.credits if result.status is ResultStatus.completed else None,
            started_on=read.day(course.get("start_at") or term.get("start_at"), "course.start_at"),
            completed_on=read.day(course.get("end_at") or term.get("end_at"), "course.end_at") if ended else None,
            source_updated_at=read.timestamp(enrollment.get("updated_at"), "enrollment.updated_at"),
        )

    def competency(self, raw: Raw) -> Iterator[LearningRecord]:
        outcome, course = read.part(raw, "outcome"), read.part(raw, "course")
        value = read.score(read.part(raw, "score", needs=()).get("score"), "score.score")
        if value is None:
            return
        ratings, mastery = mastery_scale(outcome, raw.get("scale"))
        levels = (
            RubricLevel(name=r.get("description") or str(r.get("points")), points=r.get("points")) for r in ratings
        )
        scheme = ResultScheme.rubric(f"{outcome.get('title')} rating", levels, mastery)
        achievement = Achievement(
            key=f"canvas:outcome:{outcome['id']}",
            kind=AchievementKind.competency,
            catalog_key=outcome.get("vendor_guid") or f"canvas-outcome-{outcome['id']}",
            title=outcome.get("title") or f"Outcome {outcome['id']}",
            description=plain_text(outcome.get("description")),
            code=outcome.get("vendor_guid") or None,
            criteria=f"Mastery at {mastery:g} points, {outcome.get('calculation_method') or 'default'} of results",
            result_schemes=(scheme,),
            associations=(Association.to(self.course(course)),),
        )
        mastered = value >= mastery
        yield LearningRecord(
            source_record_id=record_id("competencies", raw),
            learner=self.learner(read.part(raw, "user")),
            achievement=achievement,
            result=Result(
                status=ResultStatus.completed if mastered else ResultStatus.in_progress,
                score=value,
                level=scheme.level_for(value),
                mastered=mastered,
                scheme=scheme.name,
            ),
            term=term_model(read.part(raw, "term", needs=(), optional=True)),
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
