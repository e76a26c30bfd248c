"""One learner, one record of learning and work: SIS/LMS and Workday records meet in one signed CLR.

The campus stack is Canvas + Workday, plus Banner when its plugin is installed (then the grades
come from Banner too). A student who works on campus gets one CLR holding course results and their
Workday training and employment; a staff member who never studied gets only work-side credentials.
"""

from __future__ import annotations

import hashlib
import importlib.util

from lerconnect_canvas import CanvasSource
from lerconnect_workday import WorkdaySource
from workday_testkit import wsdl_cache  # noqa: F401 - autouse fixture

from connector_core.sandbox import Person, build_campus
from connector_core.testing import SyncBench, verify_credential

LEARNERS = 40


def stack() -> list[type]:
    plugins: list[type] = [CanvasSource, WorkdaySource]
    if importlib.util.find_spec("lerconnect_banner") is not None:
        from lerconnect_banner import BannerSource  # type: ignore[import-not-found]

        plugins.append(BannerSource)
    return plugins


def hashed(person: Person, identifier: dict) -> bool:
    digest = hashlib.sha256((person.email + identifier["salt"]).encode()).hexdigest()
    return identifier["identityHash"] == f"sha256${digest}"


def documents_of(person: Person, documents: list[dict]) -> list[dict]:
    return [d for d in documents if any(hashed(person, i) for i in d["credentialSubject"].get("identifier", ()))]


def kinds(document: dict) -> set[str]:
    subject = document["credentialSubject"]
    if "verifiableCredential" in subject:
        return {vc["credentialSubject"]["achievement"]["achievementType"] for vc in subject["verifiableCredential"]}
    return {subject["achievement"]["achievementType"]}


def test_a_student_worker_gets_one_clr_with_study_and_work(lerconnect_sync: SyncBench) -> None:
    result = lerconnect_sync.demo(*stack(), learners=LEARNERS, seed=42)
    assert result.verify_failures == [] and {r.status for r in result.runs} == {"succeeded"}
    documents = lerconnect_sync.credentials()
    campus = build_campus(LEARNERS)

    worker_students = [
        p
        for p in campus.people
        if p.studied
        and p.employed
        and not p.confidential
        and any(j.end for j in campus.jobs if j.person_key == p.key)
        and any(t.person_key == p.key for t in campus.trainings)
    ]
    assert worker_students, "the campus has students who worked on campus"
    person = worker_students[0]
    clrs = [d for d in documents_of(person, documents) if "ClrCredential" in d["type"]]
    assert len(clrs) == 1
    clr = clrs[0]
    assert {"Course", "ext:Employment", "LearningProgram"} <= kinds(clr)  # grades, job, training: one record
    assert verify_credential(clr).verified, verify_credential(clr).failures()
    tampered = {
        **clr,
        "credentialSubject": {
            **clr["credentialSubject"],
            "verifiableCredential": [
                {**vc, "name": "Chief Executive"} for vc in clr["credentialSubject"]["verifiableCredential"]
            ],
        },
    }
    assert not verify_credential(tampered).verified

    staff = next(
        p
        for p in campus.people
        if not p.studied and not p.confidential and any(j.end for j in campus.jobs if j.person_key == p.key)
    )
    theirs = documents_of(staff, documents)
    badges = [d for d in theirs if "OpenBadgeCredential" in d["type"]]
    assert badges and set().union(*(kinds(b) for b in badges)) <= {"ext:Employment", "LearningProgram", "Competency"}
    assert "ext:Employment" in set().union(*(kinds(b) for b in badges))
    assert not any("Course" in kinds(d) for d in theirs)
