"""Co-curricular records from the Banner BP API `general-student-activities` (SGRSACT), per Banner ID.

Business Process APIs are code-based, not GUID-based: a row names its term (`termCode`), the activity
(`actcCode`, described by `stvactcDesc`) and SGRSACT's `activityDate` (Banner's last-changed stamp,
not when the activity happened). The API answers for one student at a time (`id` = Banner ID, and
`stvtermTermCode` to narrow it to a term), so a sweep asks once per learner, or once per learner and
term when `initial_terms` names terms. The learners are the `persons` rows (the code table the grades
stream reads too, once per run) that carry a Banner ID and are students or alumni (or list no role).

A row's record id is its SGRSACT key: Banner ID, term code and activity code. BP APIs publish no
change notifications, so every run is a full pass, which also withdraws what SGRSACT no longer has.
Cursor inside a sweep: `{"after": <the last Banner ID read>}`, so a resumed pass skips no learner
even when persons were added meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from functools import cached_property
from typing import Any

from connector_core import Page
from lerconnect_banner.config import Config
from lerconnect_banner.ethos import EthosClient
from lerconnect_banner.normalize import ACTIVITIES
from lerconnect_banner.tables import CodeTables, iso_day

ACTIVITY_TYPES = "activity-types"
LEARNER_ROLES = {"student", "alumni"}
LEARNERS_PER_PAGE = 50
"""Learners whose activities are stored together (one page, one commit, one cursor)."""


class ActivitySweep:
    """One full pass over `general-student-activities`, learner by learner."""

    def __init__(self, client: EthosClient, tables: CodeTables, config: Config, today: date) -> None:
        self.client = client
        self.tables = tables
        self.config = config
        self.today = today

    @cached_property
    def periods(self) -> dict[str, str]:
        """Term code -> academic-periods GUID."""
        return self.tables.by_code("academic-periods")

    def learners(self) -> list[tuple[str, dict[str, Any]]]:
        """(Banner ID, person row) of everyone whose activities are asked for, in Banner ID order."""
        chosen = {
            row["bannerId"]: row
            for row in self.tables.table("persons").values()
            if row.get("bannerId") and (not row.get("roles") or LEARNER_ROLES & set(row["roles"]))
        }
        return sorted(chosen.items())

    def rows_of(self, banner_id: str) -> list[dict[str, Any]]:
        rows = []
        for term in self.config.initial_terms or [None]:
            params = {"id": banner_id, **({"stvtermTermCode": term} if term else {})}
            rows.extend(self.client.all(ACTIVITIES, params=params))
        return rows

    def raw(self, banner_id: str, person: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
        """The row with its learner and term joined, in the shape involvements have."""
        row = row if isinstance(row, Mapping) else {"unexpected": row}  # normalize names what is missing
        code = row.get("termCode")
        period = self.tables.get("academic-periods", self.periods.get(str(code)))
        end = iso_day(period["endOn"]) if period else None
        return {
            "id": f"{banner_id}:{code}:{row.get('actcCode')}",
            "resource": ACTIVITIES,
            "operation": "load",
            "learner": dict(person),
            "activity": {"code": row.get("actcCode"), "title": row.get("stvactcDesc")},
            "role": None,
            "term": period,
            "termCode": code,
            "startOn": period["startOn"] if period else None,
            "endOn": period["endOn"] if end is not None and end < self.today else None,
            "ethos": dict(row),
        }

    def pages(self, cursor: Mapping[str, Any] | None) -> Iterator[Page]:
        covers = tuple(self.config.initial_terms or ())
        self.tables.initial_terms(list(covers))
        after = str(cursor["after"]) if cursor else ""
        learners = [(banner_id, person) for banner_id, person in self.learners() if banner_id > after]
        for start in range(0, len(learners), LEARNERS_PER_PAGE):
            batch = learners[start : start + LEARNERS_PER_PAGE]
            raws = [self.raw(banner_id, person, row) for banner_id, person in batch for row in self.rows_of(banner_id)]
            yield Page(raws, {"after": batch[-1][0]}, covers)
        yield Page([], None, covers)
