"""Workday business objects (lxml) -> the plugin's raw records: plain JSON, self-contained, one per item.

A raw record carries what normalization needs and nothing tenant-local (no WIDs). Elements the
integration user may not see are simply absent in Workday; `Missing` notes each absent expected
element once per run so a security-domain gap is reported, not silently turned into blanks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from lerconnect_workday.xml import descriptor, find, findall, ref_id, text

Raw = dict[str, Any]


class Missing:
    """Says once per run (through `warn`) which expected element was absent, and what that usually means."""

    def __init__(self, warn: Callable[[str, str], None]) -> None:
        self.warn = warn

    def expect(self, element: etree._Element | None, path: str, operation: str, meaning: str) -> None:
        if find(element, path) is None:
            self.warn(f"missing:{operation}:{path}", f"{operation} answered without {path}: {meaning}")


def identity(worker: etree._Element, missing: Missing) -> Raw:
    """Who a `wd:Worker` is: Employee_ID, Universal_ID (the person across roles), name and work email."""
    data = find(worker, "Worker_Data")
    personal = find(data, "Personal_Data")
    missing.expect(data, "Personal_Data", "Get_Workers", "no names or emails (grant the ISU Worker Data: Personal)")
    missing.expect(data, "Universal_ID", "Get_Workers", "workers cannot be matched to their student records")
    name = find(personal, "Name_Data/Legal_Name_Data/Name_Detail_Data")
    return {
        "employee_id": ref_id(worker, "Worker_Reference", "Employee_ID") or text(data, "Worker_ID"),
        "universal_id": text(data, "Universal_ID"),
        "given_name": text(name, "First_Name"),
        "family_name": text(name, "Last_Name"),
        "email": text(personal, "Contact_Data/Email_Address_Data/Email_Address"),
    }


def employment(worker: etree._Element, missing: Missing) -> Raw:
    """A worker with the `Worker_Job_Data` of the answer (position, job profile, dates) and status."""
    data = find(worker, "Worker_Data")
    missing.expect(data, "Employment_Data", "Get_Workers", "no positions (grant the ISU Worker Data: Employment Data)")
    status = find(data, "Employment_Data/Worker_Status_Data")
    return {
        **identity(worker, missing),
        "hire_date": text(status, "Hire_Date"),
        "terminated": text(status, "Terminated") in ("1", "true"),
        "termination_date": text(status, "Termination_Date"),
        "jobs": jobs(worker),
    }


def jobs(worker: etree._Element) -> list[Raw]:
    """Every `Worker_Job_Data` of a `wd:Worker`: the positions held on the answer's effective date."""
    out = []
    for job in findall(worker, "Worker_Data/Employment_Data/Worker_Job_Data"):
        position = find(job, "Position_Data")
        out.append(
            {
                "position_id": text(position, "Position_ID"),
                "title": text(position, "Position_Title"),
                "business_title": text(position, "Business_Title"),
                "job_profile_id": ref_id(position, "Job_Profile_Summary_Data/Job_Profile_Reference", "Job_Profile_ID"),
                "job_profile": text(position, "Job_Profile_Summary_Data/Job_Profile_Name"),
                "worker_type": descriptor(position, "Worker_Type_Reference")
                or ref_id(position, "Worker_Type_Reference", "Employee_Type_ID"),
                "organization": text(
                    job, "Position_Organizations_Data/Position_Organization_Data/Organization_Data/Organization_Name"
                ),
                "start": text(position, "Start_Date"),
                "end": text(position, "End_Date"),
                "weekly_hours": text(position, "Scheduled_Weekly_Hours"),
                "primary": job.get("{urn:com.workday/bsvc}Primary_Job") in ("1", "true"),
            }
        )
    return out


def worker_competencies(worker: etree._Element, missing: Missing) -> Raw:
    """A worker's assessed competencies (`Qualification_Data/Competency`) and skills (`Skill_Data`)."""
    data = find(worker, "Worker_Data")
    missing.expect(
        data, "Qualification_Data", "Get_Workers", "no competencies (grant the ISU Person Data: Qualifications)"
    )
    competencies = [
        {
            "competency_id": ref_id(item, "Competency_Reference", "Competency_ID"),
            "name": descriptor(item, "Competency_Reference"),
            "level": descriptor(item, "Competency_Level_Behavior_Reference"),
            "assessed_on": text(item, "Assessed_On"),
        }
        for item in findall(data, "Qualification_Data/Competency")
    ]
    skills = []
    for item in findall(data, "Skill_Data/Worker_Skill_Item"):
        skill = find(item, "Skill_Data")
        name = skill.get("{urn:com.workday/bsvc}Name") if skill is not None else None
        skills.append({"skill_id": ref_id(item, "Skill_Reference", "Skill_Item_ID") or text(skill, "ID"), "name": name})
    return {"kind": "worker", **identity(worker, missing), "competencies": competencies, "skills": skills}


def registration(item: etree._Element) -> Raw:
    """A `Student_Course_Registration`: course listing, period, units, grading basis, grade, status, dates."""
    data = find(item, "Student_Course_Registration_Data")
    record = find(data, "Student_Course_Registration_Record_Data")
    return {
        "id": ref_id(item, "Student_Course_Registration_Reference", "Student_Course_Registration_ID")
        or text(data, "ID"),
        "student_id": ref_id(data, "Student_Reference", "Student_ID"),
        "student": descriptor(data, "Student_Reference"),
        "universal_id": text(data, "Universal_ID"),
        "period_id": ref_id(data, "Academic_Period_Reference", "Academic_Period_ID"),
        "period": descriptor(data, "Academic_Period_Reference"),
        "course_listing_id": ref_id(data, "Course_Listing_Reference", "Course_Listing_ID"),
        "course": descriptor(data, "Course_Listing_Reference"),
        "section_id": ref_id(record, "Section_Listing_Reference", "Section_Listing_ID"),
        "units": text(data, "Units"),
        "grading_basis": ref_id(data, "Grading_Basis_Reference", "Student_Grading_Basis_ID"),
        "grade": ref_id(data, "Student_Grade_Reference", "Student_Grade_ID")
        or descriptor(data, "Student_Grade_Reference"),
        "status": ref_id(record, "Registration_Record_Status_Reference", "Registration_Record_Status_ID"),
        "registered": text(record, "Registered_Date"),
        "withdrawn": text(record, "Withdrawal_Date"),
        "completed": text(record, "Completed_Date"),
    }


def student_competency(item: etree._Element) -> Raw:
    data = find(item, "Student_Competency_Data")
    return {
        "kind": "student",
        "id": text(data, "ID"),
        "student_id": ref_id(data, "Student_Reference", "Student_ID"),
        "competency_id": ref_id(data, "Competency_Reference", "Competency_ID"),
        "name": descriptor(data, "Competency_Reference"),
        "assigned_on": text(data, "Student_Competency_Manual_Assignment_Date"),
    }


def accomplishment(item: etree._Element) -> Raw:
    data = find(item, "Student_Accomplishment_Data")
    return {
        "id": text(data, "ID"),
        "student_id": ref_id(data, "Student_Reference", "Student_ID"),
        "type": descriptor(data, "Student_Accomplishment_Type_Reference"),
        "title": text(data, "Title"),
        "date": text(data, "Accomplishment_Date"),
        "completed": text(data, "Completed") in ("1", "true"),
    }


def enrollment(item: etree._Element) -> Raw:
    """A `Learning_Enrollment`: content, learner (Employee_ID), completion moment, score, grade."""
    data = find(item, "Learning_Enrollment_Data")
    return {
        "id": ref_id(item, "Learning_Enrollment_Reference", "Learning_Enrollment_ID") or text(data, "ID"),
        "content_id": ref_id(data, "Learning_Content_Reference", "Learning_Course_ID"),
        "content": descriptor(data, "Learning_Content_Reference"),
        "employee_id": ref_id(data, "Learner_Reference", "Employee_ID"),
        "registered": text(data, "Registered_Date"),
        "completed": text(data, "Learning_Enrollment_Completion_Date"),
        "score": text(data, "Overall_Course_Score"),
        "grade": descriptor(data, "Learning_Grade_Reference"),
        "rescinded": text(data, "Rescind_Enrollment") in ("1", "true"),
    }
