"""The sandbox campus as Canvas would hold it: accounts, terms, courses, users, enrollments, outcomes.

Deterministic: every id, date and grade comes from the campus, never the clock. One Canvas course per
campus section (`sis_course_id = <term>.<CRN>`), one co-curricular course per activity and term in the
"Co-Curricular" sub-account (course codes `CC-...`); outcomes are account outcomes linked into courses.

Cross-listing: each term, the HIST 201 section is cross-listed into that term's PSYC 201 course (one
class taught under two codes). Its enrollments and outcome results move to the PSYC course (their
`course_id`); the original shell stays, and its roster still carries them (`course_id` naming the course
they now belong to), which is how a careless client counts them twice.

Mastery scales: `outcome` (each outcome carries `mastery_points` and `ratings`) or `account` (the
default of newer Canvas accounts: outcomes carry neither; the scale is the root account's
`outcome_proficiency`, and NURS courses have a stricter one of their own).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from connector_core.sandbox import AS_OF, RATINGS, Campus, Section

MasteryScales = Literal["outcome", "account"]
CROSS_LISTED = ("HIST 201", "PSYC 201")
"""(the catalog course whose sections are cross-listed, the catalog course they are cross-listed into)."""
STRICT_SUBJECT = "NURS"

ROOT, ACADEMICS, COCURRICULAR, CLUBS = 1, 2, 3, 4
ADMIN_ID, TEACHER_ID = 1, 2
LETTER_CUTS = (
    (93, "A"),
    (90, "A-"),
    (87, "B+"),
    (83, "B"),
    (80, "B-"),
    (77, "C+"),
    (73, "C"),
    (70, "C-"),
    (67, "D+"),
    (63, "D"),
    (0, "F"),
)
LETTER_GRADES = {cut[1] for cut in LETTER_CUTS}
SIS_KEYS = {
    "sis_user_id",
    "sis_course_id",
    "sis_section_id",
    "sis_account_id",
    "sis_term_id",
    "sis_import_id",
    "integration_id",
    "login_id",
    "course_integration_id",
    "section_integration_id",
}


def stamp(day: date, end_of_day: bool = False) -> str:
    return f"{day.isoformat()}T{'23:59:59' if end_of_day else '00:00:00'}Z"


def letter_for(score: float) -> str:
    return next(letter for cut, letter in LETTER_CUTS if score >= cut)


def strip_sis(value: Any) -> Any:
    """What a token without 'read SIS data' sees: the SIS fields are omitted, not null."""
    if isinstance(value, dict):
        return {k: strip_sis(v) for k, v in value.items() if k not in SIS_KEYS}
    if isinstance(value, list):
        return [strip_sis(v) for v in value]
    return value


@dataclass
class CanvasData:
    """Canvas objects keyed the way the API looks them up."""

    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    terms: list[dict[str, Any]] = field(default_factory=list)
    courses: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    enrollments: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[int, dict[str, Any]] = field(default_factory=dict)
    course_outcomes: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    results: dict[int, dict[int, dict[int, float]]] = field(default_factory=lambda: defaultdict(dict))
    """course id -> user id -> outcome id -> rollup score."""
    proficiencies: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    """("Account" | "Course", id) -> the mastery scale's ratings, where one is set."""
    home: dict[int, int] = field(default_factory=dict)
    """section key -> the Canvas course id its enrollments belong to (differs when cross-listed)."""

    def enrollment(self, enrollment_id: int) -> dict[str, Any]:
        for rows in self.enrollments.values():
            for row in rows:
                if row["id"] == enrollment_id:
                    return row
        raise KeyError(enrollment_id)

    def set_grade(self, enrollment_id: int, **grades: Any) -> dict[str, Any]:
        """Change an enrollment's `grades` (e.g. final_grade, final_score), as an instructor would."""
        row = self.enrollment(enrollment_id)
        row["grades"].update(grades)
        row["updated_at"] = stamp(AS_OF + timedelta(days=1))
        return row

    def delete_enrollment(self, enrollment_id: int) -> None:
        """Remove an enrollment outright (a hard delete, as an SIS re-import can do)."""
        for rows in self.enrollments.values():
            rows[:] = [row for row in rows if row["id"] != enrollment_id]


def build(campus: Campus, mastery_scales: MasteryScales = "outcome") -> CanvasData:
    data = CanvasData()
    _accounts(data)
    _terms(data, campus)
    _users(data, campus)
    _outcomes(data, campus, mastery_scales)
    _academic(data, campus)
    _cocurricular(data, campus)
    if mastery_scales == "account":
        _proficiencies(data, campus)
    return data


def scale(mastery_at: float) -> list[dict[str, Any]]:
    """An `outcome_proficiency` rating list with `mastery` on the rating worth `mastery_at` points."""
    colors = ("127A1B", "0B874B", "FAB901", "E0061F")
    return [
        {"description": name, "points": points, "mastery": points == mastery_at, "color": color}
        for (points, name), color in zip(RATINGS, colors, strict=True)
    ]


def _proficiencies(data: CanvasData, campus: Campus) -> None:
    data.proficiencies[("Account", ROOT)] = scale(3.0)
    for section in campus.sections:
        if campus.course(section.course_key).subject == STRICT_SUBJECT:
            data.proficiencies[("Course", data.home[section.key])] = scale(4.0)


def _accounts(data: CanvasData) -> None:
    for account_id, name, parent, sis in (
        (ROOT, "Sandbox University", None, "SANDBOX"),
        (ACADEMICS, "Academics", ROOT, "ACADEMICS"),
        (COCURRICULAR, "Co-Curricular", ROOT, "COCURRICULAR"),
        (CLUBS, "Student Clubs", COCURRICULAR, "CLUBS"),
    ):
        data.accounts[account_id] = {
            "id": account_id,
            "name": name,
            "parent_account_id": parent,
            "root_account_id": None if parent is None else ROOT,
            "workflow_state": "active",
            "sis_account_id": sis,
            "default_time_zone": "America/Chicago",
        }


def term_id(key: int) -> int:
    return 10 + key


def _terms(data: CanvasData, campus: Campus) -> None:
    data.terms.append(
        {
            "id": 1,
            "name": "Default Term",
            "start_at": None,
            "end_at": None,
            "created_at": "2024-06-01T00:00:00Z",
            "workflow_state": "active",
            "grading_period_group_id": None,
            "sis_term_id": None,
            "sis_import_id": None,
        }
    )
    for term in campus.terms:
        data.terms.append(
            {
                "id": term_id(term.key),
                "name": term.name,
                "start_at": stamp(term.start),
                "end_at": stamp(term.end, end_of_day=True),
                "created_at": "2024-06-01T00:00:00Z",
                "workflow_state": "active",
                "grading_period_group_id": None,
                "sis_term_id": term.code,
                "sis_import_id": 1,
            }
        )


def _users(data: CanvasData, campus: Campus) -> None:
    data.users[ADMIN_ID] = {
        "id": ADMIN_ID,
        "name": "Sandbox Integration",
        "sortable_name": "Integration, Sandbox",
        "short_name": "Sandbox Integration",
        "first_name": "Sandbox",
        "last_name": "Integration",
        "sis_user_id": None,
        "integration_id": None,
        "login_id": "lerconnect-integration",
        "email": "integration@sandbox.example.edu",
    }
    data.users[TEACHER_ID] = {
        "id": TEACHER_ID,
        "name": "Pat Instructor",
        "sortable_name": "Instructor, Pat",
        "short_name": "Pat Instructor",
        "first_name": "Pat",
        "last_name": "Instructor",
        "sis_user_id": "F0000001",
        "integration_id": None,
        "login_id": "pinstructor",
        "email": "pinstructor@sandbox.example.edu",
    }
    for person in campus.people:
        if person.canvas_user_id is None:  # staff who never studied have no Canvas account
            continue
        data.users[person.canvas_user_id] = {
            "id": person.canvas_user_id,
            "name": f"{person.given_name} {person.family_name}",
            "sortable_name": f"{person.family_name}, {person.given_name}",
            "short_name": person.given_name,
            "first_name": person.given_name,
            "last_name": person.family_name,
            "sis_user_id": person.institution_id,
            "integration_id": f"INT-{person.key:06d}",
            "login_id": person.login_id,
            "email": person.email,
            "sis_import_id": 1,
        }


def outcome_id(key: int) -> int:
    return 300 + key


def _outcomes(data: CanvasData, campus: Campus, mastery_scales: MasteryScales) -> None:
    ratings = [{"description": name, "points": points} for points, name in RATINGS]
    for outcome in campus.outcomes:
        oid = outcome_id(outcome.key)
        data.outcomes[oid] = {
            "id": oid,
            "url": f"/api/v1/outcomes/{oid}",
            "context_id": ROOT,
            "context_type": "Account",
            "title": outcome.title,
            "display_name": None,
            "description": f"<p>{outcome.description}</p>",
            "vendor_guid": outcome.vendor_guid,
            "points_possible": 4.0,
            "mastery_points": outcome.mastery_points,
            "calculation_method": outcome.calculation_method,
            "calculation_int": 65 if outcome.calculation_method == "decaying_average" else None,
            "ratings": ratings,
            "can_edit": False,
            "can_unlink": True,
            "assessed": True,
            "has_updateable_rubrics": False,
        }
        if mastery_scales == "account":  # the account's scale is authoritative: the outcome has none
            for key in ("mastery_points", "ratings", "points_possible"):
                del data.outcomes[oid][key]


def _student_row(
    enrollment_id: int,
    course: dict[str, Any],
    user: dict[str, Any],
    state: str,
    updated: date,
    role: str = "StudentEnrollment",
    section: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An enrollment row; `section` is the course whose default section it is in (`course` unless cross-listed)."""
    section = section or course
    return {
        "id": enrollment_id,
        "course_id": course["id"],
        "sis_course_id": course["sis_course_id"],
        "course_integration_id": None,
        "course_section_id": section["id"],
        "section_integration_id": None,
        "sis_account_id": None,
        "sis_section_id": section["sis_course_id"],
        "sis_user_id": user["sis_user_id"],
        "enrollment_state": state,
        "limit_privileges_to_course_section": False,
        "sis_import_id": 1,
        "root_account_id": ROOT,
        "type": "StudentEnrollment",
        "user_id": user["id"],
        "associated_user_id": None,
        "role": role,
        "role_id": 3,
        "created_at": course["start_at"],
        "updated_at": stamp(updated),
        "start_at": None,
        "end_at": None,
        "last_activity_at": None,
        "last_attended_at": None,
        "total_activity_time": 0,
        "html_url": f"/courses/{course['id']}/users/{user['id']}",
        "grades": {
            "html_url": f"/courses/{course['id']}/grades/{user['id']}",
            "current_grade": None,
            "final_grade": None,
            "current_score": None,
            "final_score": None,
            "unposted_current_grade": None,
            "unposted_final_grade": None,
            "unposted_current_score": None,
            "unposted_final_score": None,
        },
        "override_grade": None,
        "override_score": None,
        "user": {
            k: user[k]
            for k in ("id", "name", "sortable_name", "short_name", "sis_user_id", "integration_id", "login_id")
        },
    }


def _grades(row: dict[str, Any], grade: str | None, score: float | None, state: str, key: int) -> None:
    grades = row["grades"]
    if state == "inactive":
        return
    if state == "active":  # term running: current counts graded work only, final counts the rest as 0
        final = round((score or 0) * 0.7, 1)
        values = {
            "current_score": score,
            "current_grade": letter_for(score or 0),
            "final_score": final,
            "final_grade": letter_for(final),
        }
    else:
        values = {"current_score": score, "current_grade": grade, "final_score": score, "final_grade": grade}
        if grade in LETTER_GRADES and key % 53 == 0:  # Final Grade Override on a few
            row["override_score"] = min(100.0, (score or 0) + 3)
            row["override_grade"] = letter_for(row["override_score"])
    grades.update(values)
    grades.update({f"unposted_{k}": v for k, v in values.items()})


def course_json(
    cid: int,
    term: Any,
    *,
    sis_course_id: str,
    name: str,
    course_code: str,
    account_id: int,
    grading_standard_id: int | None,
    hide_final_grades: bool,
) -> dict[str, Any]:
    """A Canvas Course object as `GET /api/v1/accounts/:id/courses` returns it."""
    return {
        "id": cid,
        "sis_course_id": sis_course_id,
        "uuid": f"sandbox-course-{cid}",
        "integration_id": None,
        "sis_import_id": 1,
        "name": name,
        "course_code": course_code,
        "original_name": None,
        "workflow_state": "completed" if term.closed else "available",
        "account_id": account_id,
        "root_account_id": ROOT,
        "enrollment_term_id": term_id(term.key),
        "grading_standard_id": grading_standard_id,
        "created_at": "2024-06-01T00:00:00Z",
        "start_at": stamp(term.start),
        "end_at": stamp(term.end, end_of_day=True),
        "locale": None,
        "default_view": "modules",
        "is_public": False,
        "time_zone": "America/Chicago",
        "blueprint": False,
        "restrict_enrollments_to_course_dates": False,
        "hide_final_grades": hide_final_grades,
    }


def _academic(data: CanvasData, campus: Campus) -> None:
    for section in campus.sections:
        term, catalog = campus.term(section.term_key), campus.course(section.course_key)
        cid = 10_000 + section.key
        data.courses[cid] = course_json(
            cid,
            term,
            sis_course_id=f"{term.code}.{section.crn}",
            name=catalog.title,
            course_code=catalog.code,
            account_id=ACADEMICS,
            grading_standard_id=1,
            hide_final_grades=False,
        )
        data.course_outcomes[cid] = [outcome_id(o.key) for o in campus.outcomes if o.course_key == catalog.key]
        data.home[section.key] = cid
    _cross_list(data, campus)
    for section in campus.sections:
        course, shell = data.courses[data.home[section.key]], data.courses[10_000 + section.key]
        start = campus.term(section.term_key).start
        teacher = _student_row(900_000 + section.key, course, data.users[TEACHER_ID], "active", start, section=shell)
        teacher.update(type="TeacherEnrollment", role="TeacherEnrollment", role_id=4, grades=None)
        _add(data, section, teacher)
    for enrollment in campus.enrollments:
        section = campus.section(enrollment.section_key)
        row = _student_row(
            100_000 + enrollment.key,
            data.courses[data.home[section.key]],
            data.users[campus.person(enrollment.person_key).canvas_user_id],
            enrollment.state,
            enrollment.updated,
            section=data.courses[10_000 + section.key],
        )
        _grades(row, enrollment.grade, enrollment.score, enrollment.state, enrollment.key)
        _add(data, section, row)
    for result in campus.outcome_results:
        cid = data.home[result.section_key]
        user = campus.person(result.person_key).canvas_user_id
        data.results[cid].setdefault(user, {})[outcome_id(result.outcome_key)] = result.score


def _cross_list(data: CanvasData, campus: Campus) -> None:
    """Move each term's first `CROSS_LISTED[0]` section into that term's first `CROSS_LISTED[1]` course."""
    source, target = CROSS_LISTED
    for term in campus.terms:
        here = [s for s in campus.sections if s.term_key == term.key]
        moved = next((s for s in here if campus.course(s.course_key).code == source), None)
        into = next((s for s in here if campus.course(s.course_key).code == target), None)
        if moved is None or into is None:
            continue
        data.home[moved.key] = data.home[into.key]
        data.course_outcomes[data.home[into.key]] += data.course_outcomes[10_000 + moved.key]


def _add(data: CanvasData, section: Section, row: dict[str, Any]) -> None:
    """File an enrollment under its course, and under the original shell too when cross-listed away."""
    data.enrollments[row["course_id"]].append(row)
    shell = 10_000 + section.key
    if shell != row["course_id"]:
        data.enrollments[shell].append(row)


def cocurricular_course_id(activity_key: int, term_key: int) -> int:
    return 50_000 + term_key * 100 + activity_key


def _cocurricular(data: CanvasData, campus: Campus) -> None:
    for participation in campus.participations:
        term, activity = campus.term(participation.term_key), campus.activity(participation.activity_key)
        cid = cocurricular_course_id(activity.key, term.key)
        if cid not in data.courses:
            data.courses[cid] = course_json(
                cid,
                term,
                sis_course_id=f"CC.{term.code}.{activity.key}",
                name=activity.name,
                course_code=activity.code,
                account_id=CLUBS if activity.category == "Club" else COCURRICULAR,
                grading_standard_id=None,
                hide_final_grades=True,
            )
        state = "completed" if participation.completed_on else "active"
        role = "StudentEnrollment" if participation.role == "Member" else participation.role
        row = _student_row(
            500_000 + participation.key,
            data.courses[cid],
            data.users[campus.person(participation.person_key).canvas_user_id],
            state,
            participation.completed_on or term.start,
            role=role,
        )
        data.enrollments[cid].append(row)
