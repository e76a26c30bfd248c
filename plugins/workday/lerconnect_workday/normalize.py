"""Raw Workday records -> LER records: courses, competencies, co-curricular, training, employment.

A person is known by `Universal_ID` (Workday's person-level id, shared by their student and worker
roles) when the answer carries it, so one person's records from every role meet in one learner;
else by the role's own id (`student:<Student_ID>`, `worker:<Employee_ID>`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from connector_core import (
    Achievement,
    AchievementKind,
    Learner,
    LearningRecord,
    RecordError,
    Result,
    ResultStatus,
    Term,
    Tombstone,
)

Raw = Mapping[str, Any]
FAILING = {"F", "NP", "U"}
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def record_id(stream: str, raw: Raw) -> str:
    return str(raw.get("id") or raw.get("employee_id") or "?")


def normalize(stream: str, raw: Raw) -> Iterable[LearningRecord | Tombstone]:
    if stream == "employment":
        return list(_employment(raw))
    if stream == "learning":
        return [_training(raw)]
    if stream == "grades":
        return [_course(raw)]
    if stream == "cocurricular":
        return [_cocurricular(raw)]
    if stream == "competencies":
        return list(_worker_competencies(raw)) if raw.get("kind") == "worker" else [_student_competency(raw)]
    raise RecordError(f"workday has no stream {stream!r}", field="stream")


def workday_date(value: Any, field: str) -> date | None:
    """A Workday date or dateTime (`2024-05-10`, `2024-05-10-07:00`, `2024-05-10T12:00:00.000-07:00`)."""
    if value in (None, ""):
        return None
    match = _DATE.match(str(value))
    try:
        if match is None:
            raise ValueError
        return date.fromisoformat(match.group(1))
    except ValueError:
        raise RecordError(f"{field} {value!r} is not a Workday date (YYYY-MM-DD)", field=field) from None


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{field} {value!r} is not a number", field=field) from None


def _required(raw: Raw, field: str, what: str) -> str:
    value = raw.get(field)
    if not value:
        raise RecordError(f"the {what} has no {field}", field=field)
    return str(value)


def worker_learner(person: Raw) -> Learner:
    employee_id = _required(person, "employee_id", "worker")
    return Learner(
        source_id=person.get("universal_id") or f"worker:{employee_id}",
        institution_id=person.get("universal_id"),
        given_name=person.get("given_name"),
        family_name=person.get("family_name"),
        email=person.get("email"),
    )


def student_learner(raw: Raw) -> Learner:
    student_id = _required(raw, "student_id", "student record")
    universal = raw.get("universal_id")
    return Learner(source_id=universal or f"student:{student_id}", institution_id=universal)


def _employment(raw: Raw) -> Iterable[LearningRecord]:
    """A record per position. A position is completed only once its End_Date is behind the day the
    answer describes (`as_of`): a fixed-term contract's End_Date ahead is a plan, and still in progress."""
    learner = worker_learner(raw)
    as_of = workday_date(raw.get("as_of"), "As_Of_Effective_Date")
    for job in raw.get("jobs") or ():
        position = _required(job, "position_id", "job")
        start = workday_date(job.get("start"), "Start_Date")
        if start is None:
            raise RecordError(f"position {position} has no Start_Date", field="Start_Date")
        end = workday_date(job.get("end"), "End_Date")
        ended = end is not None and (as_of is None or end < as_of)  # an End_Date still ahead is only planned
        profile = job.get("job_profile_id") or position
        title = job.get("business_title") or job.get("title") or job.get("job_profile") or position
        where = ", ".join(x for x in (job.get("worker_type"), job.get("organization")) if x)
        yield LearningRecord(
            source_record_id=f"{raw['employee_id']}/{position}",
            learner=learner,
            achievement=Achievement(
                key=f"job-profile/{profile}",
                kind=AchievementKind.employment,
                catalog_key=f"job-profile:{profile}",
                title=job.get("job_profile") or title,
                code=job.get("job_profile_id"),
                description=f"Position held at the institution{': ' + where if where else ''}.",
            ),
            result=Result(status=ResultStatus.completed if ended else ResultStatus.in_progress, level=title),
            started_on=start,
            completed_on=end if ended else None,
        )


def _training(raw: Raw) -> LearningRecord | Tombstone:
    source_id = _required(raw, "id", "learning enrollment")
    if raw.get("rescinded"):
        return Tombstone(source_record_id=source_id)
    person = raw.get("learner") or {"employee_id": raw.get("employee_id")}
    completed = workday_date(raw.get("completed"), "Learning_Enrollment_Completion_Date")
    score = _decimal(raw.get("score"), "Overall_Course_Score")
    content = _required(raw, "content_id", "learning enrollment")
    return LearningRecord(
        source_record_id=source_id,
        learner=worker_learner(person),
        achievement=Achievement(
            key=f"learning/{content}",
            kind=AchievementKind.training,
            title=raw.get("content") or content,
            code=content,
        ),
        result=Result(
            status=ResultStatus.completed if completed else ResultStatus.in_progress,
            score=float(score) if score is not None else None,
            grade=raw.get("grade"),
        ),
        started_on=workday_date(raw.get("registered"), "Registered_Date"),
        completed_on=completed,
    )


def _course(raw: Raw) -> LearningRecord:
    listing = _required(raw, "course_listing_id", "registration")
    code, _, title = (raw.get("course") or listing).partition(" - ")
    grade = raw.get("grade")
    return LearningRecord.course(
        source_id=_required(raw, "id", "registration"),
        learner=student_learner(raw),
        course_key=f"course/{listing}",
        title=title or code,
        code=code if title else None,
        grade=grade,
        status=_course_status(raw),
        term=Term(code=raw["period_id"], name=raw.get("period") or raw["period_id"]) if raw.get("period_id") else None,
        catalog_key=code if title else listing,
        credits=_decimal(raw.get("units"), "Units"),
        completed_on=workday_date(raw.get("completed"), "Completed_Date"),
        started_on=workday_date(raw.get("registered"), "Registered_Date"),
    )


def _course_status(raw: Raw) -> ResultStatus:
    grade = raw.get("grade")
    if raw.get("withdrawn") or grade == "W":
        return ResultStatus.withdrawn
    if grade is None:
        return ResultStatus.in_progress
    if grade == "I":
        return ResultStatus.incomplete
    return ResultStatus.failed if grade in FAILING else ResultStatus.completed


def _cocurricular(raw: Raw) -> LearningRecord:
    title = _required(raw, "title", "accomplishment")
    kind = raw.get("type") or "Accomplishment"
    return LearningRecord.cocurricular(
        source_id=_required(raw, "id", "accomplishment"),
        learner=student_learner(raw),
        activity_key=f"accomplishment/{kind}/{title}",
        activity=title,
        description=f"{kind} recorded by the institution.",
        completed_on=workday_date(raw.get("date"), "Accomplishment_Date") if raw.get("completed") else None,
    )


def _competency(learner: Learner, record_id: str, key: str, name: str, level: str | None, on: date | None):
    return LearningRecord(
        source_record_id=record_id,
        learner=learner,
        achievement=Achievement(
            key=f"competency/{key}",
            kind=AchievementKind.competency,
            catalog_key=f"competency:{key}",
            title=name,
            code=key,
        ),
        result=Result(status=ResultStatus.completed, level=level, mastered=True),
        completed_on=on,
    )


def _worker_competencies(raw: Raw) -> Iterable[LearningRecord]:
    learner = worker_learner(raw)
    worker = raw["employee_id"]
    for item in raw.get("competencies") or ():
        key = _required(item, "competency_id", "competency")
        on = workday_date(item.get("assessed_on"), "Assessed_On")
        yield _competency(learner, f"{worker}/competency/{key}", key, item.get("name") or key, item.get("level"), on)
    for item in raw.get("skills") or ():
        key = _required(item, "skill_id", "skill")
        yield _competency(learner, f"{worker}/skill/{key}", f"skill/{key}", item.get("name") or key, None, None)


def _student_competency(raw: Raw) -> LearningRecord:
    key = _required(raw, "competency_id", "student competency")
    on = workday_date(raw.get("assigned_on"), "Student_Competency_Manual_Assignment_Date")
    source_id = _required(raw, "id", "student competency")
    return _competency(student_learner(raw), source_id, key, raw.get("name") or key, None, on)
