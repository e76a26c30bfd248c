"""The sweeps: which operation each stream reads, how its pages turn into cursors, how runs resume.

- Workers (`employment`, the worker half of `competencies`): a first run reads every worker; later
  runs read the transaction log window from the previous window's end minus `overlap_minutes` to
  the server's now minus `log_lag_minutes` (the log lags), on both axes: changes entered then
  (`Updated_From/Through`) and changes taking effect then (`Effective_From/Through`: a move or a
  termination entered ahead is read again on its day).
  `employment` adds each worker's earlier positions from its event history (`history`).
- Student and learning data have no change log: every run re-reads them (grades by academic period)
  and the content hash finds what changed.
A cursor is `{"part", "as_of", "page", "done", "from", "through"}`: an unfinished one resumes on the
next page with the same frozen `as_of`; a finished one starts the next window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from connector_core import Cursor, Page
from lerconnect_workday import extract
from lerconnect_workday.config import Config
from lerconnect_workday.history import History
from lerconnect_workday.wws import Wws

HR, STUDENT, LEARNING = "Human_Resources", "Student_Records", "Learning"
Extractor = Callable[[etree._Element], extract.Raw]


class Sweep:
    """One stream's run: a list of parts (operations, periods) read page by page."""

    def __init__(self, wws: Wws, config: Config, stream: str, missing: extract.Missing) -> None:
        self.wws = wws
        self.config = config
        self.stream = stream
        self.missing = missing

    def run(self, cursor: Cursor) -> Iterator[Page]:
        state = cursor if isinstance(cursor, dict) else None
        resuming = state is not None and not state.get("done")
        if not resuming:
            state = self._new_pass(state)
        parts = self.parts()
        for index in range(state["part"], len(parts)):
            _, read, covers = parts[index]
            start = state["page"] + 1 if index == state["part"] else 1
            for answer in read(state, start):
                last = index == len(parts) - 1 and answer.page >= answer.total_pages
                state = {**state, "part": index, "page": answer.page, "done": last}
                yield Page(records=answer.records, cursor=state, covers=covers)
        if not parts:
            yield Page(records=[], cursor={**state, "done": True})

    def _new_pass(self, previous: dict[str, Any] | None) -> dict[str, Any]:
        now = self.wws.server_timestamp()
        state: dict[str, Any] = {"part": 0, "page": 0, "done": False, "as_of": now.isoformat(), "from": None}
        state["through"] = None
        if previous is not None and self.stream in WORKER_STREAMS:
            mark = datetime.fromisoformat(previous.get("through") or previous["as_of"])
            state["from"] = (mark - timedelta(minutes=self.config.overlap_minutes)).isoformat()
            state["through"] = max(mark, now - timedelta(minutes=self.config.log_lag_minutes)).isoformat()
        return state

    def parts(self) -> list[tuple[str, Callable[[dict[str, Any], int], Iterator[Any]], tuple[str, ...]]]:
        config = self.config
        if self.stream == "employment":
            group = {"Include_Employment_Information": True}
            return [("workers", self._workers(extract.employment, group, history=config.employment_history), ())]
        if self.stream == "competencies":
            parts = []
            if config.student_records:
                parts.append(
                    (
                        "students",
                        self._items(
                            STUDENT, "Get_Student_Competencies", "Student_Competency", extract.student_competency
                        ),
                        (),
                    )
                )
            group = {"Include_Qualifications": True, "Include_Skills": True}
            parts.append(("workers", self._workers(extract.worker_competencies, group), ()))
            return parts
        if self.stream == "learning":
            return [("enrollments", self._learning(), ())]
        if not config.student_records:
            return []
        if self.stream == "cocurricular":
            operation = "Get_Student_Accomplishments"
            return [
                (
                    "accomplishments",
                    self._items(STUDENT, operation, "Student_Accomplishment", extract.accomplishment),
                    (),
                )
            ]
        periods: list[str | None] = list(config.academic_periods) or [None]
        return [(f"period {p or 'all'}", self._registrations(p), (p,) if p else ()) for p in periods]

    def _paged(
        self,
        service: str,
        operation: str,
        item: str,
        convert: Callable[[list[etree._Element], datetime], list],
        **request: Any,
    ) -> Callable[[dict[str, Any], int], Iterator[Any]]:
        def read(state: dict[str, Any], start: int) -> Iterator[Any]:
            as_of = datetime.fromisoformat(state["as_of"])
            for answer in self.wws.pages(service, operation, item, as_of=as_of, start=start, **request):
                yield _Converted(answer.page, answer.total_pages, convert(answer.items, as_of))

        return read

    def _items(self, service: str, operation: str, item: str, one: Extractor):
        return self._paged(service, operation, item, lambda items, _: [one(i) for i in items])

    def _registrations(self, period: str | None):
        criteria = {"Academic_Period_Reference": [_reference("Academic_Period_ID", period)]} if period else None
        return self._paged(
            STUDENT,
            "Get_Student_Course_Registrations",
            "Student_Course_Registration",
            lambda items, _: [extract.registration(i) for i in items],
            Request_Criteria=criteria,
        )

    def _workers(
        self,
        one: Callable[[etree._Element, extract.Missing], extract.Raw],
        group: dict[str, bool],
        *,
        history: bool = False,
    ):
        group = {"Include_Reference": True, "Include_Personal_Information": True, **group}
        earlier = History(self.wws, self.config, self.missing) if history else None

        def read(state: dict[str, Any], start: int) -> Iterator[Any]:
            criteria = None
            if state.get("from"):
                since, until = datetime.fromisoformat(state["from"]), datetime.fromisoformat(state["through"])
                entered = {"Updated_From": since, "Updated_Through": until}
                effective = {"Effective_From": since, "Effective_Through": until}
                criteria = {
                    "Transaction_Log_Criteria_Data": [
                        {"Transaction_Date_Range_Data": entered},
                        {"Transaction_Date_Range_Data": effective},
                    ]
                }
            as_of = datetime.fromisoformat(state["as_of"])
            for answer in self.wws.pages(
                HR, "Get_Workers", "Worker", as_of=as_of, start=start, Request_Criteria=criteria, Response_Group=group
            ):
                day = as_of.date().isoformat()  # the day the answer describes: a later End_Date is planned
                records = [{**one(w, self.missing), "as_of": day} for w in answer.items]
                if earlier is not None:
                    records = [earlier.complete(r, as_of) for r in records]
                yield _Converted(answer.page, answer.total_pages, records)

        return read

    def _learning(self):
        def convert(items: list[etree._Element], as_of: datetime) -> list[extract.Raw]:
            records = [extract.enrollment(i) for i in items]
            people = self.directory({r["employee_id"] for r in records if r["employee_id"]}, as_of)
            for record in records:
                record["learner"] = people.get(record["employee_id"])
            return records

        return self._paged(LEARNING, "Get_Learning_Enrollments", "Learning_Enrollment", convert)

    def directory(self, employee_ids: set[str], as_of: datetime) -> dict[str, extract.Raw]:
        """Who the learners of a learning page are (`Get_Workers` by reference): one request per page."""
        if not employee_ids:
            return {}
        references = {
            "Worker_Reference": [_reference("Employee_ID", i) for i in sorted(employee_ids)],
            "Skip_Non_Existing_Instances": True,
        }
        group = {"Include_Reference": True, "Include_Personal_Information": True}
        people: dict[str, extract.Raw] = {}
        for answer in self.wws.pages(
            HR, "Get_Workers", "Worker", as_of=as_of, Request_References=references, Response_Group=group
        ):
            for worker in answer.items:
                person = extract.identity(worker, self.missing)
                people[person["employee_id"]] = person
        return people


class _Converted:
    def __init__(self, page: int, total_pages: int, records: list[extract.Raw]) -> None:
        self.page = page
        self.total_pages = max(total_pages, 1)
        self.records = records


def _reference(id_type: str, value: str) -> dict[str, Any]:
    return {"ID": [{"type": id_type, "_value_1": value}]}


WORKER_STREAMS = frozenset({"employment", "competencies"})
