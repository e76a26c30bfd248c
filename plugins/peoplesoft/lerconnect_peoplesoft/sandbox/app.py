"""A PeopleSoft Integration Broker imitation: QAS over SOAP (sync and polling) and REST ExecuteQuery JSON.

Served paths, as a gateway lays them out:
  GET  /PSIGW/PeopleSoftServiceListeningConnector/<NODE>/QAS_QRY_SERVICE.1.wsdl   the WSDL
  POST /PSIGW/PeopleSoftServiceListeningConnector[/<NODE>]                         QAS operations
  GET  /PSIGW/RESTListeningConnector/<NODE>/ExecuteQuery.v1/<owner>/<query>/JSON/NONFILE
What the real system does and this one imitates: MaxRow and the user's query profile cut results
silently; polling answers `queued` before data and hands results out block by block; faults say
`faultstring` null with an `IBResponse` detail; a slow sync run dies at the gateway (HTTP 504).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from werkzeug.wrappers import Request, Response

from connector_core.sandbox import Campus, Envelope, SoapService, UsernameToken, basic_ok, fault_response, soap_faults
from lerconnect_peoplesoft.config import DEFAULT_NAMES
from lerconnect_peoplesoft.sandbox.data import QueryTables, Row, query_tables
from lerconnect_peoplesoft.wsdl import ns, qas_wsdl

SOAP_PATH = "/PSIGW/PeopleSoftServiceListeningConnector"
REST_PATH = "/PSIGW/RESTListeningConnector"
NODE = "PSFT_CS"
USERS = {"LER_INTEGRATION": "sandbox-ps-password", "LER_NO_QUERY_TREE": "sandbox-ps-password"}
"""The second user may call QAS but its query tree lacks the records of the LER queries."""
XMLP = ns("QAS_QUERYRESULTS_XMLP_RESP")
# query kind -> prompt name -> (field compared, LIKE?)
PROMPTS: dict[str, dict[str, tuple[str, bool]]] = {
    "grades": {"INSTITUTION": ("INSTITUTION", False), "STRM": ("STRM", False), "SUBJECT": ("SUBJECT", True)},
    "honors": {"INSTITUTION": ("INSTITUTION", False), "STRM": ("STRM", False)},
    "groups": {"INSTITUTION": ("INSTITUTION", False)},
    "competencies": {},
}


REST_STATUS = {(158, 45): 401, (262, 510): 403, (262, 502): 404}
"""HTTP status of a REST error per message pair (the REST error shape is not documented: an IBResponse body)."""


class QasFault(Exception):
    def __init__(self, message: str, message_set: int, number: int, *parameters: str) -> None:
        super().__init__(message)
        self.status = REST_STATUS.get((message_set, number), 400)
        self.detail = soap_faults.peoplesoft_ib_response(message, message_set, number, parameters=parameters)


@dataclass
class Tuning:
    """How the imitation behaves; tests change it."""

    profile_max_rows: int = 100_000
    """The user's query profile "Max Rows Fetched": a second, silent cap."""
    block_rows: int = 250
    queued_status: int = 1
    """`queued` answers of QAS_QUERYSTATUS_OPER before the run is done."""
    queued_first_block: bool = True
    sync_timeouts: int = 0
    """The next N sync runs die at the gateway with HTTP 504."""


@dataclass
class Instance:
    query: str
    rows: list[Row]
    status_calls: int = 0
    block_queued: bool = False


@dataclass
class Stats:
    operations: dict[str, int] = field(default_factory=dict)
    rest_calls: int = 0
    prompts: list[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=list)


def _find(element: etree._Element, name: str) -> etree._Element | None:
    return next((e for e in element.iter() if isinstance(e.tag, str) and etree.QName(e).localname == name), None)


def _text(element: etree._Element, name: str) -> str:
    found = _find(element, name)
    return (found.text or "").strip() if found is not None else ""


def _value(row: Row, name: str) -> str:
    return next((v for k, v in row.items() if k == name or k.endswith("." + name)), "").strip()


def _like(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(pattern).replace("%", ".*").replace("_", ".") + "$")


class PeopleSoftSandbox:
    """The WSGI app; `tables` are the query results, `tuning` the behaviour, `stats` what was asked."""

    def __init__(self, campus: Campus, tuning: Tuning | None = None) -> None:
        self.campus = campus
        self.tables: QueryTables = query_tables(campus)
        self.tuning = tuning or Tuning()
        self.stats = Stats()
        self.queries = {name: kind for kind, name in DEFAULT_NAMES.items()}
        self.instances: dict[str, Instance] = {}
        self.lock = threading.Lock()
        self.soap = SoapService(
            {
                "QAS_EXEQRY_SYNC_REQ_MSG": self._guarded(self._sync),
                "QAS_EXEQRY_SYNCPOLL_REQ_MSG": self._guarded(self._submit),
                "QAS_QUERYSTATUS_REQ_MSG": self._guarded(self._status),
                "QAS_GETQUERYRESULTS_REQ_MSG": self._guarded(self._results),
                "QAS_CANCELQUERY_REQ_MSG": self._guarded(self._cancel),
            },
            check=self._token,
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path.startswith(SOAP_PATH):
            if request.method == "GET" and path.endswith(".wsdl"):
                return Response(qas_wsdl(request.host_url.rstrip("/") + SOAP_PATH), content_type="text/xml")
            if request.method == "POST" and self._timed_out(request):
                return Response("<html><body>504 Gateway Time-out</body></html>", status=504, content_type="text/html")
            return self.soap.respond(request)
        if path.startswith(f"{REST_PATH}/"):
            return self._rest(request, path.removeprefix(f"{REST_PATH}/").split("/"))
        return Response("not a PeopleSoft gateway path", status=404, content_type="text/plain")

    # --- SOAP -------------------------------------------------------------------------------
    def _timed_out(self, request: Request) -> bool:
        if b"QAS_EXEQRY_SYNC_REQ_MSG" not in request.get_data():
            return False
        with self.lock:
            if self.tuning.sync_timeouts > 0:
                self.tuning.sync_timeouts -= 1
                return True
        return False

    def _token(self, token: UsernameToken | None) -> Response | None:
        if token is None or not token.is_text or USERS.get(token.username) != token.password:
            user = token.username if token else "ANONYMOUS"
            return self._fault(QasFault("User password failed.", 158, 45, user))
        return None

    def _fault(self, fault: QasFault) -> Response:
        return fault_response("SOAP-ENV:Server", None, fault.detail)

    def _guarded(self, handler: Callable[[Envelope], etree._Element]) -> Callable[[Envelope], Any]:
        def run(envelope: Envelope) -> Any:
            name = etree.QName(envelope.body).localname
            self.stats.operations[name] = self.stats.operations.get(name, 0) + 1
            try:
                return handler(envelope)
            except QasFault as fault:
                return self._fault(fault)

        return run

    def _request(self, envelope: Envelope) -> tuple[str, list[Row], int]:
        body = envelope.body
        name, owner = _text(body, "QueryName"), _text(body, "OwnerType").upper()
        prompts = [
            (_text(p, "UniquePromptName"), _text(p, "FieldValue"))
            for p in body.iter()
            if isinstance(p.tag, str) and etree.QName(p).localname == "PROMPT"
        ]
        user = envelope.token.username if envelope.token else ""
        rows = self._run(user, name, owner, prompts)
        return name, rows, int(_text(body, "MaxRow") or 0)

    def _run(self, user: str, name: str, owner: str, prompts: list[tuple[str, str]]) -> list[Row]:
        kind = self.queries.get(name)
        if kind is None or owner != "PUBLIC":
            raise QasFault(f"Query {name} does not exist or is not a {owner or '?'} query.", 262, 502, name)
        if user == "LER_NO_QUERY_TREE":
            raise QasFault(f"Query {name}: you are not authorized to access a record of this query.", 262, 510, name)
        self.stats.prompts.append((name, tuple(prompts)))
        rows = getattr(self.tables, kind)
        for prompt, value in prompts:
            spec = PROMPTS[kind].get(prompt)
            if spec is None:
                raise QasFault(f"Prompt {prompt} is not defined for query {name}.", 262, 520, prompt, name)
            column, like = spec
            match = _like(value) if like else None
            rows = [r for r in rows if (match.match(_value(r, column)) if match else _value(r, column) == value)]
        return rows

    def _cap(self, rows: list[Row], max_row: int) -> list[Row]:
        limit = min(max_row or self.tuning.profile_max_rows, self.tuning.profile_max_rows)
        return rows[:limit]

    def _query(self, name: str, rows: list[Row], start: int, total: int) -> etree._Element:
        query = etree.Element(f"{{{XMLP}}}query", nsmap={None: XMLP}, numrows=str(total), queryname=name)
        for number, row in enumerate(rows, start=start):
            element = etree.SubElement(query, f"{{{XMLP}}}row", rownumber=str(number))
            for key, value in row.items():
                etree.SubElement(element, f"{{{XMLP}}}{key}").text = etree.CDATA(value) if value else ""
        return query

    def _results_msg(self, *parts: etree._Element) -> etree._Element:
        message = etree.Element(f"{{{ns('QAS_GETQUERYRESULTS_RESP_MSG', 'VERSION_2')}}}QAS_GETQUERYRESULTS_RESP_MSG")
        message.extend(parts)
        return message

    def _work(self, root: str, part: str, record: str, fields: dict[str, str]) -> etree._Element:
        message = etree.Element(f"{{{ns(root)}}}{root}")
        inner = etree.SubElement(message, f"{{{ns(part)}}}{part}")
        work = etree.SubElement(inner, f"{{{ns(part)}}}{record}", {"class": "R"})
        for key, value in fields.items():
            etree.SubElement(work, f"{{{ns(part)}}}{key}").text = value
        return message

    def _sync(self, envelope: Envelope) -> etree._Element:
        name, rows, max_row = self._request(envelope)
        capped = self._cap(rows, max_row)
        return self._results_msg(self._query(name, capped, 1, len(capped)))

    def _submit(self, envelope: Envelope) -> etree._Element:
        name, rows, max_row = self._request(envelope)
        instance = str(uuid.uuid4())
        with self.lock:
            self.instances[instance] = Instance(name, self._cap(rows, max_row))
        return self._work(
            "QAS_EXEQRYSYNCPOLL_RESP_MSG", "QAS_EXEQRYSYNCPOLL_RESP", "PTQASWRK", {"QueryInstance": instance}
        )

    def _instance(self, envelope: Envelope, field_name: str) -> Instance:
        instance = self.instances.get(_text(envelope.body, field_name))
        if instance is None:
            raise QasFault("Query instance not found.", 262, 530, _text(envelope.body, field_name))
        return instance

    def _status(self, envelope: Envelope) -> etree._Element:
        try:
            instance = self._instance(envelope, "QueryInstanceID")
        except QasFault:
            status, total = "idNotFound", 0
        else:
            instance.status_calls += 1
            status = "queued" if instance.status_calls <= self.tuning.queued_status else "success"
            total = len(instance.rows)
        fields = {"Status": status, "NumColumns": "0", "TotalRows": str(total), "TotalBlocks": "0", "TotalBytes": "0"}
        return self._work("QAS_QUERYSTATUS_RESP_MSG", "QAS_QUERYSTATUS_RESP", "PTQASSTATWRK", fields)

    def _results(self, envelope: Envelope) -> etree._Element:
        instance = self._instance(envelope, "QueryInstance")
        block = int(_text(envelope.body, "BlockNumber") or 1)
        status_ns = ns("QAS_QUERYRESULTS_STATUS_RESP", "VERSION_2")
        status = etree.Element(f"{{{status_ns}}}QAS_QUERYRESULTS_STATUS_RESP")
        state = etree.SubElement(status, f"{{{status_ns}}}status")
        if block == 1 and self.tuning.queued_first_block and not instance.block_queued:
            instance.block_queued = True
            state.text = "queued"
            return self._results_msg(status)
        size = self.tuning.block_rows
        start = (block - 1) * size
        rows = instance.rows[start : start + size]
        state.text = "finalBlockRetrieved" if start + size >= len(instance.rows) else "blockRetrieved"
        return self._results_msg(status, self._query(instance.query, rows, start + 1, len(rows)))

    def _cancel(self, envelope: Envelope) -> etree._Element:
        with self.lock:
            found = self.instances.pop(_text(envelope.body, "QueryInstance"), None)
        status = "success" if found else "idNotFound"
        return self._work("QAS_CANCELQUERY_RESP_MSG", "QAS_CANCELQUERY_RESP", "PTQASSTATWRK", {"Status": status})

    # --- REST -------------------------------------------------------------------------------
    def _rest(self, request: Request, parts: list[str]) -> Response:
        self.stats.rest_calls += 1
        user = basic_ok(request, USERS)
        if user is None:
            return self._rest_error(QasFault("User password failed.", 158, 45, "ANONYMOUS"))
        if len(parts) != 6 or parts[0] != NODE or parts[1] != "ExecuteQuery.v1":
            return Response("unknown REST service operation", status=404, content_type="text/plain")
        owner, name = parts[2].upper(), parts[3]
        names = [n for n in request.args.get("prompt_uniquepromptname", "").split(",") if n]
        values = request.args.get("prompt_fieldvalue", "").split(",")
        try:
            rows = self._run(user, name, owner, list(zip(names, values, strict=False)))
        except QasFault as fault:
            return self._rest_error(fault)
        capped = self._cap(rows, int(request.args.get("maxrows") or 0))
        body = {
            "status": "success",
            "data": {
                "query": {
                    "numrows": len(capped),
                    "queryname=": name,
                    "rows": [{"attr:rownumber": i, **_plain(row)} for i, row in enumerate(capped, start=1)],
                }
            },
        }
        return Response(json.dumps(body), content_type="application/json")

    def _rest_error(self, fault: QasFault) -> Response:
        return Response(etree.tostring(fault.detail), status=fault.status, content_type="text/xml")


def _plain(row: Row) -> dict[str, str]:
    """JSON keys are plain field names where one record has the field, `A.FIELD` where several do."""
    short = [k.split(".", 1)[-1] for k in row]
    return {(k.split(".", 1)[-1] if short.count(k.split(".", 1)[-1]) == 1 else k): v.strip() for k, v in row.items()}
