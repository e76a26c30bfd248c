"""A SOAP service built from the toolkit answers zeep over loopback: WSDL, UsernameToken, operations, faults."""

from __future__ import annotations

import pytest
import requests
import zeep
from lxml import etree
from werkzeug.wrappers import Response
from zeep.wsse.username import UsernameToken as ZeepToken

from connector_core.sandbox import Envelope, SoapService, UsernameToken, fault_response, serve

WD = "urn:com.workday/bsvc"
WSDL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:wd="urn:com.workday/bsvc" targetNamespace="urn:com.workday/bsvc">
  <types>
    <xsd:schema targetNamespace="urn:com.workday/bsvc" elementFormDefault="qualified">
      <xsd:element name="Get_Workers_Request"><xsd:complexType><xsd:sequence>
        <xsd:element name="Page" type="xsd:int"/></xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="Get_Workers_Response"><xsd:complexType><xsd:sequence>
        <xsd:element name="Worker_ID" type="xsd:string" maxOccurs="unbounded"/></xsd:sequence></xsd:complexType>
      </xsd:element>
    </xsd:schema>
  </types>
  <message name="Get_Workers_RequestMsg"><part name="body" element="wd:Get_Workers_Request"/></message>
  <message name="Get_Workers_ResponseMsg"><part name="body" element="wd:Get_Workers_Response"/></message>
  <portType name="HumanResourcesPort"><operation name="Get_Workers">
    <input message="wd:Get_Workers_RequestMsg"/><output message="wd:Get_Workers_ResponseMsg"/></operation></portType>
  <binding name="HumanResourcesBinding" type="wd:HumanResourcesPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Get_Workers"><soap:operation soapAction=""/>
      <input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
  </binding>
  <service name="Human_Resources"><port name="Human_Resources" binding="wd:HumanResourcesBinding">
    <soap:address location="Human_Resources"/></port></service>
</definitions>"""


def check(token: UsernameToken | None) -> Response | None:
    if token is None or (token.username, token.password) != ("ISU_LER@sandbox", "s3cret") or not token.is_text:
        return fault_response("SOAP-ENV:Client.authenticationError", "invalid username or password")
    return None


def get_workers(envelope: Envelope) -> etree._Element:
    page = int(envelope.body.findtext(f"{{{WD}}}Page"))
    answer = etree.Element(f"{{{WD}}}Get_Workers_Response", nsmap={"wd": WD})
    for n in range(2):
        etree.SubElement(answer, f"{{{WD}}}Worker_ID").text = f"2100{page}{n}"
    return answer


def client(base: str, password: str) -> zeep.Client:
    settings = zeep.Settings(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    return zeep.Client(f"{base}/?wsdl", wsse=ZeepToken("ISU_LER@sandbox", password), settings=settings)


def test_zeep_reads_the_wsdl_signs_in_and_calls_an_operation():
    service = SoapService({"Get_Workers_Request": get_workers}, check=check, wsdl=WSDL)
    with serve(service) as base:
        proxy = client(base, "s3cret").create_service(f"{{{WD}}}HumanResourcesBinding", f"{base}/")
        assert proxy.Get_Workers(Page=3) == ["210030", "210031"]
        with pytest.raises(zeep.exceptions.Fault) as caught:
            client(base, "wrong").create_service(f"{{{WD}}}HumanResourcesBinding", f"{base}/").Get_Workers(Page=1)
        assert caught.value.code == "SOAP-ENV:Client.authenticationError"
    assert service.calls == {"Get_Workers_Request": 1}


def test_unknown_operations_get_a_client_fault_and_get_without_wsdl_is_refused():
    service = SoapService({}, check=lambda token: None)
    with serve(service) as base:
        body = (
            b'<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>'
            b'<wd:Get_Nothing xmlns:wd="urn:com.workday/bsvc"/></env:Body></env:Envelope>'
        )
        answer = requests.post(f"{base}/", data=body, timeout=5)
        assert answer.status_code == 500 and b"unknown operation Get_Nothing" in answer.content
        assert requests.get(f"{base}/?wsdl", timeout=5).status_code == 404
        assert requests.get(f"{base}/", timeout=5).status_code == 405
