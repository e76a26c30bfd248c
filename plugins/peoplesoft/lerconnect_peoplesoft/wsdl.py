"""The QAS WSDL (`QAS_QRY_SERVICE`): authored here from the documented operation and element names.

No licensed copy of Oracle's generated WSDL exists to ship, so this one is written from PeopleBooks'
element lists (research/peoplesoft.md §3.3): one namespace per message and per part, as PeopleSoft
names them (`http://xmlns.oracle.com/Enterprise/Tools/schemas/<MESSAGE>.<VERSION>`), document/literal,
SOAPAction `<OPERATION>.<VERSION>`. The sandbox serves it; a campus points `wsdl` at its own.
"""

from __future__ import annotations

SCHEMAS = "http://xmlns.oracle.com/Enterprise/Tools/schemas"
SERVICE_NS = "http://xmlns.oracle.com/Enterprise/Tools/services/QAS_QRY_SERVICE.1"
BINDING = f"{{{SERVICE_NS}}}QAS_QRY_SERVICE_Binding"


def ns(message: str, version: str = "VERSION_1") -> str:
    """The namespace PeopleSoft gives a message or message part."""
    return f"{SCHEMAS}/{message}.{version}"


_REQUEST_FIELDS = """
<xsd:element name="QueryName" type="xsd:string"/>
<xsd:element name="isConnectedQuery" type="xsd:string" minOccurs="0"/>
<xsd:element name="OwnerType" type="xsd:string"/>
<xsd:element name="BlockSizeKB" type="xsd:int" minOccurs="0"/>
<xsd:element name="MaxRow" type="xsd:int"/>
<xsd:element name="OutResultType" type="xsd:string"/>
<xsd:element name="OutResultFormat" type="xsd:string"/>
<xsd:element name="Prompts" minOccurs="0"><xsd:complexType><xsd:sequence>
 <xsd:element name="PROMPT" minOccurs="0" maxOccurs="unbounded"><xsd:complexType><xsd:sequence>
  <xsd:element name="PSQueryName" type="xsd:string" minOccurs="0"/>
  <xsd:element name="UniquePromptName" type="xsd:string"/>
  <xsd:element name="FieldValue" type="xsd:string"/>
 </xsd:sequence></xsd:complexType></xsd:element>
</xsd:sequence></xsd:complexType></xsd:element>
"""
_INSTANCE = '<xsd:element name="QueryInstance" type="xsd:string"/>'
_STATUS = """
<xsd:element name="Status" type="xsd:string"/>
<xsd:element name="NumColumns" type="xsd:int" minOccurs="0"/>
<xsd:element name="TotalRows" type="xsd:int" minOccurs="0"/>
<xsd:element name="TotalBlocks" type="xsd:int" minOccurs="0"/>
<xsd:element name="TotalBytes" type="xsd:int" minOccurs="0"/>
"""


def _work(record: str, fields: str) -> str:
    """A rowset part: `<RECORD class="R">` with its fields (PTQASWRK, PTQASSTATWRK)."""
    return (
        f'<xsd:element name="{record}"><xsd:complexType><xsd:sequence>{fields}</xsd:sequence>'
        '<xsd:attribute name="class" type="xsd:string"/></xsd:complexType></xsd:element>'
    )


# (message root, part element, part content, message version, part version)
_MESSAGES = [
    ("QAS_EXEQRY_SYNC_REQ_MSG", "QAS_EXEQRY_SYNC_REQ", _REQUEST_FIELDS, "VERSION_1", "VERSION_1"),
    ("QAS_EXEQRY_SYNCPOLL_REQ_MSG", "QAS_EXEQRY_SYNCPOLL_REQ", _REQUEST_FIELDS, "VERSION_1", "VERSION_1"),
    ("QAS_EXEQRYSYNCPOLL_RESP_MSG", "QAS_EXEQRYSYNCPOLL_RESP", _work("PTQASWRK", _INSTANCE), "VERSION_1", "VERSION_1"),
    (
        "QAS_QUERYSTATUS_REQ_MSG",
        "QAS_QUERYSTATUS_REQ",
        _work("PTQASWRK", '<xsd:element name="QueryInstanceID" type="xsd:string"/>'),
        "VERSION_1",
        "VERSION_1",
    ),
    ("QAS_QUERYSTATUS_RESP_MSG", "QAS_QUERYSTATUS_RESP", _work("PTQASSTATWRK", _STATUS), "VERSION_1", "VERSION_1"),
    (
        "QAS_GETQUERYRESULTS_REQ_MSG",
        "QAS_GETQUERYRESULTS_REQ",
        _work("PTQASWRK", '<xsd:element name="BlockNumber" type="xsd:int"/>' + _INSTANCE),
        "VERSION_1",
        "VERSION_1",
    ),
    ("QAS_CANCELQUERY_REQ_MSG", "QAS_CANCELQUERY_REQ", _work("PTQASWRK", _INSTANCE), "VERSION_1", "VERSION_1"),
    ("QAS_CANCELQUERY_RESP_MSG", "QAS_CANCELQUERY_RESP", _work("PTQASSTATWRK", _STATUS), "VERSION_1", "VERSION_1"),
]

_RESULTS = f"""
<xsd:schema targetNamespace="{ns("QAS_QUERYRESULTS_STATUS_RESP", "VERSION_2")}" elementFormDefault="qualified">
 <xsd:element name="QAS_QUERYRESULTS_STATUS_RESP"><xsd:complexType><xsd:sequence>
  <xsd:element name="status" type="xsd:string"/>
  <xsd:element name="FILEURL" type="xsd:string" minOccurs="0"/>
 </xsd:sequence></xsd:complexType></xsd:element>
</xsd:schema>
<xsd:schema targetNamespace="{ns("QAS_QUERYRESULTS_XMLP_RESP")}" elementFormDefault="qualified">
 <xsd:element name="query"><xsd:complexType><xsd:sequence>
  <xsd:element name="row" minOccurs="0" maxOccurs="unbounded"><xsd:complexType><xsd:sequence>
   <xsd:any minOccurs="0" maxOccurs="unbounded" processContents="skip" namespace="##any"/>
  </xsd:sequence><xsd:attribute name="rownumber" type="xsd:int"/></xsd:complexType></xsd:element>
 </xsd:sequence>
 <xsd:attribute name="numrows" type="xsd:int"/><xsd:attribute name="queryname" type="xsd:string"/>
 </xsd:complexType></xsd:element>
</xsd:schema>
<xsd:schema targetNamespace="{ns("QAS_GETQUERYRESULTS_RESP_MSG", "VERSION_2")}" elementFormDefault="qualified"
  xmlns:st="{ns("QAS_QUERYRESULTS_STATUS_RESP", "VERSION_2")}" xmlns:xp="{ns("QAS_QUERYRESULTS_XMLP_RESP")}">
 <xsd:import namespace="{ns("QAS_QUERYRESULTS_STATUS_RESP", "VERSION_2")}"/>
 <xsd:import namespace="{ns("QAS_QUERYRESULTS_XMLP_RESP")}"/>
 <xsd:element name="QAS_GETQUERYRESULTS_RESP_MSG"><xsd:complexType><xsd:sequence>
  <xsd:element ref="st:QAS_QUERYRESULTS_STATUS_RESP" minOccurs="0"/>
  <xsd:element ref="xp:query" minOccurs="0"/>
 </xsd:sequence></xsd:complexType></xsd:element>
</xsd:schema>
"""

# operation -> (input root, output root)
OPERATIONS = {
    "QAS_EXECUTEQRYSYNC_OPER": ("QAS_EXEQRY_SYNC_REQ_MSG", "QAS_GETQUERYRESULTS_RESP_MSG"),
    "QAS_EXECUTEQRYSYNCPOLL_OPER": ("QAS_EXEQRY_SYNCPOLL_REQ_MSG", "QAS_EXEQRYSYNCPOLL_RESP_MSG"),
    "QAS_QUERYSTATUS_OPER": ("QAS_QUERYSTATUS_REQ_MSG", "QAS_QUERYSTATUS_RESP_MSG"),
    "QAS_GETQUERYRESULTS_OPER": ("QAS_GETQUERYRESULTS_REQ_MSG", "QAS_GETQUERYRESULTS_RESP_MSG"),
    "QAS_CANCELQUERY_OPER": ("QAS_CANCELQUERY_REQ_MSG", "QAS_CANCELQUERY_RESP_MSG"),
}
SOAP_ACTIONS = {
    name: f"{name}.VERSION_2" if name == "QAS_GETQUERYRESULTS_OPER" else f"{name}.VERSION_1" for name in OPERATIONS
}


def _message_schema(root: str, part: str, content: str, version: str, part_version: str) -> str:
    inner = ns(part, part_version)
    return (
        f'<xsd:schema targetNamespace="{inner}" elementFormDefault="qualified">'
        f'<xsd:element name="{part}"><xsd:complexType><xsd:sequence>{content}</xsd:sequence></xsd:complexType>'
        "</xsd:element></xsd:schema>"
        f'<xsd:schema targetNamespace="{ns(root, version)}" elementFormDefault="qualified" xmlns:p="{inner}">'
        f'<xsd:import namespace="{inner}"/><xsd:element name="{root}"><xsd:complexType><xsd:sequence>'
        f'<xsd:element ref="p:{part}"/></xsd:sequence></xsd:complexType></xsd:element></xsd:schema>'
    )


def _root_ns(root: str) -> str:
    return ns(root, "VERSION_2") if root == "QAS_GETQUERYRESULTS_RESP_MSG" else ns(root)


def qas_wsdl(address: str = "http://localhost/PSIGW/PeopleSoftServiceListeningConnector") -> bytes:
    """The WSDL text, its port at `address`."""
    roots = sorted({root for pair in OPERATIONS.values() for root in pair})
    prefixes = {root: f"m{i}" for i, root in enumerate(roots)}
    xmlns = " ".join(f'xmlns:{prefixes[r]}="{_root_ns(r)}"' for r in roots)
    schemas = "".join(_message_schema(*spec) for spec in _MESSAGES) + _RESULTS
    messages = "".join(
        f'<wsdl:message name="{r}"><wsdl:part name="parameter" element="{prefixes[r]}:{r}"/></wsdl:message>'
        for r in roots
    )
    port_ops = "".join(
        f'<wsdl:operation name="{op}"><wsdl:input message="tns:{i}"/><wsdl:output message="tns:{o}"/></wsdl:operation>'
        for op, (i, o) in OPERATIONS.items()
    )
    binding_ops = "".join(
        f'<wsdl:operation name="{op}"><soap:operation soapAction="{SOAP_ACTIONS[op]}" style="document"/>'
        '<wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output>'
        "</wsdl:operation>"
        for op in OPERATIONS
    )
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions name="QAS_QRY_SERVICE" targetNamespace="{SERVICE_NS}" xmlns:tns="{SERVICE_NS}"
  xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:xsd="http://www.w3.org/2001/XMLSchema" {xmlns}>
<wsdl:types>{schemas}</wsdl:types>
{messages}
<wsdl:portType name="QAS_QRY_SERVICE_PortType">{port_ops}</wsdl:portType>
<wsdl:binding name="QAS_QRY_SERVICE_Binding" type="tns:QAS_QRY_SERVICE_PortType">
<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>{binding_ops}</wsdl:binding>
<wsdl:service name="QAS_QRY_SERVICE"><wsdl:port name="QAS_QRY_SERVICE_Port" binding="tns:QAS_QRY_SERVICE_Binding">
<soap:address location="{address}"/></wsdl:port></wsdl:service>
</wsdl:definitions>
"""
    return text.encode("utf-8")
