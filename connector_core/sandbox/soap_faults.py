"""The `detail` of the SOAP faults Workday and PeopleSoft send (research/workday.md §2.8, peoplesoft.md §2.4).

Clients must classify faults by these elements, not by `faultstring`: PeopleSoft sends the
literal `null` there, and Workday's fault codes are not documented.
"""

from __future__ import annotations

from lxml import etree

WORKDAY = "urn:com.workday/bsvc"


def workday_validation(message: str, *, detail_message: str | None = None, xpath: str | None = None) -> etree._Element:
    """`wd:Validation_Fault/wd:Validation_Error/{Message, Detail_Message, Xpath}` (a bad request)."""
    fault = etree.Element(f"{{{WORKDAY}}}Validation_Fault", nsmap={"wd": WORKDAY})
    error = etree.SubElement(fault, f"{{{WORKDAY}}}Validation_Error")
    etree.SubElement(error, f"{{{WORKDAY}}}Message").text = message
    if detail_message is not None:
        etree.SubElement(error, f"{{{WORKDAY}}}Detail_Message").text = detail_message
    if xpath is not None:
        etree.SubElement(error, f"{{{WORKDAY}}}Xpath").text = xpath
    return fault


def workday_processing(detail_message: str) -> etree._Element:
    """`wd:Processing_Fault/wd:Detail_Message` (authentication, permission, server-side failures)."""
    fault = etree.Element(f"{{{WORKDAY}}}Processing_Fault", nsmap={"wd": WORKDAY})
    etree.SubElement(fault, f"{{{WORKDAY}}}Detail_Message").text = detail_message
    return fault


def peoplesoft_ib_response(
    message: str, message_set: int, message_number: int, *, status_code: int = 20, parameters: tuple[str, ...] = ()
) -> etree._Element:
    """`IBResponse type="error"` with `DefaultMessage` ending in `(set,number)`, e.g. `(158,45)` for a bad password."""
    response = etree.Element("IBResponse", type="error")
    etree.SubElement(response, "DefaultTitle").text = "Integration Broker Response"
    etree.SubElement(response, "StatusCode").text = str(status_code)
    etree.SubElement(response, "MessageID").text = str(message_number)
    etree.SubElement(response, "DefaultMessage").text = f"{message} ({message_set},{message_number})"
    listed = etree.SubElement(response, "MessageParameters")
    for value in parameters:
        etree.SubElement(listed, "Parameter").text = value
    return response
