"""Raw Banner records (as `pull` joins them) into LER records; no I/O.

Status decisions:
  transcript grade W                       -> withdrawn
  transcript grade I                       -> incomplete
  transcript grade F / NP                  -> failed
  transcript grade, any other letter / P   -> completed (the official, rolled grade)
  registration withdrawn / dropped / canceled -> withdrawn
  registration registered (term running)   -> in progress; a faculty-entered grade is kept, flagged
                                              "Unverified letter grade", never completed, never issued
  a `deleted` notification                 -> Tombstone (the engine withdraws the record)
  a BP API student activity (SGRSACT)      -> co-curricular, completed when its term has ended
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from connector_core import Learner, LearningRecord, RecordError, Result, ResultStatus, Term, Tombstone

Raw = Mapping[str, Any]
ACTIVITIES = "general-student-activities"
FAILED = {"F", "NP"}
UNVERIFIED_SCHEME = "Unverified letter grade"


def record_id(raw: Raw) -> str:
    return str(raw.get("id", "?")) if isinstance(raw, Mapping) else "?"


def part(raw: Raw, key: str, what: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise RecordError(f"{what} did not resolve (got {value!r}): its GUID is unknown to the tenant", field=key)
    return value


def text(value: Any, field: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RecordError(f"{what} is missing or not text (got {value!r})", field=field)
    return value.strip()


def day(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise RecordError(f"{field} {value!r} is not an ISO 8601 date", field=field) from None


def credits(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"course credits {value!r} are not a number", field="course.credits") from None
    if not amount.is_finite() or amount < 0:
        raise RecordError(f"course credits {value!r} are not a non-negative number", field="course.credits")
    return amount


def learner(raw: Raw) -> Learner:
    person = part(raw, "learner", "the learner (persons GUID)")
    banner_id = text(person.get("bannerId"), "learner.bannerId", "the learner's Banner ID (credentials[bannerId])")
    return Learner(
        source_id=banner_id,
        institution_id=banner_id,
        given_name=person.get("firstName") or None,
        family_name=person.get("lastName") or None,
        email=person.get("email") or None,
        confidential=bool(person.get("confidential")),
    )


def term(raw: Raw, *, required: bool = True) -> Term | None:
    """The academic period in the common vocabulary: Banner term code, title, start, end."""
    period = raw.get("term")
    if period is None and not required:
        return None
    period = part(raw, "term", "the academic period")
    code = text(period.get("code"), "term.code", "the academic period code")
    return Term(
        code=code,
        name=period.get("title") or code,
        start=day(period.get("startOn"), "term.startOn"),
        end=day(period.get("endOn"), "term.endOn"),
    )


def course_record(raw: Raw, status: ResultStatus, grade: str | None, scheme: str = "Letter grade") -> LearningRecord:
    course = part(raw, "course", "the course (sections -> courses GUID)")
    section = part(raw, "section", "the section (sections GUID)")
    period = term(raw)
    assert period is not None
    subject = text(course.get("subject"), "course.subject", "the course's subject code")
    number = text(course.get("number"), "course.number", "the course number")
    record = LearningRecord.course(
        source_id=text(raw.get("id"), "id", "the record's GUID"),
        learner=learner(raw),
        course_key=f"banner:course:{subject}-{number}",
        title=text(course.get("title"), "course.title", "the course title"),
        grade=grade,
        status=status,
        term=period,
        credits=credits(course.get("credits")),
        code=f"{subject} {number}",
        catalog_key=f"{subject} {number}".upper(),
        section=section.get("crn") or section.get("code") or None,
        started_on=period.start,
        completed_on=period.end if status is ResultStatus.completed else None,
    )
    if scheme != "Letter grade":
        record = record.model_copy(update={"result": Result(status=status, grade=grade, scheme=scheme)})
    return record


def transcript_status(grade: str) -> ResultStatus:
    if grade == "W":
        return ResultStatus.withdrawn
    if grade == "I":
        return ResultStatus.incomplete
    if grade in FAILED:
        return ResultStatus.failed
    return ResultStatus.completed


def grades(raw: Raw) -> Iterator[LearningRecord | Tombstone]:
    if raw.get("operation") == "deleted":
        yield Tombstone(source_record_id=text(raw.get("id"), "id", "the deleted record's GUID"))
        return
    resource = raw.get("resource")
    if resource == "student-transcript-grades":
        letter = text(raw.get("grade"), "grade", "the grade (grade-definitions GUID)")
        yield course_record(raw, transcript_status(letter), letter)
    elif resource == "section-registrations":
        status = raw.get("status")
        if status in ("withdrawn", "dropped", "canceled", "notRegistered"):
            yield course_record(raw, ResultStatus.withdrawn, None)
        elif status == "registered":
            unverified = raw.get("unverifiedGrade")
            if unverified is None:
                yield course_record(raw, ResultStatus.in_progress, None)
            else:
                letter = text(unverified, "unverifiedGrade", "the unverified grade")
                yield course_record(raw, ResultStatus.in_progress, letter, UNVERIFIED_SCHEME)
        else:
            raise RecordError(f"registration status {status!r} is not one Banner sends", field="status")
    else:
        raise RecordError(f"resource {resource!r} does not belong to the grades stream", field="resource")


def cocurricular(raw: Raw) -> Iterator[LearningRecord | Tombstone]:
    if raw.get("operation") == "deleted":
        yield Tombstone(source_record_id=text(raw.get("id"), "id", "the deleted record's GUID"))
        return
    activity = part(raw, "activity", "the activity (campus-organizations / student-cohorts GUID)")
    name = text(activity.get("title"), "activity.title", "the activity's name")
    key = activity.get("code") or name
    if raw.get("resource") == ACTIVITIES:
        key = text(activity.get("code"), "actcCode", "the activity code (SGRSACT_ACTC_CODE)")
        code = text(raw.get("termCode"), "termCode", "the activity's term code (SGRSACT_TERM_CODE)")
        if raw.get("term") is None:
            raise RecordError(
                f"term code {code!r} is not an academic-periods code this tenant serves", field="termCode"
            )
    role = raw.get("role")
    yield LearningRecord.cocurricular(
        source_id=text(raw.get("id"), "id", "the record's GUID"),
        learner=learner(raw),
        activity_key=f"banner:activity:{key}",
        activity=name,
        catalog_key=activity.get("code") or None,  # student life's activity code, as every system files it
        completed_on=day(raw.get("endOn"), "endOn"),
        started_on=day(raw.get("startOn"), "startOn"),
        term=term(raw, required=False),
        role=role if isinstance(role, str) and role else None,
    )
