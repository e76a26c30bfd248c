"""A SOAP endpoint for sandboxes: serves its WSDL, checks WS-Security, routes each operation to a handler.

Workday's and PeopleSoft's imitations differ in their operations and fault wording, not in this
plumbing: `GET ?wsdl` answers the WSDL, `POST` is read safely (`soap.read_envelope`), the
UsernameToken is checked by the system's own rule, and the body element's name picks the handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lxml import etree
from werkzeug.wrappers import Request, Response

from connector_core.sandbox.soap import (
    BadEnvelope,
    Envelope,
    UsernameToken,
    fault_response,
    read_envelope,
    soap_response,
)

Handler = Callable[[Envelope], "etree._Element | Response"]
"""The operation's answer: the response body element, or a whole response (a fault)."""
TokenCheck = Callable[[UsernameToken | None], Response | None]
"""None to let the caller in, or the fault this system answers a bad or missing token with."""


class SoapService:
    """A WSGI app for one SOAP service; `calls` counts answered operations by name (for tests)."""

    def __init__(self, operations: Mapping[str, Handler], *, check: TokenCheck, wsdl: bytes | None = None) -> None:
        self.operations = dict(operations)
        self.check = check
        self.wsdl = wsdl
        self.calls: dict[str, int] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        if request.method == "GET" and "wsdl" in {k.lower() for k in request.args}:
            if self.wsdl is None:
                return Response("no WSDL is published here", status=404, content_type="text/plain")
            return Response(self.wsdl, content_type="text/xml; charset=utf-8")
        if request.method != "POST":
            return Response("SOAP requests are POSTed", status=405, headers={"Allow": "POST"})
        try:
            envelope = read_envelope(request.get_data())
        except BadEnvelope as exc:
            return fault_response("env:Client", str(exc))
        refused = self.check(envelope.token)
        if refused is not None:
            return refused
        handler = self.operations.get(envelope.operation)
        if handler is None:
            return fault_response("env:Client", f"unknown operation {envelope.operation}")
        self.calls[envelope.operation] = self.calls.get(envelope.operation, 0) + 1
        answer = handler(envelope)
        return answer if isinstance(answer, Response) else soap_response(answer)
