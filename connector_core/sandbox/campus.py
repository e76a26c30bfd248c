"""A seeded, deterministic synthetic campus that every plugin's sandbox server serves from.

Same seed and size, same campus, byte for byte: ids, names, grades and dates all come from one
`random.Random(seed)`, and "today" is a fixed date, never the clock. Sizes are realistic for a
small college: each student takes 4–5 sections a term over the last four terms.

One population for every system. Each person carries the id every system would give them (Banner
ID and person GUID, PeopleSoft EMPLID, Workday Employee_ID and Student_ID, Canvas user id) and
`institution_id`, the campus-wide id the LMS and exports carry (the SIS's own id: Banner ID by
default, EMPLID for a PeopleSoft campus). Who is where:

- `learners` current students (SIS, Canvas; about one in six also works on campus: HR too),
- alumni who studied in the first two terms and were hired after graduating (SIS, Canvas, HR),
- staff who never studied here (HR only).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, get_args

AS_OF = date(2026, 11, 15)
"""The campus's "today": fall 2026 is open, earlier terms are closed."""

GIVEN = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Imani",
    "Jonas",
    "Kai",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoe",
    "Aiden",
    "Bianca",
    "Carlos",
    "Dana",
    "Emeka",
    "Fatima",
    "Gabe",
    "Hana",
]
FAMILY = [
    "Garcia",
    "Smith",
    "Nguyen",
    "Johnson",
    "Okafor",
    "Patel",
    "Kim",
    "Müller",
    "Rossi",
    "Hernández",
    "Chen",
    "Williams",
    "Brown",
    "Ali",
    "Kowalski",
    "Silva",
    "Ivanova",
    "Jones",
    "Tanaka",
    "Haddad",
    "O'Brien",
    "Dubois",
    "Novak",
    "Mensah",
    "Larsen",
    "Costa",
    "Singh",
]
SUBJECTS = {
    "MATH": ("Calculus I", "Linear Algebra", "Statistics", "Discrete Mathematics"),
    "ENGL": ("College Writing", "American Literature", "Technical Writing"),
    "BIOL": ("General Biology", "Genetics", "Ecology"),
    "CHEM": ("General Chemistry", "Organic Chemistry"),
    "CSCI": ("Intro to Programming", "Data Structures", "Databases", "Software Engineering"),
    "HIST": ("World History", "History of Science"),
    "PSYC": ("Intro to Psychology", "Research Methods"),
    "NURS": ("Foundations of Nursing", "Clinical Practicum"),
}
LETTERS = ("A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "F")
LETTER_WEIGHTS = (14, 11, 11, 13, 9, 8, 8, 5, 3, 3, 4)
LETTER_SCORES = {
    "A": 95,
    "A-": 91,
    "B+": 88,
    "B": 85,
    "B-": 81,
    "C+": 78,
    "C": 75,
    "C-": 71,
    "D+": 68,
    "D": 65,
    "F": 50,
}
ACTIVITIES = (
    ("Student Government Association", "Leadership"),
    ("Peer Tutoring Program", "Service"),
    ("Alternative Spring Break", "Service"),
    ("Robotics Club", "Club"),
    ("Undergraduate Research Symposium", "Research"),
    ("Campus Sustainability Team", "Service"),
    ("Debate Society", "Club"),
    ("First-Year Mentor", "Leadership"),
)
STUDENT_JOBS = (
    ("JP-1101", "Library Assistant", "University Library"),
    ("JP-1102", "Lab Assistant", "Chemistry Department"),
    ("JP-1103", "Resident Advisor", "Residence Life"),
    ("JP-1104", "IT Help Desk Technician", "Information Technology"),
    ("JP-1105", "Campus Tour Guide", "Admissions"),
)
STAFF_JOBS = (
    ("JP-2201", "Academic Advisor", "Advising Center"),
    ("JP-2202", "Systems Administrator", "Information Technology"),
    ("JP-2203", "Admissions Counselor", "Admissions"),
    ("JP-2204", "Laboratory Coordinator", "Chemistry Department"),
    ("JP-2205", "Registrar Specialist", "Office of the Registrar"),
    ("JP-2206", "Staff Nurse", "Student Health Services"),
)
TRAININGS = (
    ("LRN-101", "FERPA Basics"),
    ("LRN-102", "Lab Safety"),
    ("LRN-103", "Title IX Awareness"),
    ("LRN-104", "Customer Service Essentials"),
    ("LRN-105", "Data Security Awareness"),
)
SisKind = Literal["banner", "peoplesoft"]
SIS_KINDS: tuple[str, ...] = get_args(SisKind)
"""The SIS names `build_campus` accepts (`lerconnect demo --campus`)."""
DEFAULT_SIS: SisKind = "banner"
RATINGS = ((4.0, "Exemplary"), (3.0, "Proficient"), (2.0, "Developing"), (1.0, "Beginning"))


@dataclass(frozen=True)
class Person:
    """Someone the campus knows, with the id each system gives them (None where a system has no record)."""

    key: int
    institution_id: str
    """The campus-wide id the LMS (`sis_user_id`) and exports carry: the SIS's own id."""
    given_name: str
    family_name: str
    email: str
    login_id: str
    confidential: bool
    roles: frozenset[str]
    """`student` (studies now), `alumnus` (studied in the first two terms), `employee` (works here)."""
    banner_id: str | None
    banner_guid: str | None
    emplid: str | None
    workday_employee_id: str | None
    workday_student_id: str | None
    canvas_user_id: int | None

    @property
    def studied(self) -> bool:
        return bool(self.roles & {"student", "alumnus"})

    @property
    def employed(self) -> bool:
        return "employee" in self.roles


@dataclass(frozen=True)
class Term:
    key: int
    code: str
    name: str
    start: date
    end: date

    @property
    def closed(self) -> bool:
        return self.end < AS_OF


@dataclass(frozen=True)
class Course:
    key: int
    subject: str
    number: str
    title: str
    credits: int

    @property
    def code(self) -> str:
        return f"{self.subject} {self.number}"


@dataclass(frozen=True)
class Outcome:
    key: int
    course_key: int
    title: str
    description: str
    vendor_guid: str
    mastery_points: float
    calculation_method: str


@dataclass(frozen=True)
class Section:
    key: int
    crn: str
    course_key: int
    term_key: int
    number: str
    """The section number within its course and term (`001`, `002`): the same course, several sections."""


@dataclass(frozen=True)
class Enrollment:
    """A student in a section. `grade` is a letter, W, I, P or NP; None while the term is open."""

    key: int
    person_key: int
    section_key: int
    grade: str | None
    score: float | None
    state: str  # active, completed, inactive (withdrawn)
    updated: date


@dataclass(frozen=True)
class OutcomeResult:
    key: int
    person_key: int
    outcome_key: int
    section_key: int
    score: float
    assessed: date


@dataclass(frozen=True)
class Activity:
    key: int
    name: str
    category: str

    @property
    def code(self) -> str:
        """The campus-wide activity code (student life's catalog) that every system files it under."""
        return "CC-" + "-".join("".join(c if c.isalnum() else " " for c in self.name.upper()).split())[:24]


@dataclass(frozen=True)
class Participation:
    key: int
    person_key: int
    activity_key: int
    term_key: int
    role: str
    hours: int
    completed_on: date | None


@dataclass(frozen=True)
class Job:
    """A position held: a student job, or a staff position (staff may hold an earlier, ended one)."""

    key: int
    person_key: int
    position_id: str
    job_profile_id: str
    title: str
    department: str
    worker_type: str  # "Student Worker" or "Staff"
    start: date
    end: date | None
    hours_per_week: int


@dataclass(frozen=True)
class Training:
    """A completed learning (compliance training) of an employee."""

    key: int
    person_key: int
    course_id: str
    title: str
    completed_on: date
    score: int | None


@dataclass
class Campus:
    """Everything a campus system could know, generated from `seed` for `learners` students."""

    seed: int
    learners: int
    sis: SisKind = DEFAULT_SIS
    people: list[Person] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    enrollments: list[Enrollment] = field(default_factory=list)
    outcome_results: list[OutcomeResult] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    participations: list[Participation] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    trainings: list[Training] = field(default_factory=list)

    def person(self, key: int) -> Person:
        return self.people[key - 1]

    def term(self, key: int) -> Term:
        return self.terms[key - 1]

    def course(self, key: int) -> Course:
        return self.courses[key - 1]

    def section(self, key: int) -> Section:
        return self.sections[key - 1]

    def outcome(self, key: int) -> Outcome:
        return self.outcomes[key - 1]

    def activity(self, key: int) -> Activity:
        return self.activities[key - 1]

    def guid(self, kind: str, key: int) -> str:
        """A stable GUID for a campus object (`person`, `section`, `course`, `term`...), as Ethos names them."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://sandbox.example.edu/{self.seed}/{kind}/{key}"))

    def find(self, id_field: str, value: object) -> Person:
        """The one person whose `id_field` (`banner_id`, `emplid`, `canvas_user_id`, `email`...) is `value`."""
        found = [p for p in self.people if getattr(p, id_field) == value]
        if len(found) != 1:
            raise KeyError(f"{len(found)} people have {id_field} = {value!r}")
        return found[0]

    def in_role(self, role: str) -> list[Person]:
        return [p for p in self.people if role in p.roles]


def build_campus(learners: int = 200, seed: int = 42, *, sis: SisKind = DEFAULT_SIS) -> Campus:
    """Generate the campus. Deterministic in (learners, seed, sis); `sis` picks whose id is `institution_id`."""
    rng = random.Random(seed)
    campus = Campus(seed=seed, learners=learners, sis=sis)
    _terms(campus)
    _catalog(campus, rng)
    _people(campus, rng)
    _sections_and_enrollments(campus, rng)
    _cocurricular(campus, rng)
    _employment(campus, rng)
    return campus


def _terms(campus: Campus) -> None:
    specs = [
        (2025, "Spring", 1, 13, 5, 9),
        (2025, "Fall", 8, 25, 12, 15),
        (2026, "Spring", 1, 12, 5, 8),
        (2026, "Fall", 8, 24, 12, 14),
    ]
    for key, (year, season, m1, d1, m2, d2) in enumerate(specs, start=1):
        code = f"{year}{'10' if season == 'Spring' else '30'}"
        campus.terms.append(Term(key, code, f"{season} {year}", date(year, m1, d1), date(year, m2, d2)))


def _catalog(campus: Campus, rng: random.Random) -> None:
    for subject, titles in SUBJECTS.items():
        for i, title in enumerate(titles):
            key = len(campus.courses) + 1
            course = Course(key, subject, str(101 + 100 * i), title, rng.choice((3, 3, 4, 1)))
            campus.courses.append(course)
            for n in range(rng.randint(2, 3)):
                ok = len(campus.outcomes) + 1
                campus.outcomes.append(
                    Outcome(
                        key=ok,
                        course_key=key,
                        title=f"{subject}.{course.number}.{n + 1} {title} outcome {n + 1}",
                        description=f"Demonstrates outcome {n + 1} of {title}.",
                        vendor_guid=f"sandbox-outcome-{ok:05d}",
                        mastery_points=3.0,
                        calculation_method=rng.choice(("decaying_average", "highest", "latest")),
                    )
                )


def _people(campus: Campus, rng: random.Random) -> None:
    others = max(1, campus.learners // 20)
    cohorts = [("student",)] * campus.learners + [("alumnus", "employee")] * others + [("employee",)] * others
    for key, cohort in enumerate(cohorts, start=1):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        login = f"{given[0]}{family}{key}".lower().replace("'", "").replace("ü", "u").replace("á", "a")
        roles = set(cohort)
        if cohort == ("student",) and rng.random() < 0.18:
            roles.add("employee")  # a student worker
        studied = bool(roles & {"student", "alumnus"})
        banner_id = f"@{12_000 + key * 37:08d}" if studied else None
        emplid = f"{100_000_000 + key * 11}"  # PeopleSoft keeps one EMPLID across Campus Solutions and HCM
        campus.people.append(
            Person(
                key=key,
                institution_id=_institution_id(campus.sis, banner_id, emplid, f"{21_000 + key}"),
                given_name=given,
                family_name=family,
                email=f"{login}@sandbox.example.edu",
                login_id=login,
                confidential=rng.random() < 0.02,
                roles=frozenset(roles),
                banner_id=banner_id,
                banner_guid=campus.guid("person", key) if studied else None,
                emplid=emplid,
                workday_employee_id=f"{21_000 + key}" if "employee" in roles else None,
                workday_student_id=f"1{key:08d}" if studied else None,
                canvas_user_id=1000 + key if studied else None,
            )
        )


def _institution_id(sis: SisKind, banner_id: str | None, emplid: str, employee_id: str) -> str:
    """The SIS's id; a Banner campus's staff, never in Banner, are known by their Workday Employee_ID."""
    if sis == "peoplesoft":
        return emplid
    return banner_id or employee_id


def _sections_and_enrollments(campus: Campus, rng: random.Random) -> None:
    per_term_sections: dict[int, list[Section]] = {}
    seats = max(1, campus.learners * 9 // (20 * len(campus.courses)))  # ~20 students a section
    for term in campus.terms:
        per_term_sections[term.key] = []
        for course in campus.courses:
            for n in range(seats):
                key = len(campus.sections) + 1
                section = Section(key, f"{term.code[2:]}{key:04d}", course.key, term.key, f"{n + 1:03d}")
                campus.sections.append(section)
                per_term_sections[term.key].append(section)
    for person in campus.people:
        if not person.studied:
            continue
        terms = campus.terms if "student" in person.roles else campus.terms[:2]  # alumni finished in 2025
        for term in terms:
            for section in rng.sample(per_term_sections[term.key], k=min(rng.randint(4, 5), seats * 3)):
                _enroll(campus, rng, person, term, section)


def _enroll(campus: Campus, rng: random.Random, person: Person, term: Term, section: Section) -> None:
    grade, score, state = _grade(rng, term, campus.course(section.course_key))
    updated = term.end + timedelta(days=rng.randint(1, 6)) if term.closed else term.start
    campus.enrollments.append(
        Enrollment(len(campus.enrollments) + 1, person.key, section.key, grade, score, state, updated)
    )
    if state == "inactive" or term.key < len(campus.terms) - 1:  # outcomes are assessed recently
        return
    for outcome in (o for o in campus.outcomes if o.course_key == section.course_key):
        level = rng.choices(RATINGS, weights=(3, 5, 3, 1))[0][0]
        assessed = min(term.end, AS_OF) - timedelta(days=rng.randint(5, 40))
        campus.outcome_results.append(
            OutcomeResult(len(campus.outcome_results) + 1, person.key, outcome.key, section.key, level, assessed)
        )


def _grade(rng: random.Random, term: Term, course: Course) -> tuple[str | None, float | None, str]:
    roll = rng.random()
    if roll < 0.05:
        return "W", None, "inactive"
    if not term.closed:
        return None, round(rng.uniform(55, 99), 1), "active"
    if course.credits == 1:  # one-credit courses are pass / no pass
        return ("P", None, "completed") if roll < 0.93 else ("NP", None, "completed")
    if roll < 0.07:
        return "I", None, "completed"
    letter = rng.choices(LETTERS, weights=LETTER_WEIGHTS)[0]
    return letter, float(LETTER_SCORES[letter]) + rng.choice((0, 1, 2, 3)), "completed"


def _cocurricular(campus: Campus, rng: random.Random) -> None:
    campus.activities.extend(Activity(i, name, cat) for i, (name, cat) in enumerate(ACTIVITIES, start=1))
    for person in campus.people:
        if not person.studied:
            continue
        terms = campus.terms if "student" in person.roles else campus.terms[:2]
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            activity = rng.choice(campus.activities)
            term = rng.choice(terms)
            done = term.end if term.closed else None
            campus.participations.append(
                Participation(
                    len(campus.participations) + 1,
                    person.key,
                    activity.key,
                    term.key,
                    rng.choice(("Member", "Member", "Volunteer", "Officer")),
                    rng.randint(4, 60),
                    done,
                )
            )


def _employment(campus: Campus, rng: random.Random) -> None:
    for person in campus.people:
        if not person.employed:
            continue
        if "student" in person.roles:
            profile, title, department = rng.choice(STUDENT_JOBS)
            start = AS_OF - timedelta(days=rng.randint(90, 700))
            end = None if rng.random() < 0.6 else start + timedelta(days=rng.randint(60, 300))
            _job(campus, rng, person, (profile, title, department), "Student Worker", start, end)
        elif "alumnus" in person.roles:  # hired after graduating in December 2025
            start = date(2026, 1, 5) + timedelta(days=rng.randint(0, 150))
            _job(campus, rng, person, rng.choice(STAFF_JOBS), "Staff", start, None)
        else:  # long-serving staff; some moved to a new position
            start = AS_OF - timedelta(days=rng.randint(800, 4000))
            first, second = rng.sample(STAFF_JOBS, k=2)
            if rng.random() < 0.4:
                moved = start + timedelta(days=rng.randint(300, 700))
                _job(campus, rng, person, first, "Staff", start, moved - timedelta(days=1))
                start, first = moved, second
            _job(campus, rng, person, first, "Staff", start, None)
        hired = min(j.start for j in campus.jobs if j.person_key == person.key)
        for course_id, title in rng.sample(TRAININGS, k=rng.randint(1, 3)):
            campus.trainings.append(
                Training(
                    len(campus.trainings) + 1,
                    person.key,
                    course_id,
                    title,
                    min(AS_OF, hired + timedelta(days=rng.randint(1, 30))),
                    rng.choice((None, 80, 90, 100)),
                )
            )


def _job(
    campus: Campus,
    rng: random.Random,
    person: Person,
    profile: tuple[str, str, str],
    worker_type: str,
    start: date,
    end: date | None,
) -> None:
    key = len(campus.jobs) + 1
    profile_id, title, department = profile
    hours = rng.choice((8, 10, 12, 15, 20)) if worker_type == "Student Worker" else 40
    campus.jobs.append(
        Job(key, person.key, f"P-{key:06d}", profile_id, title, department, worker_type, start, end, hours)
    )
