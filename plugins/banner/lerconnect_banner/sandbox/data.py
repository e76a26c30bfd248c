"""The sandbox campus as Ethos (EEDM) resources: GUID references everywhere, Banner codes on code tables.

Ended terms are rolled to academic history (`student-transcript-grades`, withdrawals as W); the
running term has registrations only, some with a faculty-entered (unverified) grade. Participations
are also SGRSACT rows for the Business Process API `general-student-activities` (code-based, per
Banner ID) with the campus activity categories as `activity-types` (STVACTP).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector_core.sandbox import AS_OF, Campus

Resource = list[dict[str, Any]]
GRADE_LETTERS = ("A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "F", "W", "I", "P", "NP")
ROLES = ("Member", "Volunteer", "Officer")


def stamp(day: Any) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def activity_type(category: str) -> str:
    """An STVACTP code (four letters, as Banner validation codes are) for a campus activity category."""
    return category[:4].upper()


def unverified_letter(score: float) -> str:
    for floor, letter in ((90, "A"), (80, "B"), (70, "C"), (60, "D")):
        if score >= floor:
            return letter
    return "F"


@dataclass
class EthosData:
    """Every resource the sandbox serves, by name, in a stable order; mutable for change tests."""

    campus: Campus
    resources: dict[str, Resource] = field(default_factory=dict)

    def __post_init__(self) -> None:
        c = self.campus
        g = c.guid
        self.scheme = g("grade-scheme", 1)
        self.resources = {
            "persons": [self._person(p) for p in c.people if p.banner_guid],
            "academic-periods": [
                {
                    "id": g("term", t.key),
                    "code": t.code,
                    "title": t.name,
                    "startOn": stamp(t.start),
                    "endOn": stamp(t.end),
                    "category": {"type": "term"},
                    "registration": "closed" if t.closed else "open",
                }
                for t in c.terms
            ],
            "subjects": [
                {"id": g("subject", s), "abbreviation": s, "title": s}
                for s in sorted({course.subject for course in c.courses})
            ],
            "courses": [
                {
                    "id": g("course", k.key),
                    "titles": [{"type": {"id": g("title-type", 1)}, "value": k.title}],
                    "subject": {"id": g("subject", k.subject)},
                    "number": k.number,
                    "credits": [
                        {"creditCategory": {"creditType": "institution"}, "measure": "credit", "minimum": k.credits}
                    ],
                    "status": {"id": g("course-status", 1)},
                }
                for k in c.courses
            ],
            "sections": [self._section(s) for s in c.sections],
            "grade-definitions": [
                {
                    "id": g("grade", letter),
                    "scheme": {"id": self.scheme},
                    "grade": {"type": "literal", "value": letter},
                    "credit": "none" if letter in ("F", "W", "I", "NP") else "full",
                }
                for letter in GRADE_LETTERS
            ],
            "section-registrations": [],
            "student-transcript-grades": [],
            "student-unverified-grades": [],
            "campus-organizations": [
                {
                    "id": g("organization", a.key),
                    "code": a.code,
                    "name": a.name,
                    "type": {"id": g("org-type", 1)},
                }
                for a in c.activities
            ],
            "campus-involvement-roles": [
                {"id": g("involvement-role", role), "code": role[:3].upper(), "title": role} for role in ROLES
            ],
            "campus-involvements": [],
            "student-cohorts": [{"id": g("cohort", a.key), "code": a.code, "title": a.name} for a in c.activities],
            "student-cohort-assignments": [],
            "activity-types": [
                {
                    "code": activity_type(category),
                    "desc": category,
                    "systemReqInd": "N",
                    "activityDate": AS_OF.isoformat(),
                }
                for category in sorted({a.category for a in c.activities})
            ],
        }
        self.banner_ids = {p.banner_id for p in c.people if p.banner_guid}
        self.student_activities: dict[str, list[dict[str, Any]]] = {}
        """SGRSACT as the BP API serves it: Banner ID -> rows (one per term and activity code)."""
        for e in c.enrollments:
            self._enrollment(e)
        for p in c.participations:
            self._participation(p)
            self.add_student_activity(p.person_key, p.activity_key, p.term_key)

    def _person(self, p: Any) -> dict[str, Any]:
        return {
            "id": p.banner_guid,
            "names": [
                {
                    "type": {"category": "personal"},
                    "fullName": f"{p.given_name} {p.family_name}",
                    "firstName": p.given_name,
                    "lastName": p.family_name,
                    "preference": "preferred",
                }
            ],
            "credentials": [
                {"type": "bannerId", "value": p.banner_id},
                {"type": "bannerUserName", "value": p.login_id},
            ],
            "emails": [{"type": {"emailType": "school"}, "preference": "primary", "address": p.email}],
            "privacyStatus": {"privacyCategory": "restricted" if p.confidential else "unrestricted"},
            "roles": [{"role": "student" if "student" in p.roles else "alumni"}],
        }

    def _section(self, s: Any) -> dict[str, Any]:
        c = self.campus
        course, term = c.course(s.course_key), c.term(s.term_key)
        return {
            "id": c.guid("section", s.key),
            "titles": [{"type": {"id": c.guid("title-type", 1)}, "value": course.title}],
            "code": f"{course.subject}-{course.number}-{s.number}",
            "number": s.number,
            "startOn": stamp(term.start),
            "endOn": stamp(term.end),
            "academicPeriod": {"id": c.guid("term", term.key)},
            "course": {"id": c.guid("course", course.key)},
            "alternateIds": [{"title": "CRN", "value": s.crn}],
            "credits": [
                {"creditCategory": {"creditType": "institution"}, "measure": "credit", "minimum": course.credits}
            ],
        }

    def _enrollment(self, e: Any) -> None:
        c, g = self.campus, self.campus.guid
        section = c.section(e.section_key)
        term, course = c.term(section.term_key), c.course(section.course_key)
        student = c.person(e.person_key).banner_guid
        withdrawn = e.state == "inactive"
        self.resources["section-registrations"].append(
            {
                "id": g("registration", e.key),
                "registrant": {"id": student},
                "section": {"id": g("section", section.key)},
                "academicLevel": {"id": g("level", "UG")},
                "originallyRegisteredOn": term.start.isoformat(),
                "status": {
                    "registrationStatus": "notRegistered" if withdrawn else "registered",
                    "sectionRegistrationStatusReason": "withdrawn" if withdrawn else "registered",
                },
                "statusDate": e.updated.isoformat(),
                "credit": {"measure": "credit", "registrationCredit": course.credits},
                "gradingOption": {
                    "gradeScheme": {"id": self.scheme},
                    "mode": "passFail" if course.credits == 1 else "standard",
                },
            }
        )
        if term.closed and e.grade is not None:
            earned = 0 if e.grade in ("F", "W", "I", "NP") else course.credits
            self.resources["student-transcript-grades"].append(
                {
                    "id": g("transcript-grade", e.key),
                    "student": {"id": student},
                    "course": {"section": {"id": g("section", section.key)}},
                    "academicPeriod": {"id": g("term", term.key)},
                    "grade": {"id": g("grade", e.grade)},
                    "awardGradeScheme": {"id": self.scheme},
                    "credit": {
                        "attemptedCredit": course.credits,
                        "earnedCredit": earned,
                        "repeatedSection": "notRepeated",
                    },
                    "recordedOn": e.updated.isoformat(),
                    "changeDetails": [],
                }
            )
        elif not term.closed and not withdrawn and e.score is not None and e.key % 3 == 0:
            self.resources["student-unverified-grades"].append(
                {
                    "id": g("unverified-grade", e.key),
                    "student": {"id": student},
                    "sectionRegistration": {"id": g("registration", e.key)},
                    "awardGradeScheme": {"id": self.scheme},
                    "details": {
                        "grades": [
                            {
                                "grade": {"id": g("grade", unverified_letter(e.score))},
                                "type": {"id": g("section-grade-type", "final")},
                                "submittedOn": AS_OF.isoformat(),
                            }
                        ]
                    },
                }
            )

    def _participation(self, p: Any) -> None:
        c, g = self.campus, self.campus.guid
        term = c.term(p.term_key)
        person = c.person(p.person_key).banner_guid
        common = {
            "person": {"id": person},
            "startOn": stamp(term.start),
            "endOn": stamp(p.completed_on) if p.completed_on else None,
        }
        self.resources["campus-involvements"].append(
            {
                "id": g("involvement", p.key),
                **common,
                "campusOrganization": {"id": g("organization", p.activity_key)},
                "academicPeriod": {"id": g("term", term.key)},
                "role": {"id": g("involvement-role", p.role)},
            }
        )
        self.resources["student-cohort-assignments"].append(
            {"id": g("cohort-assignment", p.key), **common, "cohort": {"id": g("cohort", p.activity_key)}}
        )

    def add_student_activity(self, person_key: int, activity_key: int, term_key: int) -> dict[str, Any]:
        """An SGRSACT row (its key is student, term and activity code: a repeat is the same row)."""
        c = self.campus
        activity, term = c.activity(activity_key), c.term(term_key)
        rows = self.student_activities.setdefault(c.person(person_key).banner_id, [])
        row = {"termCode": term.code, "actcCode": activity.code, "stvactcDesc": activity.name}
        found = next((r for r in rows if (r["termCode"], r["actcCode"]) == (term.code, activity.code)), None)
        if found is None:
            found = {**row, "activityDate": term.start.isoformat()}
            rows.append(found)
        return found

    def find(self, resource: str, guid: str) -> dict[str, Any] | None:
        return next((r for r in self.resources[resource] if r["id"] == guid), None)
