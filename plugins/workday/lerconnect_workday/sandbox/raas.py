"""The tenant's custom reports (RaaS): `/ccx/service/customreport2/<tenant>/<owner>/<report>`, rows as JSON.

HTTP Basic as a tenant user (`user` or `user@tenant`); `?format=json` answers `{"Report_Entry": […]}`
in one response (no paging), `?xsds` the report's schema. Prompts are query parameters: the grades
report takes `Academic_Period!Academic_Period_ID` (repeatable), the worker reports `Updated_Since`
(a date). Like a real report, the aliases are this tenant's (`ALIASES`, some unlike the plugin's
defaults), an empty field is left out of its row, and a multi-instance field holds one value as
text, several as a JSON list (positions, skills) or `;`-joined (competencies, as Simple XML does).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from connector_core.sandbox import basic_credentials, unauthorized

OWNER = "isu_lerconnect"
ALIASES = {
    "grades": {"grade": "Student_Grade", "course": "Course", "status": "Registration_Record_Status"},
    "cocurricular": {"type": "Student_Accomplishment_Type"},
    "learning": {"completed": "Learning_Enrollment_Completion_Date", "content": "Learning_Content"},
    "employment": {"organization": "Organization", "business_title": "Business_Title"},
    "competencies": {"level": "Proficiency"},
}
"""Where this tenant's report authors named a column unlike the plugin's default (the config maps them)."""
PERIOD_PROMPT = "Academic_Period!Academic_Period_ID"
SINCE_PROMPT = "Updated_Since"


class Reports:
    """The reports of a `WorkdayApp`'s tenant, built from the same data its WWS operations answer."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.tenant = app.tenant
        self.reports: dict[str, tuple[str, Callable[[Request], list[dict[str, Any]]]]] = {
            "LER_Course_Grades": ("grades", self.grades),
            "LER_Student_Accomplishments": ("cocurricular", self.accomplishments),
            "LER_Learning_Completions": ("learning", self.learning),
            "LER_Worker_Positions": ("employment", self.positions),
            "LER_Worker_Competencies": ("competencies", self.competencies),
        }
        self.runs: dict[str, int] = {}

    def table(self) -> dict[str, dict[str, Any]]:
        """The `raas` config for every stream, pointing at these reports."""
        from lerconnect_workday.columns import LAYOUTS

        out = {}
        for name, (stream, _) in self.reports.items():
            report: dict[str, Any] = {"report": f"{OWNER}/{name}", "columns": ALIASES[stream]}
            if stream == "grades":
                report["period_prompt"] = PERIOD_PROMPT
            if stream in ("employment", "competencies"):
                report["since_prompt"] = SINCE_PROMPT
            assert set(ALIASES[stream]) <= LAYOUTS[stream].fields()
            out[stream] = report
        return out

    def respond(self, request: Request, owner: str, name: str) -> Response:
        if self._user(request) is None:
            return unauthorized({"error": "Invalid username or password"}, scheme="Basic", realm="Workday")
        if name not in self.reports or owner != OWNER:
            return Response(
                json.dumps({"error": f"Report {owner}/{name} not found"}), 404, content_type="application/json"
            )
        stream, build = self.reports[name]
        if "xsds" in request.args:
            return Response(f'<xsd:schema targetNamespace="urn:com.workday.report/{name}"/>', content_type="text/xml")
        if request.args.get("format") != "json":
            return Response("this sandbox serves ?format=json", status=400, content_type="text/plain")
        self.runs[name] = self.runs.get(name, 0) + 1
        rows = [self._aliased(stream, row) for row in build(request)]
        headers = {"Date": format_datetime(self.tenant.now().astimezone(UTC), usegmt=True)}
        return Response(json.dumps({"Report_Entry": rows}), content_type="application/json", headers=headers)

    def _user(self, request: Request) -> str | None:
        found = basic_credentials(request)
        if found is None:
            return None
        user, _, tenant = found[0].partition("@")
        known = self.tenant.users.get(user)
        if known is None or (tenant and tenant != self.tenant.name):
            return None
        return user if hmac.compare_digest(known.encode(), found[1].encode()) else None

    def _aliased(self, stream: str, row: dict[str, Any]) -> dict[str, Any]:
        """The row under the report's aliases (the plugin's defaults but where `ALIASES` differ); empties out."""
        from lerconnect_workday.columns import LAYOUTS

        aliases = LAYOUTS[stream].aliases(ALIASES[stream])
        return {aliases[k]: v for k, v in row.items() if v not in (None, "", [])}

    def grades(self, request: Request) -> list[dict[str, Any]]:
        periods = set(request.args.getlist(PERIOD_PROMPT))
        return [
            {k: _text(v) for k, v in r.items()}
            for r in self.app.registrations
            if not periods or r["period_id"] in periods
        ]

    def accomplishments(self, request: Request) -> list[dict[str, Any]]:
        return [{**a, "completed": "1" if a["completed"] else "0"} for a in self.app.accomplishments]

    def learning(self, request: Request) -> list[dict[str, Any]]:
        people = {w.employee_id: w for w in self.tenant.workers(self.tenant.now())}
        rows = []
        for item in self.app.learning:
            worker = people[item["employee_id"]]
            rows.append(
                {
                    **{k: _text(v) for k, v in item.items()},
                    "universal_id": worker.universal_id,
                    "given_name": worker.given_name,
                    "family_name": worker.family_name,
                    "email": worker.email,
                }
            )
        return rows

    def _workers(self, request: Request) -> list[Any]:
        workers = self.tenant.workers(self.tenant.now())
        since = request.args.get(SINCE_PROMPT)
        if since:
            start = datetime.combine(date.fromisoformat(since[:10]), datetime.min.time(), tzinfo=UTC)
            changed = self.tenant.changed(start, None)
            workers = [w for w in workers if w.employee_id in changed]
        return workers

    def positions(self, request: Request) -> list[dict[str, Any]]:
        rows = []
        for worker in self._workers(request):
            jobs = worker.jobs
            row = _identity(worker)
            for field, key in (
                ("position_id", "position_id"),
                ("title", "title"),
                ("business_title", "business_title"),
                ("job_profile_id", "job_profile_id"),
                ("job_profile", "job_profile"),
                ("worker_type", "worker_type"),
                ("organization", "organization"),
                ("start", "start"),
                ("end", "end"),
            ):
                values = [job[key] for job in jobs]
                row[field] = values[0] if len(values) == 1 else values
            rows.append(row)
        return rows

    def competencies(self, request: Request) -> list[dict[str, Any]]:
        rows = []
        for worker in self._workers(request):
            items = worker.competencies
            rows.append(
                {
                    **_identity(worker),
                    "competency_id": ";".join(c["id"] for c in items),
                    "competency": ";".join(c["name"] for c in items),
                    "level": ";".join(c["level"] for c in items),
                    "assessed_on": ";".join(c["assessed_on"].isoformat() for c in items),
                    "skill_id": [s["id"] for s in worker.skills],
                    "skill": [s["name"] for s in worker.skills],
                }
            )
        return rows


def _identity(worker: Any) -> dict[str, Any]:
    return {
        "employee_id": worker.employee_id,
        "universal_id": worker.universal_id,
        "given_name": worker.given_name,
        "family_name": worker.family_name,
        "email": worker.email,
    }


def _text(value: Any) -> Any:
    """Workday's JSON reports give numbers as text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
