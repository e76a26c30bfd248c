"""Code tables read once per run: every Ethos reference is a GUID, resolved here, never one GET per record.

Periods, subjects, courses, sections, grade definitions and persons are paged in full on first
need and kept for the run. A change notification for one of them updates the cached row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from connector_core import SourceError
from lerconnect_banner.ethos import EthosClient, NotFound

Row = dict[str, Any]


def ref(record: Mapping[str, Any], *path: str) -> str | None:
    """The GUID at `record[path...]['id']`, or None where any step is missing."""
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    value = value.get("id") if isinstance(value, Mapping) else None
    return value if isinstance(value, str) and value else None


def iso_day(value: Any) -> date | None:
    """The date an Ethos timestamp (`2026-05-08T00:00:00Z`) or date names, else None."""
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _title(record: Mapping[str, Any]) -> str | None:
    titles = record.get("titles")
    if isinstance(titles, list) and titles and isinstance(titles[0], Mapping):
        return titles[0].get("value")
    return record.get("title")


def period(record: Mapping[str, Any]) -> Row:
    return {
        "code": record.get("code"),
        "title": record.get("title"),
        "startOn": record.get("startOn"),
        "endOn": record.get("endOn"),
    }


def person(record: Mapping[str, Any]) -> Row:
    names = [n for n in record.get("names") or [] if isinstance(n, Mapping)]
    name = next((n for n in names if n.get("preference") == "preferred"), names[0] if names else {})
    credentials = [c for c in record.get("credentials") or [] if isinstance(c, Mapping)]
    emails = [e for e in record.get("emails") or [] if isinstance(e, Mapping)]
    email = next((e for e in emails if e.get("preference") == "primary"), emails[0] if emails else {})
    privacy = record.get("privacyStatus") or {}
    roles = [r.get("role") for r in record.get("roles") or [] if isinstance(r, Mapping)]
    return {
        "bannerId": next((c.get("value") for c in credentials if c.get("type") == "bannerId"), None),
        "firstName": name.get("firstName"),
        "lastName": name.get("lastName"),
        "email": email.get("address"),
        "confidential": isinstance(privacy, Mapping) and privacy.get("privacyCategory") == "restricted",
        "roles": [r for r in roles if isinstance(r, str)],
    }


def grade(record: Mapping[str, Any]) -> str | None:
    value = record.get("grade")
    return value.get("value") if isinstance(value, Mapping) else None


def course(record: Mapping[str, Any]) -> Row:
    credits = [c for c in record.get("credits") or [] if isinstance(c, Mapping)]
    return {
        "subject": ref(record, "subject"),
        "number": record.get("number"),
        "title": _title(record),
        "credits": credits[0].get("minimum") if credits else None,
    }


def section(record: Mapping[str, Any]) -> Row:
    crn = next(
        (
            a.get("value")
            for a in record.get("alternateIds") or []
            if isinstance(a, Mapping) and a.get("title") == "CRN"
        ),
        None,
    )
    return {
        "course": ref(record, "course"),
        "period": ref(record, "academicPeriod"),
        "number": record.get("number"),
        "code": record.get("code"),
        "crn": crn,
    }


def code(record: Mapping[str, Any]) -> Row:
    return {"code": record.get("code"), "title": record.get("title") or record.get("name")}


SHAPES: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "academic-periods": period,
    "persons": person,
    "grade-definitions": grade,
    "subjects": lambda r: r.get("abbreviation") or r.get("code"),
    "courses": course,
    "sections": section,
    "campus-organizations": code,
    "campus-involvement-roles": code,
    "student-cohorts": code,
}


class CodeTables:
    """GUID -> the few fields a record needs, per resource; each resource read in full once (or, when
    `narrow`ed, only the rows a filter matches, any other GUID then read alone, once)."""

    def __init__(self, client: EthosClient) -> None:
        self.client = client
        self.tables: dict[str, dict[str, Any]] = {}
        self.narrowed: set[str] = set()

    def _read(self, resource: str, criteria: Mapping[str, Any] | None = None) -> dict[str, Any]:
        shape = SHAPES[resource]
        rows = self.client.all(resource, criteria=criteria)
        return {r["id"]: shape(r) for r in rows if isinstance(r.get("id"), str)}

    def table(self, resource: str) -> dict[str, Any]:
        if resource not in self.tables:
            self.tables[resource] = self._read(resource)
        return self.tables[resource]

    def narrow(self, resource: str, filters: list[Mapping[str, Any]]) -> None:
        """Read only the rows these `criteria` match (a night's sections: the open terms' only)."""
        if resource not in self.tables:
            self.tables[resource] = {guid: row for f in filters for guid, row in self._read(resource, f).items()}
            self.narrowed.add(resource)

    def get(self, resource: str, guid: str | None) -> Any:
        if not guid:
            return None
        table = self.table(resource)
        if guid not in table and resource in self.narrowed:
            try:
                table[guid] = SHAPES[resource](self.client.one(resource, guid))
            except NotFound:
                table[guid] = None
        return table.get(guid)

    def by_code(self, resource: str) -> dict[str, str]:
        """Banner code -> GUID of a code table's rows (term codes for academic-periods)."""
        return {row["code"]: guid for guid, row in self.table(resource).items() if row.get("code")}

    def initial_terms(self, codes: list[str]) -> dict[str, str]:
        """Term code -> academic-periods GUID; `initial_terms` naming a term the tenant lacks is an error."""
        by_code = self.by_code("academic-periods")
        unknown = [code for code in codes if code not in by_code]
        if unknown:
            raise SourceError(
                f"initial_terms {unknown} are not academic-periods codes this tenant serves "
                f"(known: {', '.join(sorted(by_code)[:8])}...)"
            )
        return by_code

    def update(self, resource: str, guid: str, content: Mapping[str, Any] | None) -> bool:
        """A notification about a reference row: refresh it if the table is loaded; True if it is one."""
        if resource not in SHAPES:
            return False
        table = self.tables.get(resource)
        if table is not None:
            if content is None:
                table.pop(guid, None)
            else:
                table[guid] = SHAPES[resource](content)
        return True
