"""A sweep: the selected terms' courses, one page per course, courses fetched concurrently.

The cursor is `{"mode": "full"|"window", "terms": [term ids], "after_course": id, "done": bool,
"swept_on": "YYYY-MM-DD"}`. Courses are read in ascending id order and pages are yielded in that order
even though up to `max_concurrency` courses are fetched at once, so "every course up to `after_course`
is stored" holds and a killed run resumes after the last committed page. `None` (no cursor) starts a
`full` sweep of every selected term; a finished sweep's cursor starts a `window` sweep (open and
recently closed terms) on a later day, and yields nothing on the same day: Canvas has no
"changed since", so the day is the unit of freshness.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from connector_core import Page, SourceError, SourcePermissionError
from connector_core.transport import ordered_map
from lerconnect_canvas import terms as term_rules
from lerconnect_canvas.client import CanvasClient
from lerconnect_canvas.config import Config
from lerconnect_canvas.normalize import has_own_scale, term_label
from lerconnect_canvas.scales import ScaleReader

log = logging.getLogger("lerconnect.canvas")

COURSE_FIELDS = (
    "id",
    "name",
    "course_code",
    "sis_course_id",
    "workflow_state",
    "account_id",
    "enrollment_term_id",
    "start_at",
    "end_at",
)
TERM_FIELDS = ("id", "name", "sis_term_id", "start_at", "end_at")
USER_FIELDS = (
    "id",
    "name",
    "sortable_name",
    "short_name",
    "first_name",
    "last_name",
    "sis_user_id",
    "login_id",
    "integration_id",
    "email",
)
SIS_KEYED = {"sis_user_id", "login_id", "integration_id"}


def slim(obj: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Keep what normalize needs (missing keys stay missing: absent SIS fields mean something)."""
    return {k: obj[k] for k in fields if k in obj}


class Sweep:
    """One pull of one stream."""

    def __init__(
        self, client: CanvasClient, config: Config, stream: str, today: date, warn_once: Callable[[str, str], None]
    ) -> None:
        self.client = client
        self.config = config
        self.stream = stream
        self.today = today
        self.warn_once = warn_once
        self.users: dict[int, dict[str, Any]] = {}
        self.scales = ScaleReader(client)

    def run(self, cursor: Any) -> Iterator[Page]:
        all_terms = self.client.terms()
        state = self.start_state(cursor, all_terms)
        account_terms = {t["id"]: slim(t, TERM_FIELDS) for t in all_terms}
        missing = [t for t in state["terms"] if t not in account_terms]
        if missing:
            raise SourceError(
                f"terms {missing} of the interrupted run are gone from Canvas; "
                "reset this stream's cursor to start a full sync"
            )
        swept = [account_terms[t] for t in state["terms"]]
        covers = tuple(label for label in map(term_label, swept) if label)
        courses = self.courses(swept, state["after_course"])
        log.info(
            "canvas %s: %s sweep of %d term(s), %d course(s) to read",
            self.stream,
            state["mode"],
            len(state["terms"]),
            len(courses),
        )
        if not courses:
            yield Page(records=[], cursor={**state, "done": True}, covers=covers)
            return
        self.load_users()
        fetch = {
            "grades": self.enrollment_records,
            "cocurricular": self.enrollment_records,
            "competencies": self.competency_records,
        }[self.stream]
        work = [(course, account_terms[course["enrollment_term_id"]]) for course in courses]
        for index, records in enumerate(ordered_map(fetch, work, self.config.max_concurrency, name="canvas")):
            course_id = courses[index]["id"]
            done = index == len(courses) - 1
            cursor = {**state, "after_course": course_id, "done": done}
            yield Page(records=records, cursor=cursor, covers=covers, total=len(courses))

    def start_state(self, cursor: Any, all_terms: list[dict[str, Any]]) -> dict[str, Any]:
        """Resume an unfinished sweep, or start a new one: a full sweep with no cursor, else the window.

        Canvas has no "changed since": every run re-reads the open and recently closed terms, and the
        engine's content hash keeps what did not change from being rewritten or re-issued.
        """
        if isinstance(cursor, dict) and not cursor.get("done") and cursor.get("terms") is not None:
            return {
                "mode": cursor.get("mode", "full"),
                "terms": list(cursor["terms"]),
                "after_course": cursor.get("after_course"),
                "done": False,
            }
        full = not isinstance(cursor, dict)
        chosen = term_rules.select(
            all_terms, self.config.terms, self.today, full=full, window_days=self.config.closed_term_window_days
        )
        return {
            "mode": "full" if full else "window",
            "terms": [t["id"] for t in chosen],
            "after_course": None,
            "done": False,
        }

    def courses(self, chosen_terms: list[dict[str, Any]], after: int | None) -> list[dict[str, Any]]:
        """The stream's courses of the chosen terms, ascending id, after the resume point."""
        wanted = self.cocurricular_filter()
        found: dict[int, dict[str, Any]] = {}
        for term in chosen_terms:
            for course in self.client.courses(term["id"]):
                if wanted(course) == (self.stream == "cocurricular") and (after is None or course["id"] > after):
                    found[course["id"]] = slim(course, COURSE_FIELDS)
        return [found[k] for k in sorted(found)]

    def cocurricular_filter(self) -> Callable[[dict[str, Any]], bool]:
        spec = self.config.cocurricular
        if self.stream == "cocurricular" and not spec.configured:
            self.warn_once(
                "cocurricular-unset",
                "the cocurricular stream has nothing to read: set cocurricular.sub_account_ids or "
                "cocurricular.course_code_pattern for this source, or leave the stream out of `streams`",
            )
        accounts = {str(a) for a in spec.sub_account_ids}
        for account in spec.sub_account_ids:
            accounts.update(str(sub["id"]) for sub in self.client.sub_accounts(account))
        pattern = re.compile(spec.course_code_pattern) if spec.course_code_pattern else None

        def is_cocurricular(course: dict[str, Any]) -> bool:
            return str(course.get("account_id")) in accounts or bool(
                pattern and pattern.search(str(course.get("course_code") or ""))
            )

        return is_cocurricular

    def load_users(self) -> None:
        """Read the account's users once: names, email and SIS ids for every record of the sweep."""
        for user in self.client.users():
            self.users[user["id"]] = slim(user, USER_FIELDS)
        if not self.users or any("sis_user_id" in u for u in self.users.values()):
            return
        if self.config.learner_id in SIS_KEYED:
            raise SourcePermissionError(
                f"Canvas shows this token no SIS ids (`sis_user_id` is absent from GET /api/v1/accounts/"
                f"{self.client.account}/users), so learners cannot be keyed by learner_id = "
                f"{self.config.learner_id!r}: grant the token's user 'SIS Data - read' (read_sis) on the root "
                'account, or set learner_id = "email" (learners then have no institution id)'
            )
        self.warn_once(
            "no-sis",
            "Canvas shows this token no SIS ids: learners are keyed by email and carry "
            "no institution id; grant 'SIS Data - read' (read_sis) to match them across systems",
        )

    def user(self, user_id: int, fallback: dict[str, Any] | None) -> dict[str, Any]:
        """The directory entry, or the user object the enrollment carries (no email) if not listed."""
        return self.users.get(user_id) or slim(fallback or {"id": user_id}, USER_FIELDS)

    def enrollment_records(self, work: tuple[dict[str, Any], dict[str, Any]]) -> list[dict[str, Any]]:
        course, term = work
        return [
            {
                "kind": "enrollment",
                "enrollment": {k: v for k, v in e.items() if k != "user"},
                "user": self.user(e["user_id"], e.get("user")),
                "course": course,
                "term": term,
            }
            for e in self.client.student_enrollments(course["id"])
            if e.get("course_id", course["id"]) == course["id"]  # cross-listed away: read in the course it joined
        ]

    def competency_records(self, work: tuple[dict[str, Any], dict[str, Any]]) -> list[dict[str, Any]]:
        course, term = work
        outcomes = {str(link["outcome"]["id"]): link["outcome"] for link in self.client.outcome_links(course["id"])}
        if not outcomes:
            return []
        scale = None if all(map(has_own_scale, outcomes.values())) else self.scales.for_course(course)
        records = []
        for rollup in self.client.rollups(course["id"]):
            user_id = int(rollup.get("links", {}).get("user", 0))
            for score in rollup.get("scores") or []:
                outcome = outcomes.get(str(score.get("links", {}).get("outcome")))
                if outcome is None or score.get("score") is None:  # unlinked outcome / nothing assessed
                    continue
                records.append(
                    {
                        "kind": "outcome_rollup",
                        "user": self.user(user_id, None),
                        "course": course,
                        "term": term,
                        "outcome": outcome,
                        "score": score,
                        **({"scale": scale} if scale and not has_own_scale(outcome) else {}),
                    }
                )
        return records
