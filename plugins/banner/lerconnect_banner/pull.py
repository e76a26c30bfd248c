"""What a run reads: full loads as offset walks (resumable), then change notifications.

Raw records handed to `normalize` are self-contained: the Ethos record under `ethos`, plus the
learner, section, course, term and grade its GUIDs resolve to (None where a reference did not
resolve, which `normalize` reports naming the field), so a dead letter can be normalized again alone.

Grades: terms that have ended are read from `student-transcript-grades` (the official, rolled
grades); registrations count only while their term runs (in progress, withdrawn, unverified grade).

Cursors (JSON): `{"walk": i, "offset": n}` inside a full load; `{"changes": id}` after it, `id`
being the last change notification stored (0 after a full load: everything still queued). It is
sent as `lastProcessedID` on every `/consume`, so a run that died before storing a batch gets it again.

Banner 9 mode has no notification queue. After a full load the cursor is `{"full_on": day}` (the
day of that full pass); a nightly run then re-reads only the open terms' transcript grades (the
running terms and the `recent_terms` latest ended ones, by the `academicPeriod` filter Banner
offers) and the engine's content hash finds what changed; `{"full_on": day, "walk": i, "offset": n}`
inside it. Registrations cannot be filtered by term, so running-term registrations (in progress,
never issued as final) and whatever else changed in older terms wait for the full pass: the first
nightly run `full_pass_days` after the last one ends with an empty cursor, so the next run is full
and withdraws what Banner no longer has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from connector_core import Cursor, Page
from lerconnect_banner.config import Config
from lerconnect_banner.ethos import EthosClient
from lerconnect_banner.tables import CodeTables, iso_day, ref

log = logging.getLogger("lerconnect.banner")

TRANSCRIPT = "student-transcript-grades"
REGISTRATION = "section-registrations"
UNVERIFIED = "student-unverified-grades"
ENDED_REASONS = {"withdrawn", "dropped", "canceled"}
COCURRICULAR = {
    "campus-involvements": ("campus-organizations", ("campusOrganization",), "person"),
    "student-cohort-assignments": ("student-cohorts", ("cohort",), "person"),
}
"""cocurricular source -> (the resource naming the activity, its reference path, the person field)."""


@dataclass(frozen=True)
class Walk:
    resource: str
    criteria: Mapping[str, Any] | None = None


class Reader:
    """Reads one stream for one run: joins GUIDs through the code tables, yields pages with cursors."""

    def __init__(self, client: EthosClient, tables: CodeTables, config: Config, today: date) -> None:
        self.client = client
        self.tables = tables
        self.config = config
        self.today = today
        self._unverified: dict[str, str] | None = None
        self._registrations: dict[str, dict[str, Any]] = {}
        self.skipped: dict[str, int] = {}

    # --- joins -----------------------------------------------------------------------------

    def _context(self, student: str | None, section_guid: str | None, period_guid: str | None) -> dict[str, Any]:
        section = self.tables.get("sections", section_guid)
        course = self.tables.get("courses", section["course"]) if section else None
        if course is not None:
            course = {**course, "subject": self.tables.get("subjects", course["subject"])}
        period = self.tables.get("academic-periods", period_guid or (section or {}).get("period"))
        return {
            "learner": self.tables.get("persons", student),
            "section": section,
            "course": course,
            "term": period,
        }

    def term_running(self, section_guid: str | None) -> bool:
        section = self.tables.get("sections", section_guid)
        period = self.tables.get("academic-periods", section["period"]) if section else None
        end = iso_day(period["endOn"]) if period else None
        return end is None or end >= self.today

    def transcript(self, record: Mapping[str, Any], operation: str = "load") -> dict[str, Any]:
        return {
            "id": record.get("id"),
            "resource": TRANSCRIPT,
            "operation": operation,
            **self._context(ref(record, "student"), ref(record, "course", "section"), ref(record, "academicPeriod")),
            "grade": self.tables.get("grade-definitions", ref(record, "grade")),
            "ethos": record,
        }

    def unverified(self) -> dict[str, str]:
        """Registration GUID -> the faculty-entered final grade (read once, when configured)."""
        if self._unverified is None:
            self._unverified = {}
            if self.config.unverified_grades:
                for row in self.client.all(UNVERIFIED):
                    self._remember_unverified(row)
        return self._unverified

    def _remember_unverified(self, row: Mapping[str, Any]) -> str | None:
        registration = ref(row, "sectionRegistration")
        grades = (row.get("details") or {}).get("grades") if isinstance(row.get("details"), Mapping) else None
        letter = None
        for entry in grades or []:
            letter = self.tables.get("grade-definitions", ref(entry, "grade")) or letter
        if registration and letter and self._unverified is not None:
            self._unverified[registration] = letter
        return registration

    def registration(self, record: Mapping[str, Any], operation: str = "load") -> dict[str, Any]:
        status = record.get("status") if isinstance(record.get("status"), Mapping) else {}
        return {
            "id": record.get("id"),
            "resource": REGISTRATION,
            "operation": operation,
            **self._context(ref(record, "registrant"), ref(record, "section"), None),
            "status": status.get("sectionRegistrationStatusReason") or status.get("registrationStatus"),
            "unverifiedGrade": self.unverified().get(str(record.get("id"))),
            "ethos": record,
        }

    def involvement(self, record: Mapping[str, Any], operation: str = "load") -> dict[str, Any]:
        activity_resource, path, person_field = COCURRICULAR[self.config.cocurricular]
        role = self.tables.get("campus-involvement-roles", ref(record, "role")) if "role" in record else None
        period = self.tables.get("academic-periods", ref(record, "academicPeriod"))
        return {
            "id": record.get("id"),
            "resource": self.config.cocurricular,
            "operation": operation,
            "learner": self.tables.get("persons", ref(record, person_field)),
            "activity": self.tables.get(activity_resource, ref(record, *path)),
            "role": (role or {}).get("title"),
            "term": period,
            "startOn": record.get("startOn"),
            "endOn": record.get("endOn"),
            "ethos": record,
        }

    # --- full loads --------------------------------------------------------------------------

    def walks(self, stream: str) -> list[Walk]:
        if stream == "cocurricular":
            return [Walk(self.config.cocurricular)]
        terms = self.config.initial_terms
        if not terms:
            return [Walk(TRANSCRIPT), Walk(REGISTRATION)]
        by_code = self.tables.initial_terms(terms)
        return [Walk(TRANSCRIPT, {"academicPeriod": {"id": by_code[t]}}) for t in terms] + [Walk(REGISTRATION)]

    def joined(self, stream: str, resource: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if stream == "cocurricular":
            return [self.involvement(r) for r in rows]
        if resource == TRANSCRIPT:
            return [self.transcript(r) for r in rows]
        wanted = self._term_filter()
        return [
            self.registration(r)
            for r in rows
            if self.term_running(ref(r, "section")) and (wanted is None or self._term_of(r) in wanted)
        ]

    def _term_filter(self) -> set[str] | None:
        return set(self.config.initial_terms) if self.config.initial_terms else None

    def _term_of(self, registration: Mapping[str, Any]) -> str | None:
        section = self.tables.get("sections", ref(registration, "section"))
        period = self.tables.get("academic-periods", section["period"]) if section else None
        return period["code"] if period else None

    def full(self, stream: str, cursor: Mapping[str, Any] | None, then: Cursor) -> Iterator[Page]:
        covers = tuple(self.config.initial_terms or ()) if stream == "grades" else ()
        yield from self._walk(stream, self.walks(stream), cursor, {}, covers)
        yield Page([], then, covers)

    def _walk(
        self,
        stream: str,
        walks: list[Walk],
        cursor: Mapping[str, Any] | None,
        marks: Mapping[str, Any],
        covers: tuple[str, ...] = (),
    ) -> Iterator[Page]:
        """The walks' pages from where `cursor` stopped; each page's cursor is `marks` + its position."""
        start, offset = (int(cursor["walk"]), int(cursor["offset"])) if cursor and "walk" in cursor else (0, 0)
        for number, walk in enumerate(walks[start:], start=start):
            for rows, after in self.client.pages(walk.resource, offset=offset, criteria=walk.criteria):
                yield Page(self.joined(stream, walk.resource, rows), {**marks, "walk": number, "offset": after}, covers)
            offset = 0

    # --- Banner 9 nights: the open terms again, a full pass now and then -------------------------

    def open_terms(self) -> list[str]:
        """Term codes a night re-reads: running ones and the `recent_terms` latest ended, within initial_terms."""
        periods = [p for p in self.tables.table("academic-periods").values() if p.get("code")]
        started = [p for p in periods if (iso_day(p["startOn"]) or date.min) <= self.today]
        ended = sorted(
            (p for p in started if (iso_day(p["endOn"]) or date.max) < self.today),
            key=lambda p: iso_day(p["endOn"]) or date.min,
        )
        recent = ended[len(ended) - self.config.recent_terms :] if self.config.recent_terms else []
        chosen = [p["code"] for p in started if p not in ended] + [p["code"] for p in recent]
        wanted = self._term_filter()
        return sorted(c for c in chosen if wanted is None or c in wanted)

    def full_pass_due(self, full_on: date) -> bool:
        return self.today >= full_on + timedelta(days=self.config.full_pass_days)

    def nightly(self, cursor: Mapping[str, Any]) -> Iterator[Page]:
        """The open terms' transcript grades; the last cursor asks for a full pass once one is due."""
        full_on = iso_day(cursor["full_on"]) or self.today
        by_code = self.tables.by_code("academic-periods")
        terms = [{"academicPeriod": {"id": by_code[code]}} for code in self.open_terms()]
        self.tables.narrow("sections", terms)  # sections and transcript grades share the term filter
        walks = [Walk(TRANSCRIPT, term) for term in terms]
        yield from self._walk("grades", walks, cursor, {"full_on": full_on.isoformat()})
        yield Page([], None if self.full_pass_due(full_on) else {"full_on": full_on.isoformat()})

    # --- change notifications ----------------------------------------------------------------

    def changes(self, last: int) -> Iterator[Page]:
        """Consume until the queue is empty; each batch is one page whose cursor is its last id."""
        while True:
            batch, remaining = self.client.consume(last)
            if not batch:
                return
            raws = [raw for message in batch for raw in self.route(message)]
            last = int(batch[-1]["id"])
            yield Page(raws, {"changes": last})
            if remaining == 0:
                return

    def route(self, message: Mapping[str, Any]) -> list[dict[str, Any]]:
        resource = message.get("resource") if isinstance(message.get("resource"), Mapping) else {}
        name, guid = resource.get("name"), str(resource.get("id") or "")
        operation = str(message.get("operation") or "updated")
        content = message.get("content") if isinstance(message.get("content"), Mapping) else None
        deleted = operation == "deleted" or content is None
        handlers: dict[str, Callable[[Mapping[str, Any], str], list[dict[str, Any]]]] = {
            TRANSCRIPT: lambda c, op: [self.transcript(c, op)],
            REGISTRATION: self._registration_change,
        }
        if self.config.unverified_grades:
            handlers[UNVERIFIED] = self._unverified_change
        if name in handlers:
            if deleted and name != UNVERIFIED:
                return [{"id": guid, "resource": name, "operation": "deleted"}]
            return handlers[name](content or {"id": guid}, operation)
        if not self.tables.update(str(name), guid, None if deleted else content):
            self.skipped[str(name)] = self.skipped.get(str(name), 0) + 1
            log.debug(
                "change notification %s for %s: not a resource this plugin reads; skipped", message.get("id"), name
            )
        return []

    def _registration_change(self, content: Mapping[str, Any], operation: str) -> list[dict[str, Any]]:
        self._registrations[str(content.get("id"))] = dict(content)
        if not self.term_running(ref(content, "section")):
            return []  # an ended term's grades come from the transcript
        return [self.registration(content, operation)]

    def _unverified_change(self, content: Mapping[str, Any], operation: str) -> list[dict[str, Any]]:
        table = self.unverified()
        registration = ref(content, "sectionRegistration")
        if registration is None:
            return []
        if operation == "deleted":
            table.pop(registration, None)
        else:
            self._remember_unverified(content)
        if registration not in self._registrations:  # rare: one faculty grade entry names one registration
            self._registrations[registration] = self.client.one(REGISTRATION, registration)
        return self._registration_change(self._registrations[registration], "updated")
