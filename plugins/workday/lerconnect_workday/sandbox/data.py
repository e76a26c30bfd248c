"""The campus as a Workday tenant holds it: workers (with entry-dated revisions), registrations, learning.

Workers change over time: each change is a revision entered at the tenant's clock, so a request
sees the state as of its `As_Of_Entry_DateTime` and the transaction log (`Updated_From/Through`)
finds the workers changed in a window. A worker holds every position ever held, but `Get_Workers`
shows only those current on `As_Of_Effective_Date` (a terminated worker: the last ones held), as
Workday does; earlier positions are found through the job events of `Get_Worker_Event_History`.
Student and learning data are read as they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connector_core.sandbox import AS_OF, Campus

PROFILE_COMPETENCIES = {
    "JP-1101": (("CMP-INFO", "Information Literacy"),),
    "JP-1102": (("CMP-LABS", "Laboratory Safety Practice"),),
    "JP-1103": (("CMP-CONF", "Conflict Resolution"), ("CMP-COMM", "Interpersonal Communication")),
    "JP-1104": (("CMP-TECH", "Technical Troubleshooting"), ("CMP-COMM", "Interpersonal Communication")),
    "JP-1105": (("CMP-PRES", "Public Presentation"),),
    "JP-2201": (("CMP-ADVS", "Student Advising"),),
    "JP-2202": (("CMP-TECH", "Technical Troubleshooting"), ("CMP-SECU", "Information Security")),
    "JP-2203": (("CMP-PRES", "Public Presentation"),),
    "JP-2204": (("CMP-LABS", "Laboratory Safety Practice"),),
    "JP-2205": (("CMP-RECS", "Records Management"),),
    "JP-2206": (("CMP-CARE", "Patient Care"),),
}
SKILLS = {"Student Worker": ("SK-TEAM", "Teamwork"), "Staff": ("SK-PROJ", "Project Coordination")}
ASSESSED_AFTER = timedelta(days=120)


def wid(*parts: object) -> str:
    """A stable 32-hex Workday ID (tenant-local, never used as a business key by the client)."""
    return uuid.uuid5(uuid.NAMESPACE_OID, "/".join(map(str, parts))).hex


@dataclass(frozen=True)
class Worker:
    employee_id: str
    universal_id: str
    given_name: str
    family_name: str
    email: str
    jobs: tuple[dict[str, Any], ...]
    competencies: tuple[dict[str, Any], ...]
    skills: tuple[dict[str, Any], ...]

    def jobs_on(self, day: date) -> list[dict[str, Any]]:
        """The positions `Get_Workers` shows as of the effective `day`: current ones, else the last held."""
        today = day.isoformat()  # ISO strings compare as dates, and a malformed one is still served
        current = [j for j in self.jobs if j["start"] <= today and (j["end"] is None or j["end"] >= today)]
        if current:
            return current
        ended = [j for j in self.jobs if j["end"] is not None and j["end"] < today]
        if ended:
            last = max(j["end"] for j in ended)
            return [j for j in ended if j["end"] == last]
        return list(self.jobs)  # hired with a future start: shown ahead of it


@dataclass(frozen=True)
class Event:
    """One business process of a worker, as `Get_Worker_Event_History` lists it."""

    event_id: str
    type: str
    effective: date
    entered: datetime


def midnight(day: date) -> datetime:
    """The moment an effective date begins (the tenant's clock is UTC)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _day(value: str) -> date:
    return date.fromisoformat(value)


def _valid(value: str) -> bool:
    try:
        _day(value)
    except ValueError:
        return False
    return True


def job_events(worker: Worker) -> set[tuple[str, date, str]]:
    """(event type, effective date, position) of every job move: the first day in or out of a position.

    An ended position's event takes effect the day after its last day (a termination the day after
    the termination date); a move straight into a new position is one `Change Job`.
    """
    jobs = [j for j in worker.jobs if _valid(j["start"]) and (j["end"] is None or _valid(j["end"]))]
    first = min((_day(j["start"]) for j in jobs), default=None)
    events = set()
    for job in jobs:
        start = _day(job["start"])
        others = [j for j in jobs if j is not job]
        if job["end"] is not None:
            after = _day(job["end"]) + timedelta(days=1)
            if any(_day(j["start"]) == after for j in others):
                events.add(("Change Job", after, job["position_id"]))
            elif any(_day(j["start"]) < after and (j["end"] is None or _day(j["end"]) >= after) for j in others):
                events.add(("End Additional Job", after, job["position_id"]))
            else:
                events.add(("Termination", after, job["position_id"]))
        if any(j["end"] is not None and _day(j["end"]) + timedelta(days=1) == start for j in others):
            continue  # the Change Job above
        kind = "Hire" if start == first else "Add Additional Job"
        events.add((kind, start, job["position_id"]))
    return events


def title_events(before: Worker, after: Worker, day: date) -> set[tuple[str, date, str]]:
    """A business-title change is an event too, one that moves no one out of a position."""
    titles = {j["position_id"]: j["business_title"] for j in before.jobs}
    return {
        ("Change Business Title", day, j["position_id"])
        for j in after.jobs
        if j["position_id"] in titles and titles[j["position_id"]] != j["business_title"]
    }


@dataclass
class Tenant:
    """A sandbox tenant: its clock, users, served versions and data."""

    campus: Campus
    name: str = "sandbox_university"
    versions: frozenset[str] = frozenset({"v31.2", "v43.0"})
    users: dict[str, str] = field(default_factory=lambda: {"isu_lerconnect": "sandbox-isu-password"})
    denied: dict[str, set[str]] = field(default_factory=dict)
    """user -> services its security group may not read (a Processing_Fault "not authorized")."""
    secured: set[str] = field(default_factory=set)
    """Worker_Data elements the ISU may not see (left out, as Workday does)."""
    offset: timedelta = timedelta(0)
    revisions: dict[str, list[tuple[datetime, Worker]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        entered = self.now() - timedelta(days=1)
        for worker in build_workers(self.campus):
            self.revisions[worker.employee_id] = [(entered, worker)]

    def now(self) -> datetime:
        """The tenant's clock (what `Get_Server_Timestamp` answers)."""
        return datetime.now(UTC).replace(microsecond=0) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)

    def change_worker(self, employee_id: str, change: Callable[[Worker], Worker]) -> None:
        """Enter a change now (a new revision in the transaction log)."""
        history = self.revisions[employee_id]
        history.append((self.now(), change(history[-1][1])))

    def retitle(self, employee_id: str, title: str) -> None:
        """Change the business title of the worker's first job (a promotion, a correction)."""
        self.change_worker(
            employee_id, lambda w: replace(w, jobs=({**w.jobs[0], "business_title": title}, *w.jobs[1:]))
        )

    def hire(self, worker: Worker) -> None:
        self.revisions[worker.employee_id] = [(self.now(), worker)]

    def workers(self, as_of: datetime) -> list[Worker]:
        """Every worker as entered by `as_of`, by Employee_ID."""
        out = []
        for employee_id in sorted(self.revisions):
            seen = [w for entered, w in self.revisions[employee_id] if entered <= as_of]
            if seen:
                out.append(seen[-1])
        return out

    def today(self) -> date:
        """The default `As_Of_Effective_Date`: the tenant's today."""
        return self.now().date()

    def events(self, employee_id: str) -> list[Event]:
        """Every event of the worker, each entered with the revision that brought it."""
        out: list[Event] = []
        seen: set[tuple[str, date, str]] = set()
        previous: Worker | None = None
        for entered, worker in self.revisions.get(employee_id, ()):
            found = job_events(worker)
            if previous is not None:
                found |= title_events(previous, worker, entered.date())
            for kind, effective, position in sorted(found - seen, key=lambda e: (e[1], e[0])):
                out.append(Event(wid("event", employee_id, kind, effective, position)[:12], kind, effective, entered))
            seen |= found
            previous = worker
        return out

    def effective_changed(self, start: datetime | None, end: datetime | None, as_of: datetime) -> set[str]:
        """Employee_IDs with an event entered by `as_of` taking effect in [start, end] (a move entered ahead)."""
        return {
            employee_id
            for employee_id in self.revisions
            if any(
                e.entered <= as_of
                and (start is None or midnight(e.effective) >= start)
                and (end is None or midnight(e.effective) <= end)
                for e in self.events(employee_id)
            )
        }

    def changed(self, start: datetime | None, end: datetime | None) -> set[str]:
        """Employee_IDs with a revision entered in [start, end] (the transaction log's answer)."""
        return {
            employee_id
            for employee_id, history in self.revisions.items()
            if any((start is None or entered >= start) and (end is None or entered <= end) for entered, _ in history)
        }


def build_workers(campus: Campus) -> list[Worker]:
    workers = []
    for person in campus.people:
        if not person.workday_employee_id:
            continue
        jobs = sorted(
            (j for j in campus.jobs if j.person_key == person.key), key=lambda j: (j.end is not None, j.start)
        )
        competencies: dict[str, dict[str, Any]] = {}
        for job in jobs:
            assessed = job.start + ASSESSED_AFTER
            if assessed > AS_OF:
                continue
            for competency_id, name in PROFILE_COMPETENCIES.get(job.job_profile_id, ()):
                competencies.setdefault(
                    competency_id, {"id": competency_id, "name": name, "level": "Proficient", "assessed_on": assessed}
                )
        skill_id, skill = SKILLS[jobs[0].worker_type]
        workers.append(
            Worker(
                employee_id=person.workday_employee_id,
                universal_id=person.institution_id,
                given_name=person.given_name,
                family_name=person.family_name,
                email=person.email,
                jobs=tuple(
                    {
                        "position_id": job.position_id,
                        "title": job.title,
                        "business_title": job.title,
                        "job_profile_id": job.job_profile_id,
                        "job_profile": job.title,
                        "worker_type": job.worker_type,
                        "organization": job.department,
                        "start": job.start.isoformat(),
                        "end": job.end.isoformat() if job.end else None,
                        "hours": job.hours_per_week,
                        "primary": index == 0 and job.end is None,
                    }
                    for index, job in enumerate(jobs)
                ),
                competencies=tuple(competencies.values()),
                skills=({"id": skill_id, "name": skill},),
            )
        )
    return workers


def registrations(campus: Campus) -> list[dict[str, Any]]:
    out = []
    for enrollment in campus.enrollments:
        person, section = campus.person(enrollment.person_key), campus.section(enrollment.section_key)
        course, term = campus.course(section.course_key), campus.term(section.term_key)
        status = "Withdrawn" if enrollment.state == "inactive" else ("Completed" if term.closed else "Registered")
        out.append(
            {
                "id": f"SCR-{enrollment.key:07d}",
                "student_id": person.workday_student_id,
                "student": f"{person.given_name} {person.family_name}",
                "universal_id": person.institution_id,
                "period_id": term.code,
                "period": term.name,
                "course_listing_id": f"{course.subject}_{course.number}",
                "course": f"{course.code} - {course.title}",
                "section_id": f"{course.subject}_{course.number}-{section.number}-{term.code}",
                "units": course.credits,
                "grading_basis": "Pass_Fail" if course.credits == 1 else "Letter",
                "grade": enrollment.grade,
                "status": status,
                "registered": (term.start - timedelta(days=30)).isoformat(),
                "withdrawn": enrollment.updated.isoformat() if status == "Withdrawn" else None,
                "completed": term.end.isoformat() if status == "Completed" else None,
            }
        )
    return out


def student_competencies(campus: Campus) -> list[dict[str, Any]]:
    out = []
    for result in campus.outcome_results:
        outcome = campus.outcome(result.outcome_key)
        if result.score < outcome.mastery_points:
            continue
        person = campus.person(result.person_key)
        out.append(
            {
                "id": f"SC-{result.key:07d}",
                "student_id": person.workday_student_id,
                "competency_id": f"CMP-OUT-{outcome.key:04d}",
                "name": outcome.title,
                "assigned_on": result.assessed.isoformat(),
            }
        )
    return out


def accomplishments(campus: Campus) -> list[dict[str, Any]]:
    out = []
    for item in campus.participations:
        person, activity, term = (
            campus.person(item.person_key),
            campus.activity(item.activity_key),
            campus.term(item.term_key),
        )
        out.append(
            {
                "id": f"ACC-{item.key:06d}",
                "student_id": person.workday_student_id,
                "type": activity.category,
                "title": activity.name,
                "date": (item.completed_on or term.start).isoformat(),
                "completed": item.completed_on is not None,
            }
        )
    return out


def learning_enrollments(campus: Campus) -> list[dict[str, Any]]:
    out = []
    for training in campus.trainings:
        person = campus.person(training.person_key)
        out.append(
            {
                "id": f"LE-{training.key:06d}",
                "content_id": training.course_id,
                "content": training.title,
                "employee_id": person.workday_employee_id,
                "registered": (training.completed_on - timedelta(days=7)).isoformat(),
                "completed": f"{training.completed_on.isoformat()}T10:00:00.000-07:00",
                "score": training.score,
                "grade": "Pass",
            }
        )
    return out
