"""The sandbox campus as the result rows of the campus's LER PS Queries (XMLP unique field names).

Aliases as Query Manager assigns them: A = STDNT_ENRL (or the query's first record), B = CLASS_TBL,
C = CRSE_CATALOG, D = TERM_TBL, E = NAMES, F = EMAIL_ADDRESSES. `Campus` grades become official
grades (`CRSE_GRADE_OFF`) in closed terms; open terms carry only a preliminary `CRSE_GRADE_INPUT`
for some students, as grade rosters do before posting.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from connector_core.sandbox import Campus, Person

INSTITUTION = "PSUNV"
CAREER = "UGRD"
POINTS = {
    "A": 4.0,
    "A-": 3.7,
    "B+": 3.3,
    "B": 3.0,
    "B-": 2.7,
    "C+": 2.3,
    "C": 2.0,
    "C-": 1.7,
    "D+": 1.3,
    "D": 1.0,
    "F": 0.0,
}
COMPETENCIES = (
    ("C-COMM", "Communication"),
    ("C-TEAM", "Teamwork"),
    ("C-CUST", "Customer Focus"),
    ("C-TECH", "Technical Proficiency"),
    ("C-LEAD", "Leadership"),
    ("C-SAFE", "Safety Compliance"),
)
Row = dict[str, str]


def _person(person: Person) -> Row:
    return {
        "A.EMPLID": person.emplid or "",
        "E.FIRST_NAME": person.given_name,
        "E.LAST_NAME": person.family_name,
        "F.EMAIL_ADDR": person.email,
    }


@dataclass
class QueryTables:
    """Rows per query kind; tests may edit them (a malformed row, a late grade change)."""

    grades: list[Row] = field(default_factory=list)
    honors: list[Row] = field(default_factory=list)
    groups: list[Row] = field(default_factory=list)
    competencies: list[Row] = field(default_factory=list)


def query_tables(campus: Campus) -> QueryTables:
    tables = QueryTables()
    _grades(campus, tables)
    _honors(campus, tables)
    _groups(campus, tables)
    _competencies(campus, tables)
    return tables


def _grades(campus: Campus, tables: QueryTables) -> None:
    for enrollment in campus.enrollments:
        section = campus.section(enrollment.section_key)
        course, term = campus.course(section.course_key), campus.term(section.term_key)
        person = campus.person(enrollment.person_key)
        grade = enrollment.grade or ""
        dropped = grade == "W"
        passed = bool(grade) and grade not in ("F", "NP", "I", "W")
        preliminary = ""
        if not term.closed and enrollment.score is not None and enrollment.key % 3 == 0:
            preliminary = "A" if enrollment.score >= 90 else "B" if enrollment.score >= 80 else "C"
        tables.grades.append(
            {
                **_person(person),
                "A.ACAD_CAREER": CAREER,
                "A.INSTITUTION": INSTITUTION,
                "A.STRM": term.code,
                "A.CLASS_NBR": section.crn,
                "A.STDNT_ENRL_STATUS": "D" if dropped else "E",
                "A.ENRL_STATUS_REASON": "WDRW" if dropped else "ENRL",
                "A.CRSE_GRADE_OFF": grade,
                "A.CRSE_GRADE_INPUT": preliminary or grade,
                "A.UNT_TAKEN": f"{course.credits:.2f}",
                "A.UNT_EARNED": f"{course.credits if passed else 0:.2f}",
                "A.GRADING_BASIS_ENRL": "PNP" if course.credits == 1 else "GRD",
                "A.GRADE_DT": enrollment.updated.isoformat() if grade else "",
                "B.CRSE_ID": f"{course.key:06d}",
                "B.SUBJECT": course.subject,
                "B.CATALOG_NBR": f"  {course.number}",  # CHAR fields come padded
                "B.CLASS_SECTION": section.number,
                "B.DESCR": course.title[:30],
                "C.COURSE_TITLE_LONG": course.title,
                "D.DESCR": term.name,
                "D.TERM_BEGIN_DT": term.start.isoformat(),
                "D.TERM_END_DT": term.end.isoformat(),
            }
        )


def _honors(campus: Campus, tables: QueryTables) -> None:
    """Dean's List: a closed term with three or more letter grades averaging 3.5 or better."""
    points: dict[tuple[int, int], list[float]] = defaultdict(list)
    for enrollment in campus.enrollments:
        if enrollment.grade in POINTS:
            section = campus.section(enrollment.section_key)
            points[(enrollment.person_key, section.term_key)].append(POINTS[enrollment.grade])
    for (person_key, term_key), grades in sorted(points.items()):
        term = campus.term(term_key)
        if len(grades) >= 3 and sum(grades) / len(grades) >= 3.5 and term.closed:
            tables.honors.append(
                {
                    **_person(campus.person(person_key)),
                    "A.INSTITUTION": INSTITUTION,
                    "A.HONOR_AWARD_CD": "DEANS",
                    "B.DESCR": "Dean's List",
                    "A.DT_RECVD": (term.end + timedelta(days=14)).isoformat(),
                    "A.STRM": term.code,
                }
            )


def _groups(campus: Campus, tables: QueryTables) -> None:
    """STDNT_GRPS is effective-dated: the query returns each membership's current row."""
    latest: dict[tuple[int, int], list] = {}
    for p in campus.participations:
        latest.setdefault((p.person_key, p.activity_key), []).append(p)
    for (person_key, activity_key), rows in sorted(latest.items()):
        first, last = min(rows, key=lambda p: p.term_key), max(rows, key=lambda p: p.term_key)
        ended = last.completed_on is not None
        tables.groups.append(
            {
                **_person(campus.person(person_key)),
                "A.INSTITUTION": INSTITUTION,
                "A.STDNT_GROUP": f"G{activity_key:03d}",
                "B.DESCR": campus.activity(activity_key).name,
                "A.EFFDT": (last.completed_on if ended else campus.term(first.term_key).start).isoformat(),
                "A.EFF_STATUS": "I" if ended else "A",
                "A.START_DT": campus.term(first.term_key).start.isoformat(),
            }
        )


def _competencies(campus: Campus, tables: QueryTables) -> None:
    """HCM profile items (JPM_JP_ITEMS, content type COMPETENCY) of everyone employed."""
    for person in campus.in_role("employee"):
        jobs = [j for j in campus.jobs if j.person_key == person.key]
        if not jobs:
            continue
        job = max(jobs, key=lambda j: j.start)
        picks = [COMPETENCIES[(int(job.job_profile_id[-2:]) + i) % len(COMPETENCIES)] for i in range(3)]
        for i, (item, title) in enumerate(picks):
            tables.competencies.append(
                {
                    **_person(person),
                    "A.JPM_PROFILE_ID": f"P{person.key:07d}",
                    "B.JPM_CAT_TYPE": "COMPETENCY",
                    "B.JPM_CAT_ITEM_ID": item,
                    "C.JPM_DESCR90": title,
                    "B.JPM_RATING1": str((person.key * 7 + i) % 5 + 1),
                    "B.EFFDT": (job.start + timedelta(days=90)).isoformat(),
                }
            )
