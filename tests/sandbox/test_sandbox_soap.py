"""SOAP envelope reading and writing, WS-Security, faults, and refused XXE, over real loopback HTTP."""

from __future__ import annotations

import pytest
import requests
import zeep
from lxml import etree
from werkzeug.wrappers import Request
from zeep.wsdl.bindings.soap import Soap11Binding

from connector_core.sandbox.serve import serve
from connector_core.sandbox.soap import BadEnvelope, fault_response, read_envelope, soap_response
from connector_core.sandbox.soap_faults import peoplesoft_ib_response, workday_processing, workday_validation

WD = "urn:com.workday/bsvc"
REQUEST = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wd="urn:com.workday/bsvc">
  <env:Header>
    <wsse:Security env:mustUnderstand="1"
        xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
      <wsse:UsernameToken>
        <wsse:Username>ISU_LER@sandbox</wsse:Username>
        <wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">{password}</wsse:Password>
      </wsse:UsernameToken>
    </wsse:Security>
  </env:Header>
  <env:Body><wd:Get_Workers_Request wd:version="v31.2"><wd:Response_Filter><wd:Page>2</wd:Page>
  </wd:Response_Filter></wd:Get_Workers_Request></env:Body>
</env:Envelope>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><op>&lol2;&xxe;</op></env:Body>
</env:Envelope>"""


def app(environ, start_response):
    request = Request(environ)
    try:
        envelope = read_envelope(request.get_data())
    except BadEnvelope as exc:
        return fault_response("env:Client", str(exc))(environ, start_response)
    if envelope.token is None or envelope.token.password != "s3cret" or not envelope.token.is_text:
        detail = peoplesoft_ib_response("User password failed.", 158, 45)
        return fault_response("env:Server", None, detail)(environ, start_response)
    if envelope.operation != "Get_Workers_Request":
        detail = workday_validation("Invalid request", detail_message=envelope.operation, xpath="/env:Body/*")
        return fault_response("env:Client.validationError", "Validation error occurred.", detail)(
            environ, start_response
        )
    page = envelope.body.findtext(f"{{{WD}}}Response_Filter/{{{WD}}}Page")
    answer = etree.Element(f"{{{WD}}}Get_Workers_Response", nsmap={"wd": WD})
    etree.SubElement(answer, f"{{{WD}}}Page").text = page
    etree.SubElement(answer, f"{{{WD}}}User").text = envelope.token.username
    return soap_response(answer)(environ, start_response)


def post(base: str, body: str) -> requests.Response:
    return requests.post(base, data=body.encode(), headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=5)


def parse(response: requests.Response) -> etree._Element:
    return etree.fromstring(response.content, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def test_reads_operation_and_username_token_and_writes_a_body():
    with serve(app) as base:
        response = post(base, REQUEST.format(password="s3cret"))
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/xml")
        root = parse(response)
        assert root.findtext(f".//{{{WD}}}Page") == "2" and root.findtext(f".//{{{WD}}}User") == "ISU_LER@sandbox"


def test_peoplesoft_fault_has_null_faultstring_and_ib_response_detail():
    with serve(app) as base:
        response = post(base, REQUEST.format(password="wrong"))
        assert response.status_code == 500
        root = parse(response)
        assert root.findtext(".//faultcode") == "env:Server" and root.findtext(".//faultstring") == "null"
        assert root.findtext(".//detail/IBResponse/DefaultMessage") == "User password failed. (158,45)"
        assert root.find(".//detail/IBResponse").get("type") == "error"


def test_workday_validation_fault_reaches_zeep_as_a_fault_with_detail():
    with serve(app) as base:
        body = REQUEST.format(password="s3cret").replace("Get_Workers_Request", "Get_Nothing_Request")
        response = post(base, body)
        assert response.status_code == 500
        # zeep's own fault parsing is what the plugins will meet: code, message and detail come through
        with pytest.raises(zeep.exceptions.Fault) as caught:
            Soap11Binding.process_error(Soap11Binding, parse(response), None)  # only reads the class's nsmap
        fault = caught.value
        assert fault.code == "env:Client.validationError" and fault.message == "Validation error occurred."
        assert fault.detail.findtext(f".//{{{WD}}}Validation_Error/{{{WD}}}Message") == "Invalid request"
        assert fault.detail.findtext(f".//{{{WD}}}Detail_Message") == "Get_Nothing_Request"


def test_xxe_and_entity_expansion_are_refused_not_expanded():
    with pytest.raises(BadEnvelope, match="DTD"):
        read_envelope(XXE.encode())
    with serve(app) as base:
        response = post(base, XXE)
        assert response.status_code == 500 and b"root:" not in response.content and b"lollol" not in response.content
        assert "DTD" in parse(response).findtext(".//faultstring")


def test_processing_fault_detail():
    detail = workday_processing("The task submitted is not authorized.")
    assert detail.findtext(f"{{{WD}}}Detail_Message") == "The task submitted is not authorized."
