"""The sandbox's compact WSDLs: one per service, all on `bsvc.xsd` (Workday's namespace and element names).

Shaped like Workday's published WSDLs, relative `soapbind:address` included, so the client has
to bind to the real endpoint (`create_service`) as it must against a real tenant.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

OPERATIONS = {
    "Human_Resources": {
        "Get_Server_Timestamp": ("Server_Timestamp_Get", "Server_Timestamp"),
        "Get_Workers": ("Get_Workers_Request", "Get_Workers_Response"),
        "Get_Worker_Event_History": ("Worker_Event_History_Get", "Worker_Event_History"),
    },
    "Student_Records": {
        "Get_Student_Course_Registrations": ("Student_Course_Registration", "Get_Student_RequestType"),
        "Get_Student_Competencies": ("Student_Competency", "Get_Student_RequestType"),
        "Get_Student_Accomplishments": ("Student_Accomplishment", "Get_Student_RequestType"),
    },
    "Learning": {
        "Get_Learning_Enrollments": ("Learning_Enrollment", "Get_Learning_Enrollments_RequestType"),
    },
}
"""Human_Resources: operation -> (input element, output element). Others: operation -> (item, request type)."""


def _paged_types() -> str:
    """Request and response elements of the paged student and learning operations."""
    parts = []
    for service in ("Student_Records", "Learning"):
        for operation, (item, request_type) in OPERATIONS[service].items():
            parts.append(
                f'<xsd:element name="{operation}_Request" type="wd:{request_type}"/>'
                f'<xsd:complexType name="{operation}_Response_DataType"><xsd:sequence>'
                f'<xsd:element name="{item}" type="wd:{item}Type" minOccurs="0" maxOccurs="unbounded"/>'
                "</xsd:sequence></xsd:complexType>"
                f'<xsd:complexType name="{operation}_ResponseType"><xsd:sequence>'
                '<xsd:element name="Response_Filter" type="wd:Response_FilterType" minOccurs="0"/>'
                '<xsd:element name="Response_Results" type="wd:Response_ResultsType" minOccurs="0"/>'
                f'<xsd:element name="Response_Data" type="wd:{operation}_Response_DataType" minOccurs="0"/>'
                '</xsd:sequence><xsd:attribute name="version" type="xsd:string"/></xsd:complexType>'
                f'<xsd:element name="{operation}_Response" type="wd:{operation}_ResponseType"/>'
            )
    return "\n".join(parts)


def messages(service: str) -> dict[str, tuple[str, str]]:
    """operation -> (input element, output element) of `service`."""
    if service == "Human_Resources":
        return OPERATIONS[service]
    return {op: (f"{op}_Request", f"{op}_Response") for op in OPERATIONS[service]}


@cache
def wsdl(service: str) -> bytes:
    """The WSDL of `service` (`Human_Resources`, `Student_Records`, `Learning`)."""
    schema = files(__package__).joinpath("bsvc.xsd").read_text(encoding="utf-8")
    schema = schema.replace("@PAGED_TYPES@", _paged_types())
    tns = f"urn:com.workday/bsvc/{service}"
    body = [
        f'<wsdl:message name="{name}Msg"><wsdl:part name="{part}" element="wd:{element}"/></wsdl:message>'
        for name, part, element in (
            ("Workday_Common_Header", "header", "Workday_Common_Header"),
            ("Validation_Fault", "Validation_Fault", "Validation_Fault"),
            ("Processing_Fault", "Processing_Fault", "Processing_Fault"),
        )
    ]
    port, binding = [], []
    for operation, (request, response) in messages(service).items():
        body.append(
            f'<wsdl:message name="{operation}_Input"><wsdl:part name="body" element="wd:{request}"/></wsdl:message>'
        )
        body.append(
            f'<wsdl:message name="{operation}_Output"><wsdl:part name="body" element="wd:{response}"/></wsdl:message>'
        )
        faults = "".join(
            f'<wsdl:fault name="{f}" message="wd-wsdl:{f}Msg"/>' for f in ("Processing_Fault", "Validation_Fault")
        )
        port.append(
            f'<wsdl:operation name="{operation}"><wsdl:input message="wd-wsdl:{operation}_Input"/>'
            f'<wsdl:output message="wd-wsdl:{operation}_Output"/>{faults}</wsdl:operation>'
        )
        soap_faults = "".join(
            f'<wsdl:fault name="{f}"><soapbind:fault name="{f}" use="literal"/></wsdl:fault>'
            for f in ("Processing_Fault", "Validation_Fault")
        )
        binding.append(
            f'<wsdl:operation name="{operation}"><soapbind:operation style="document"/>'
            '<wsdl:input><soapbind:body use="literal"/>'
            '<soapbind:header message="wd-wsdl:Workday_Common_HeaderMsg" part="header" use="literal"/></wsdl:input>'
            f'<wsdl:output><soapbind:body use="literal"/></wsdl:output>{soap_faults}</wsdl:operation>'
        )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soapbind="http://schemas.xmlsoap.org/wsdl/soap/"'
        f' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:wd="urn:com.workday/bsvc" xmlns:wd-wsdl="{tns}"'
        f' name="{service}" targetNamespace="{tns}"><wsdl:types>{schema}</wsdl:types>{"".join(body)}'
        f'<wsdl:portType name="{service}PortType">{"".join(port)}</wsdl:portType>'
        f'<wsdl:binding name="{service}Binding" type="wd-wsdl:{service}PortType">'
        '<soapbind:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>'
        f"{''.join(binding)}</wsdl:binding>"
        f'<wsdl:service name="{service}Service"><wsdl:port name="{service}" binding="wd-wsdl:{service}Binding">'
        f'<soapbind:address location="{service}"/></wsdl:port></wsdl:service></wsdl:definitions>'
    )
    return text.encode("utf-8")
