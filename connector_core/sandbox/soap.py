"""SOAP 1.1 for sandboxes: read a request envelope safely, write a response or a fault.

Requests are parsed with lxml with DTDs, entity expansion and network access off, and any
document that declares a DTD is refused (an XXE or "billion laughs" payload never expands).
Faults follow SOAP 1.1 (`faultcode`, `faultstring`, `detail`); `soap_faults` builds the detail
elements Workday and PeopleSoft put in them.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from werkzeug.wrappers import Response

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSS_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
PASSWORD_TEXT = f"{WSS_PROFILE}#PasswordText"
CONTENT_TYPE = "text/xml; charset=utf-8"


class BadEnvelope(ValueError):
    """The request is not a SOAP 1.1 envelope this sandbox will read (malformed, a DTD, no Body)."""


@dataclass(frozen=True)
class UsernameToken:
    """WS-Security UsernameToken as sent in the `wsse:Security` header."""

    username: str
    password: str
    password_type: str | None

    @property
    def is_text(self) -> bool:
        """PasswordText (or no Type, which WS-Security defines as PasswordText)."""
        return self.password_type in (None, PASSWORD_TEXT)


@dataclass(frozen=True)
class Envelope:
    """A parsed request: the first element of `Body` (the operation) and the header's token."""

    body: etree._Element
    header: etree._Element | None
    token: UsernameToken | None

    @property
    def operation(self) -> str:
        """The body element's local name, e.g. `Get_Workers_Request`."""
        return etree.QName(self.body).localname


def safe_parser() -> etree.XMLParser:
    """lxml with DTD loading, entity expansion and network access off."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML; refuse any document carrying a DTD (the door to XXE and entity bombs)."""
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise BadEnvelope(f"the request is not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise BadEnvelope("the request declares a DTD; DTDs and entities are refused")
    return root


def read_envelope(data: bytes) -> Envelope:
    """The operation element and WS-Security UsernameToken of a SOAP 1.1 request."""
    root = parse_xml(data)
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise BadEnvelope(f"the root element is {root.tag}, not a SOAP 1.1 Envelope")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    operation = next((child for child in body if isinstance(child.tag, str)), None) if body is not None else None
    if operation is None:
        raise BadEnvelope("the SOAP Body is missing or empty")
    header = root.find(f"{{{SOAP_ENV}}}Header")
    return Envelope(body=operation, header=header, token=_username_token(header))


def _username_token(header: etree._Element | None) -> UsernameToken | None:
    if header is None:
        return None
    token = header.find(f"{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    if token is None:
        return None
    password = token.find(f"{{{WSSE}}}Password")
    return UsernameToken(
        username=(token.findtext(f"{{{WSSE}}}Username") or "").strip(),
        password=(password.text or "") if password is not None else "",
        password_type=password.get("Type") if password is not None else None,
    )


def envelope(*body: etree._Element) -> bytes:
    """A SOAP 1.1 envelope around `body` elements, UTF-8 with an XML declaration."""
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"env": SOAP_ENV})
    content = etree.SubElement(root, f"{{{SOAP_ENV}}}Body")
    content.extend(body)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def soap_response(*body: etree._Element, status: int = 200) -> Response:
    return Response(envelope(*body), status=status, content_type=CONTENT_TYPE)


def fault(code: str, string: str | None, detail: etree._Element | None = None) -> etree._Element:
    """A SOAP 1.1 `Fault`: `code` like `env:Client` or `env:Server.x`; `string` None writes `null`, as PeopleSoft."""
    element = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap={"env": SOAP_ENV})
    etree.SubElement(element, "faultcode").text = code
    etree.SubElement(element, "faultstring").text = "null" if string is None else string
    if detail is not None:
        etree.SubElement(element, "detail").append(detail)
    return element


def fault_response(code: str, string: str | None, detail: etree._Element | None = None) -> Response:
    """HTTP 500 with a SOAP fault, how SOAP 1.1 over HTTP reports every fault."""
    return soap_response(fault(code, string, detail), status=500)
