"""A seeded, deterministic synthetic campus that every plugin's sandbox server serves from.

Same seed and size, same campus, byte for byte: ids, names, grades and dates all come from one
`random.Random(seed)`, and "today" is a fixed date, never the clock. Sizes are realistic for a
small college: each student takes 4–5 sections a term over the last four terms.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

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
JOBS = (
    ("Library Assistant", "University Library"),
    ("Lab Assistant", "Chemistry Department"),
    ("Resident Advisor", "Residence Life"),
    ("IT Help Desk Technician", "Information Technology"),
    ("Campus Tour Guide", "Admissions"),
)
TRAININGS = (
    "FERPA Basics",
    "Lab Safety",
    "Title IX Awareness",
    "Customer Service Essentials",
    "Data Security Awareness",
)
RATINGS = ((4.0, "Exemplary"), (3.0, "Proficient"), (2.0, "Developing"), (1.0, "Beginning"))


@dataclass(frozen=True)
class Person:
    """A student. `institution_id` is the campus-wide id (Banner ID / EMPLID / sis_user_id)."""

    key: int
    institution_id: str
    given_name: str
    family_name: str
    email: str
    login_id: str
    confidential: bool
    employee_id: str | None


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
    key: int
    person_key: int
    title: str
    department: str
    start: date
    end: date | None
    hours_per_week: int


@dataclass(frozen=True)
class Training:
    key: int
    person_key: int
    title: str
    completed_on: date


@dataclass
class Campus:
    """Everything a campus system could know, generated from `seed` for `learners` students."""

    seed: int
    learners: int
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


def build_campus(learners: int = 200, seed: int = 42) -> Campus:
    """Generate the campus. Deterministic in (learners, seed)."""
    rng = random.Random(seed)
    campus = Campus(seed=seed, learners=learners)
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
    for key in range(1, campus.learners + 1):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        login = f"{given[0]}{family}{key}".lower().replace("'", "").replace("ü", "u").replace("á", "a")
        employee = f"E{700000 + key}" if rng.random() < 0.18 else None
        campus.people.append(
            Person(
                key=key,
                institution_id=f"A{10_000_000 + key * 7:08d}",
                given_name=given,
                family_name=family,
                email=f"{login}@sandbox.example.edu",
                login_id=login,
                confidential=rng.random() < 0.02,
                employee_id=employee,
            )
        )


def _sections_and_enrollments(campus: Campus, rng: random.Random) -> None:
    per_term_sections: dict[int, list[Section]] = {}
    seats = max(1, campus.learners * 9 // (20 * len(campus.courses)))  # ~20 students a section
    for term in campus.terms:
        per_term_sections[term.key] = []
        for course in campus.courses:
            for _ in range(seats):
                section = Section(
                    len(campus.sections) + 1, f"{term.code[2:]}{len(campus.sections) + 1:04d}", course.key, term.key
                )
                campus.sections.append(section)
                per_term_sections[term.key].append(section)
    for person in campus.people:
        for term in campus.terms:
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
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            activity = rng.choice(campus.activities)
            term = rng.choice(campus.terms)
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
        if person.employee_id is None:
            continue
        title, department = rng.choice(JOBS)
        start = AS_OF - timedelta(days=rng.randint(90, 700))
        end = None if rng.random() < 0.6 else start + timedelta(days=rng.randint(60, 300))
        campus.jobs.append(
            Job(len(campus.jobs) + 1, person.key, title, department, start, end, rng.choice((8, 10, 12, 15, 20)))
        )
        for title in rng.sample(TRAININGS, k=rng.randint(1, 3)):
            campus.trainings.append(
                Training(len(campus.trainings) + 1, person.key, title, start + timedelta(days=rng.randint(1, 30)))
            )
