"""Earlier positions: `Get_Worker_Event_History` says when a worker left a position, `Get_Workers` which one.

`Get_Workers` answers only the positions held on its effective date (a terminated worker: the last
ones). A worker's job events (`Change Job`, `End Additional Job`, `Termination`, …) take effect the
day after a last day in a position, so `Get_Workers` by reference as of that last day shows the
position; one no longer held now ended that day. `Get_Worker_Event_History` is an older-style
operation: one worker per request, an `Integration_ID_Reference` with `System_ID` `WD-EMPLID`.
Requests: one history per worker read (every worker on a full pass, the changed ones on an
incremental one), plus one `Get_Workers` per position-ending event the current answer does not
already explain (a terminated worker's last position is in it, with its end).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from lerconnect_workday import extract, xml
from lerconnect_workday.config import Config
from lerconnect_workday.wws import Wws

HR = "Human_Resources"
EMPLOYEE_SYSTEM_ID = "WD-EMPLID"


class History:
    """Adds the ended positions of each worker of a page to its raw record (`jobs`)."""

    def __init__(self, wws: Wws, config: Config, missing: extract.Missing) -> None:
        self.wws = wws
        self.config = config
        self.missing = missing

    def complete(self, worker: extract.Raw, as_of: datetime) -> extract.Raw:
        """`worker` with every earlier position it held, each ended on the last day before its event."""
        if not worker.get("employee_id"):
            return worker  # normalization dead-letters it
        held = {job["position_id"] for job in worker["jobs"]}
        explained = {job["end"] for job in worker["jobs"] if job["end"]}
        earlier: dict[str, extract.Raw] = {}
        for kind, effective in self.events(worker["employee_id"]):
            last_day = effective - timedelta(days=1)
            if kind not in self.config.position_end_events or effective > as_of.date():
                continue  # not a move out of a position, or one still to come (the position is held now)
            if last_day.isoformat() in explained:
                continue
            for job in self.positions_on(worker["employee_id"], last_day, as_of):
                if job["position_id"] in held:
                    continue
                ended = {**job, "end": job["end"] or last_day.isoformat(), "primary": False}
                known = earlier.get(job["position_id"])
                if known is None or known["end"] < ended["end"]:
                    earlier[job["position_id"]] = ended
        return {**worker, "jobs": [*worker["jobs"], *sorted(earlier.values(), key=lambda j: j["start"] or "")]}

    def events(self, employee_id: str) -> list[tuple[str, date]]:
        """(event type, effective date) of every event of the worker."""
        reference = {"Employee_Reference": {"Integration_ID_Reference": {"ID": _system_id(employee_id)}}}
        answer = self.wws.call(HR, "Get_Worker_Event_History", Worker_Reference=reference)
        out = []
        for event in xml.findall(answer, "Worker_Event_History_Data/Event_Data"):
            kind = xml.text(event, "Event_Type_Reference/Event_Type_Name")
            effective = _date(xml.text(event, "Effective_Date") or xml.text(event, "Completed_DateTime"))
            if kind is None or effective is None:
                self.missing.warn(
                    "missing:Get_Worker_Event_History:Event_Data",
                    "Get_Worker_Event_History answered an event without its type or a date: earlier positions "
                    "may be missing (grant the ISU Worker Data: Business Process History)",
                )
                continue
            out.append((kind, effective))
        return out

    def positions_on(self, employee_id: str, day: date, as_of: datetime) -> list[extract.Raw]:
        """The positions `Get_Workers` shows for the worker as of the effective `day`."""
        references = {"Worker_Reference": [{"ID": [{"type": "Employee_ID", "_value_1": employee_id}]}]}
        group = {"Include_Reference": True, "Include_Employment_Information": True}
        jobs: list[extract.Raw] = []
        for answer in self.wws.pages(
            HR, "Get_Workers", "Worker", as_of=as_of, effective=day, Request_References=references, Response_Group=group
        ):
            jobs.extend(job for worker in answer.items for job in extract.jobs(worker))
        return jobs


def _system_id(employee_id: str) -> dict[str, str]:
    return {"_value_1": employee_id, "System_ID": EMPLOYEE_SYSTEM_ID}


def _date(value: str | None) -> date | None:
    """A Workday date or dateTime's day; None when absent or not a date."""
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None
