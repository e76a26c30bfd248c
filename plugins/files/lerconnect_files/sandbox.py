"""The sandbox: the campus's co-curricular participation as an engagement platform's CSV export."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from connector_core.sandbox import Campus

HEADER = (
    "participation_id",
    "student_id",
    "email",
    "first_name",
    "last_name",
    "ferpa_hold",
    "activity_id",
    "activity",
    "category",
    "role",
    "hours",
    "term",
    "completed",
)


def write_engagement_export(campus: Campus, workdir: Path) -> dict[str, Any]:
    """Write `engage/participation.csv` under `workdir`; return the source's config table."""
    folder = workdir / "engage"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "participation.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for p in campus.participations:
            person, activity = campus.person(p.person_key), campus.activity(p.activity_key)
            writer.writerow(
                (
                    f"ENG-{p.key:06d}",
                    person.institution_id,
                    person.email,
                    person.given_name,
                    person.family_name,
                    "Y" if person.confidential else "N",
                    activity.code,
                    activity.name,
                    activity.category,
                    p.role,
                    p.hours,
                    campus.term(p.term_key).name,  # a name, as exports have it; [terms] gives the code
                    p.completed_on.isoformat() if p.completed_on else "",
                )
            )
    columns = {
        "record_id": "participation_id",
        "learner_id": "student_id",
        "institution_id": "student_id",
        "email": "email",
        "given_name": "first_name",
        "family_name": "last_name",
        "confidential": "ferpa_hold",
        "achievement_id": "activity_id",
        "title": "activity",
        "description": "category",
        "catalog_key": "activity_id",
        "role": "role",
        "term": "term",
        "completed_on": "completed",
    }
    terms = [
        {"code": t.code, "name": t.name, "start": t.start.isoformat(), "end": t.end.isoformat()} for t in campus.terms
    ]
    return {
        "files": {"cocurricular": {"path": str(folder / "*.csv"), "kind": "cocurricular", "columns": columns}},
        "terms": terms,
    }
