"""The Workday imitation over HTTP: `/ccx/service/<tenant>/<Service>/<version>`, ?wsdl, SOAP operations.

Behaves as a tenant does where it matters to a client: the UsernameToken must be `user@tenant`
with the right password (else `SOAP-ENV:Client.authenticationError`); the URL's version must be one
the tenant serves and equal the request's `wd:version` (else a `Validation_Fault`); `Count` over
999 or `Page` 0 are validation faults; pages are cut from the data as of `As_Of_Entry_DateTime`;
a service the user's security group lacks answers a `Processing_Fault` "not authorized".
"""

from __future__ import annotations

import copy
import hmac
import math
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from lxml import etree
from werkzeug.wrappers import Request, Response

from connector_core.sandbox import Envelope, SoapService, UsernameToken, fault_response, soap_faults
from lerconnect_workday.sandbox import data
from lerconnect_workday.sandbox.data import Tenant, Worker, midnight, wid
from lerconnect_workday.sandbox.raas import Reports
from lerconnect_workday.sandbox.wsdl import wsdl

WD = "urn:com.workday/bsvc"
NS = {"wd": WD}
MAX_COUNT = 999


def E(name: str, *children: Any, **attributes: Any) -> etree._Element:  # noqa: N802 - lxml's E-factory style
    """An element in Workday's namespace; children are elements or text, None children are skipped."""
    element = etree.Element(f"{{{WD}}}{name}", nsmap={"wd": WD})
    for key, value in attributes.items():
        element.set(f"{{{WD}}}{key}", str(value))
    for child in children:
        if child is None:
            continue
        if isinstance(child, etree._Element):
            element.append(child)
        else:
            element.text = _text(child)
    return element


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def ref(name: str, id_type: str, value: Any, descriptor: str | None = None) -> etree._Element | None:
    """`<X_Reference wd:Descriptor=…><wd:ID wd:type="WID">…</wd:ID><wd:ID wd:type="<id_type>">…</wd:ID>`."""
    if value is None:
        return None
    attributes = {"Descriptor": descriptor} if descriptor else {}
    return E(name, E("ID", wid(id_type, value), type="WID"), E("ID", value, type=id_type), **attributes)


def _field(name: str, value: Any) -> etree._Element | None:
    return None if value is None else E(name, value)


class FaultError(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def validation(message: str, xpath: str | None = None) -> FaultError:
    detail = soap_faults.workday_validation(message, detail_message=message, xpath=xpath)
    return FaultError(
        fault_response("SOAP-ENV:Client.validationError", f"Validation error occurred. {message}", detail)
    )


def not_authorized() -> FaultError:
    detail = soap_faults.workday_processing("The task submitted is not authorized.")
    return FaultError(fault_response("SOAP-ENV:Client.processingFault", "Processing error occurred.", detail))


class Paging:
    """`Response_Filter` of a request: effective day, entry moment, page, count — validated as Workday does."""

    def __init__(self, request: etree._Element, now: datetime) -> None:
        found = request.find("wd:Response_Filter", NS)
        as_of = found.findtext("wd:As_Of_Entry_DateTime", namespaces=NS) if found is not None else None
        page = found.findtext("wd:Page", namespaces=NS) if found is not None else None
        count = found.findtext("wd:Count", namespaces=NS) if found is not None else None
        effective = found.findtext("wd:As_Of_Effective_Date", namespaces=NS) if found is not None else None
        self.effective = date.fromisoformat(effective[:10]) if effective else None
        self.as_of = datetime.fromisoformat(as_of) if as_of else now
        if self.as_of.tzinfo is None:
            self.as_of = self.as_of.replace(tzinfo=UTC)
        self.page = int(float(page)) if page else 1
        self.count = int(float(count)) if count else 100
        if self.page < 1:
            raise validation("Page number cannot be zero.", "/Response_Filter/Page")
        if not 1 <= self.count <= MAX_COUNT:
            raise validation(f"Count must be between 1 and {MAX_COUNT}.", "/Response_Filter/Count")

    def answer(self, operation: str, version: str, items: list[Any], build: Callable[[Any], etree._Element]):
        total_pages = math.ceil(len(items) / self.count)
        chosen = items[(self.page - 1) * self.count : self.page * self.count]
        return E(
            f"{operation}_Response",
            E(
                "Response_Filter",
                E("As_Of_Entry_DateTime", self.as_of.isoformat()),
                E("Page", self.page),
                E("Count", self.count),
            ),
            E(
                "Response_Results",
                E("Total_Results", len(items)),
                E("Total_Pages", total_pages),
                E("Page_Results", len(chosen)),
                E("Page", self.page),
            ),
            E("Response_Data", *(build(item) for item in chosen)),
            version=version,
        )


def worker_element(worker: Worker, groups: set[str], secured: set[str], day: date) -> etree._Element:
    """The `wd:Worker` as of the effective `day`: only the positions held that day (Workday keeps no more here)."""
    employment = None
    if "Include_Employment_Information" in groups and "Employment_Data" not in secured:
        shown = worker.jobs_on(day)
        jobs = [
            E(
                "Worker_Job_Data",
                E(
                    "Position_Data",
                    _field("Position_ID", job["position_id"]),
                    _field("Position_Title", job["title"]),
                    _field("Business_Title", job["business_title"]),
                    _field("Start_Date", job["start"]),
                    _field("End_Date", job["end"]),
                    ref(
                        "Worker_Type_Reference",
                        "Employee_Type_ID",
                        job["worker_type"].replace(" ", "_"),
                        job["worker_type"],
                    ),
                    _field("Scheduled_Weekly_Hours", job["hours"]),
                    E(
                        "Job_Profile_Summary_Data",
                        ref("Job_Profile_Reference", "Job_Profile_ID", job["job_profile_id"]),
                        _field("Job_Profile_Name", job["job_profile"]),
                    ),
                    Effective_Date=job["start"],
                ),
                E(
                    "Position_Organizations_Data",
                    E(
                        "Position_Organization_Data",
                        E("Organization_Data", E("Organization_Name", job["organization"])),
                    ),
                ),
                Primary_Job=_text(job["primary"]),
            )
            for job in shown
        ]
        terminated = all(j["end"] is not None and j["end"] < day.isoformat() for j in shown)
        status = E(
            "Worker_Status_Data",
            E("Active", not terminated),
            E("Hire_Date", min(j["start"] for j in worker.jobs)),
            E("Terminated", terminated),
            _field("Termination_Date", max(j["end"] for j in shown) if terminated else None),
        )
        employment = E("Employment_Data", *jobs, status)
    personal = None
    if "Include_Personal_Information" in groups and "Personal_Data" not in secured:
        personal = E(
            "Personal_Data",
            E("Universal_ID", worker.universal_id),
            E(
                "Name_Data",
                E(
                    "Legal_Name_Data",
                    E("Name_Detail_Data", E("First_Name", worker.given_name), E("Last_Name", worker.family_name)),
                ),
            ),
            E("Contact_Data", E("Email_Address_Data", E("Email_Address", worker.email))),
        )
    qualifications = skills = None
    if "Include_Qualifications" in groups and "Qualification_Data" not in secured:
        qualifications = E(
            "Qualification_Data",
            *(
                E(
                    "Competency",
                    ref("Competency_Reference", "Competency_ID", c["id"], c["name"]),
                    ref("Competency_Level_Behavior_Reference", "Competency_Level_Behavior_ID", c["level"], c["level"]),
                    E("Assessed_On", c["assessed_on"].isoformat()),
                )
                for c in worker.competencies
            ),
        )
    if "Include_Skills" in groups and "Skill_Data" not in secured:
        skills = E(
            "Skill_Data",
            *(
                E(
                    "Worker_Skill_Item",
                    ref("Skill_Reference", "Skill_Item_ID", s["id"], s["name"]),
                    E("Skill_Data", E("ID", s["id"]), Name=s["name"]),
                )
                for s in worker.skills
            ),
        )
    name = f"{worker.given_name} {worker.family_name}"
    return E(
        "Worker",
        ref("Worker_Reference", "Employee_ID", worker.employee_id, name),
        E("Worker_Descriptor", name),
        E(
            "Worker_Data",
            E("Worker_ID", worker.employee_id),
            E("User_ID", worker.email.split("@")[0]),
            E("Universal_ID", worker.universal_id),
            personal,
            employment,
            qualifications,
            skills,
        ),
    )


def registration_element(item: dict[str, Any]) -> etree._Element:
    return E(
        "Student_Course_Registration",
        ref("Student_Course_Registration_Reference", "Student_Course_Registration_ID", item["id"]),
        E(
            "Student_Course_Registration_Data",
            E("ID", item["id"]),
            ref("Academic_Period_Reference", "Academic_Period_ID", item["period_id"], item["period"]),
            ref("Course_Listing_Reference", "Course_Listing_ID", item["course_listing_id"], item["course"]),
            ref("Student_Reference", "Student_ID", item["student_id"], item["student"]),
            E("Universal_ID", item["universal_id"]),
            E("Units", item["units"]),
            ref("Grading_Basis_Reference", "Student_Grading_Basis_ID", item["grading_basis"]),
            ref("Student_Grade_Reference", "Student_Grade_ID", item["grade"], item["grade"]),
            E(
                "Student_Course_Registration_Record_Data",
                E("ID", f"{item['id']}-1"),
                ref("Section_Listing_Reference", "Section_Listing_ID", item["section_id"]),
                ref("Registration_Record_Status_Reference", "Registration_Record_Status_ID", item["status"]),
                E("Registered_Date", item["registered"]),
                _field("Withdrawal_Date", item["withdrawn"]),
                _field("Completed_Date", item["completed"]),
            ),
        ),
    )


def competency_element(item: dict[str, Any]) -> etree._Element:
    return E(
        "Student_Competency",
        ref("Student_Competency_Reference", "Student_Competency_ID", item["id"]),
        E(
            "Student_Competency_Data",
            E("ID", item["id"]),
            ref("Student_Reference", "Student_ID", item["student_id"]),
            ref("Competency_Reference", "Competency_ID", item["competency_id"], item["name"]),
            E("Student_Competency_Manual_Assignment_Date", item["assigned_on"]),
        ),
    )


def accomplishment_element(item: dict[str, Any]) -> etree._Element:
    return E(
        "Student_Accomplishment",
        ref("Student_Accomplishment_Reference", "Student_Accomplishment_ID", item["id"]),
        E(
            "Student_Accomplishment_Data",
            E("ID", item["id"]),
            ref("Student_Reference", "Student_ID", item["student_id"]),
            ref("Student_Accomplishment_Type_Reference", "Student_Accomplishment_Type_ID", item["type"], item["type"]),
            E("Title", item["title"]),
            E("Accomplishment_Date", item["date"]),
            E("Completed", item["completed"]),
        ),
    )


def enrollment_element(item: dict[str, Any]) -> etree._Element:
    return E(
        "Learning_Enrollment",
        ref("Learning_Enrollment_Reference", "Learning_Enrollment_ID", item["id"]),
        E(
            "Learning_Enrollment_Data",
            E("ID", item["id"]),
            ref("Learning_Content_Reference", "Learning_Course_ID", item["content_id"], item["content"]),
            ref("Learner_Reference", "Employee_ID", item["employee_id"]),
            E("Registered_Date", item["registered"]),
            _field("Learning_Enrollment_Completion_Date", item["completed"]),
            _field("Overall_Course_Score", item["score"]),
            ref("Learning_Grade_Reference", "Learning_Grade_ID", item["grade"], item["grade"]),
        ),
    )


class WorkdayApp:
    """WSGI: the tenant's services; `calls` counts operations, `as_of_seen` the entry moments asked for."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.calls: dict[str, int] = {}
        self.as_of_seen: list[datetime] = []
        campus = tenant.campus
        self.registrations = data.registrations(campus)
        self.student_competencies = data.student_competencies(campus)
        self.accomplishments = data.accomplishments(campus)
        self.learning = data.learning_enrollments(campus)
        self._user: str | None = None
        self.reports = Reports(self)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) == 6 and parts[:3] == ["ccx", "service", "customreport2"] and parts[3] == self.tenant.name:
            return self.reports.respond(request, parts[4], parts[5])
        if len(parts) != 5 or parts[:2] != ["ccx", "service"] or parts[2] != self.tenant.name:
            return Response("no such service on this tenant", status=404, content_type="text/plain")
        service, version = parts[3], parts[4]
        if service not in ("Human_Resources", "Student_Records", "Learning") or (
            request.method == "GET" and version not in self.tenant.versions
        ):
            return Response(f"no {service} {version} on this tenant", status=404, content_type="text/plain")
        handlers = self._handlers(service, version)
        return SoapService(handlers, check=self._check(service), wsdl=wsdl(service)).respond(request)

    def _check(self, service: str) -> Callable[[UsernameToken | None], Response | None]:
        def check(token: UsernameToken | None) -> Response | None:
            user = self._authenticate(token)
            if user is None:
                return fault_response("SOAP-ENV:Client.authenticationError", "invalid username or password")
            if service in self.tenant.denied.get(user, set()):
                return not_authorized().response
            return None

        return check

    def _authenticate(self, token: UsernameToken | None) -> str | None:
        if token is None or not token.is_text:
            return None
        user, _, tenant = token.username.partition("@")
        known = self.tenant.users.get(user)
        if tenant != self.tenant.name or known is None:
            return None
        return user if hmac.compare_digest(known.encode(), token.password.encode()) else None

    def _handlers(self, service: str, version: str) -> dict[str, Callable[[Envelope], Any]]:
        operations = {
            "Human_Resources": {
                "Server_Timestamp_Get": self.server_timestamp,
                "Get_Workers_Request": self.get_workers,
                "Worker_Event_History_Get": self.get_event_history,
            },
            "Student_Records": {
                "Get_Student_Course_Registrations_Request": self.get_registrations,
                "Get_Student_Competencies_Request": self._paged(
                    "Get_Student_Competencies", lambda: self.student_competencies, competency_element
                ),
                "Get_Student_Accomplishments_Request": self._paged(
                    "Get_Student_Accomplishments", lambda: self.accomplishments, accomplishment_element
                ),
            },
            "Learning": {
                "Get_Learning_Enrollments_Request": self._paged(
                    "Get_Learning_Enrollments", lambda: self.learning, enrollment_element
                ),
            },
        }[service]
        return {name: self._guarded(name, handler, version) for name, handler in operations.items()}

    def _guarded(self, name: str, handler: Callable[[etree._Element, str], Any], version: str):
        def run(envelope: Envelope) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            asked = envelope.body.get(f"{{{WD}}}version")
            try:
                if version not in self.tenant.versions:
                    raise validation(f"Invalid request service version: {version}")
                if asked != version:
                    raise validation(f"The version attribute ({asked}) must equal the service version {version}")
                return handler(envelope.body, version)
            except FaultError as fault:
                return fault.response

        return run

    def server_timestamp(self, request: etree._Element, version: str) -> etree._Element:
        return E("Server_Timestamp", E("Server_Timestamp_Data", self.tenant.now().isoformat()), version=version)

    def get_workers(self, request: etree._Element, version: str) -> etree._Element:
        paging = Paging(request, self.tenant.now())
        self.as_of_seen.append(paging.as_of)
        workers = self.tenant.workers(paging.as_of)
        wanted = {i.text for i in request.iterfind("wd:Request_References/wd:Worker_Reference/wd:ID", NS)}
        if wanted:
            workers = [w for w in workers if w.employee_id in wanted]
        windows = request.findall(
            "wd:Request_Criteria/wd:Transaction_Log_Criteria_Data/wd:Transaction_Date_Range_Data", NS
        )
        if windows:
            changed: set[str] = set()
            for window in windows:
                bounds = {n: _moment(window.findtext(f"wd:{n}", namespaces=NS)) for n in RANGE}
                if bounds["Updated_From"] or bounds["Updated_Through"]:
                    changed |= self.tenant.changed(bounds["Updated_From"], bounds["Updated_Through"])
                if bounds["Effective_From"] or bounds["Effective_Through"]:
                    changed |= self.tenant.effective_changed(
                        bounds["Effective_From"], bounds["Effective_Through"], paging.as_of
                    )
            workers = [w for w in workers if w.employee_id in changed]
        group = request.find("wd:Response_Group", NS)
        groups = (
            {etree.QName(e).localname for e in group if (e.text or "").strip() in ("1", "true")}
            if group is not None
            else {"Include_Reference", "Include_Personal_Information", "Include_Employment_Information"}
        )
        secured = self.tenant.secured
        day = paging.effective or self.tenant.today()
        return paging.answer("Get_Workers", version, workers, lambda w: worker_element(w, groups, secured, day))

    def get_event_history(self, request: etree._Element, version: str) -> etree._Element:
        """`Get_Worker_Event_History`: one worker's events, within `Event_Date_Range_Data` when given."""
        reference = request.find("wd:Worker_Reference", NS)
        found = reference.find(".//wd:Integration_ID_Reference/wd:ID", NS) if reference is not None else None
        employee_id = found.text if found is not None else None
        if (
            found is None
            or found.get(f"{{{WD}}}System_ID") != EMPLOYEE_SYSTEM_ID
            or employee_id not in self.tenant.revisions
        ):
            raise validation("Employee Reference Integration ID does not exist!", "/Worker_Reference")
        window = request.find("wd:Event_Date_Range_Data", NS)
        bounds = {n: _moment(window.findtext(f"wd:{n}", namespaces=NS)) if window is not None else None for n in RANGE}
        events = [
            e
            for e in self.tenant.events(employee_id)
            if _within(e.entered, bounds["Updated_From"], bounds["Updated_Through"])
            and _within(midnight(e.effective), bounds["Effective_From"], bounds["Effective_Through"])
        ]
        return E(
            "Worker_Event_History",
            E("Worker_Reference", copy.deepcopy(reference[0])),
            E(
                "Worker_Event_History_Data",
                *(
                    E(
                        "Event_Data",
                        E("Event_ID", e.event_id),
                        E("Event_Type_Reference", E("Event_Type_Name", e.type)),
                        E("Description", f"{e.type}: {employee_id}"),
                        E("Completed_DateTime", e.entered.isoformat()),
                        E("Effective_Date", e.effective.isoformat()),
                    )
                    for e in events
                ),
            ),
            version=version,
        )

    def get_registrations(self, request: etree._Element, version: str) -> etree._Element:
        paging = Paging(request, self.tenant.now())
        periods = {i.text for i in request.iterfind("wd:Request_Criteria/wd:Academic_Period_Reference/wd:ID", NS)}
        items = [r for r in self.registrations if not periods or r["period_id"] in periods]
        return paging.answer("Get_Student_Course_Registrations", version, items, registration_element)

    def _paged(self, operation: str, items: Callable[[], list[Any]], build: Callable[[Any], etree._Element]):
        def handle(request: etree._Element, version: str) -> etree._Element:
            return Paging(request, self.tenant.now()).answer(operation, version, items(), build)

        return handle


RANGE = ("Updated_From", "Updated_Through", "Effective_From", "Effective_Through")
EMPLOYEE_SYSTEM_ID = "WD-EMPLID"
"""The System_ID of Employee_ID in the older Integration_ID references (`Get_Worker_Event_History`)."""


def _within(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment <= end)


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
