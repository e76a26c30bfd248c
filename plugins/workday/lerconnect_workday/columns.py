"""RaaS rows -> the plugin's raw records: each stream's fields, the report's aliases for them, their values.

A custom report's column names are XML aliases its author chose (per tenant), so each stream has a
layout: the fields it needs, a default alias for each, and the config's `columns` to rename them.
Rows are mapped at pull time (alias -> field, values as the report gave them) and interpreted at
normalization, so one bad row is dead-lettered rather than stopping the run:

- a single-instance field takes a text, a number, a one-item list or a reference object
  (`{"Descriptor": …}`); several values there make the row malformed;
- a multi-instance field (a position of a worker, a competency) takes a JSON list or a `;`-joined
  text (Simple XML's way); the fields of one group are zipped, so their counts must agree;
- an empty field is left out of the entry or `null` (both seen): it reads as absent.
The interpreted record has the shape the WWS sweep produces, so both paths normalize alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector_core import RecordError

Raw = dict[str, Any]
TRUE = {"1", "true", "yes", "y"}


@dataclass(frozen=True)
class Layout:
    """A stream's fields: single-instance `columns`, multi-instance `groups` (zipped into lists), `required`.

    Field names are unique within a layout (they are the keys of the config's `columns`);
    `renamed` gives a group field its name in the raw record where two groups share one."""

    columns: dict[str, str]
    required: tuple[str, ...]
    groups: dict[str, dict[str, str]] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()
    """Fields that are booleans (`1`/`0`, `true`/`false`)."""
    nested: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Raw key -> the fields gathered under it (the learner of a learning enrollment)."""
    renamed: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    """Keys every raw record of the stream carries (the WWS sweep's `kind` of a worker's competencies)."""

    def aliases(self, overrides: Mapping[str, str]) -> dict[str, str]:
        """field -> the report's alias: the config's `columns` over the defaults."""
        defaults = {**self.columns, **{f: a for group in self.groups.values() for f, a in group.items()}}
        return {**defaults, **overrides}

    def fields(self) -> set[str]:
        return set(self.columns) | {f for group in self.groups.values() for f in group}


IDENTITY = {
    "employee_id": "Employee_ID",
    "universal_id": "Universal_ID",
    "given_name": "First_Name",
    "family_name": "Last_Name",
    "email": "Email",
}

LAYOUTS = {
    "grades": Layout(
        columns={
            "id": "Student_Course_Registration_ID",
            "student_id": "Student_ID",
            "student": "Student",
            "universal_id": "Universal_ID",
            "period_id": "Academic_Period_ID",
            "period": "Academic_Period",
            "course_listing_id": "Course_Listing_ID",
            "course": "Course_Listing",
            "section_id": "Section_Listing_ID",
            "units": "Units",
            "grading_basis": "Grading_Basis",
            "grade": "Grade",
            "status": "Registration_Status",
            "registered": "Registered_Date",
            "withdrawn": "Withdrawal_Date",
            "completed": "Completed_Date",
        },
        required=("id", "student_id", "course_listing_id", "period_id"),
    ),
    "cocurricular": Layout(
        columns={
            "id": "Student_Accomplishment_ID",
            "student_id": "Student_ID",
            "universal_id": "Universal_ID",
            "type": "Accomplishment_Type",
            "title": "Title",
            "date": "Accomplishment_Date",
            "completed": "Completed",
        },
        required=("id", "student_id", "title"),
        flags=frozenset({"completed"}),
    ),
    "learning": Layout(
        columns={
            "id": "Learning_Enrollment_ID",
            "content_id": "Learning_Course_ID",
            "content": "Learning_Course",
            **IDENTITY,
            "registered": "Registered_Date",
            "completed": "Completion_Date",
            "score": "Overall_Course_Score",
            "grade": "Learning_Grade",
            "rescinded": "Rescinded",
        },
        required=("id", "content_id", "employee_id"),
        flags=frozenset({"rescinded"}),
        nested={"learner": tuple(IDENTITY)},
    ),
    "employment": Layout(
        columns=dict(IDENTITY),
        groups={
            "jobs": {
                "position_id": "Position_ID",
                "title": "Position_Title",
                "business_title": "Business_Title",
                "job_profile_id": "Job_Profile_ID",
                "job_profile": "Job_Profile",
                "worker_type": "Worker_Type",
                "organization": "Supervisory_Organization",
                "start": "Start_Date",
                "end": "End_Date",
            }
        },
        required=("employee_id", "position_id", "start"),
    ),
    "competencies": Layout(
        columns=dict(IDENTITY),
        groups={
            "competencies": {
                "competency_id": "Competency_ID",
                "competency": "Competency",
                "level": "Competency_Level",
                "assessed_on": "Assessed_On",
            },
            "skills": {"skill_id": "Skill_ID", "skill": "Skill"},
        },
        required=("employee_id",),
        renamed={"competency": "name", "skill": "name"},
        constants={"kind": "worker"},
    ),
}
"""What each stream reads from its report. `competencies` reads the workers' (one row per worker)."""


def map_row(layout: Layout, row: Mapping[str, Any], aliases: Mapping[str, str], where: str) -> Raw:
    """The row under the stream's field names, values as the report gave them; `where` it came from."""
    mapped: Raw = {name: row.get(aliases[name]) for name in sorted(layout.fields())}
    mapped["raas_row"] = where
    return mapped


def interpret(stream: str, mapped: Mapping[str, Any], aliases: Mapping[str, str]) -> Raw:
    """A mapped row as the WWS-shaped raw record; `RecordError` naming the column when a value is wrong."""
    layout = LAYOUTS[stream]
    raw: Raw = dict(layout.constants)
    for name in layout.columns:
        value = single(mapped.get(name), aliases[name])
        raw[name] = (value or "").lower() in TRUE if name in layout.flags else value
    for group, names in layout.groups.items():
        instances = zipped({n: mapped.get(n) for n in names}, aliases)
        raw[group] = [{layout.renamed.get(n, n): v for n, v in item.items()} for item in instances]
    for key, names in layout.nested.items():
        raw[key] = {name: raw[name] for name in names}
    return raw


def single(value: Any, alias: str) -> str | None:
    """One value as text; None when empty. Several values in a single-instance column are an error."""
    if isinstance(value, list):
        values = [v for v in value if v not in (None, "")]
        if len(values) > 1:
            raise RecordError(
                f"column {alias} holds {len(values)} values where one is expected; in the report, make it a "
                "single-instance field (or map a different column to it)",
                field=alias,
            )
        value = values[0] if values else None
    if isinstance(value, dict):
        value = value.get("Descriptor") or value.get("ID")
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def multi(value: Any, alias: str) -> list[str | None]:
    """A multi-instance value: a JSON list, a `;`-joined text, or one value."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [single(v, alias) for v in value]
    if isinstance(value, str):
        return [part.strip() or None for part in value.split(";")]
    return [single(value, alias)]


def zipped(columns: Mapping[str, Any], aliases: Mapping[str, str]) -> list[Raw]:
    """The instances of a group: its columns' values zipped; a column may be empty, else counts agree."""
    values = {name: multi(value, aliases[name]) for name, value in columns.items()}
    counts = {len(v) for v in values.values() if v}
    if len(counts) > 1:
        described = ", ".join(f"{aliases[n]} {len(v)}" for n, v in values.items() if v)
        raise RecordError(
            f"the multi-instance columns of one row hold different counts ({described}): each instance needs "
            "a value in each column (leave none out of a multi-instance field)",
            field=next(iter(aliases.values())),
        )
    count = counts.pop() if counts else 0
    return [{name: (v[i] if v else None) for name, v in values.items()} for i in range(count)]
