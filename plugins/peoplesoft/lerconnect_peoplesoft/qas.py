"""Running one PS Query through the Query Access Service: SOAP sync, SOAP polling, or REST ExecuteQuery.

Every form returns the rows (unique field name -> text) of one run. None of them pages: a result
is as long as `MaxRow` allows and is cut there silently, so callers compare the count to the cap.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from lxml import etree

from connector_core import SourceError, SourceUnavailable
from connector_core.transport import RestClient, SoapClient
from lerconnect_peoplesoft.config import QueryConfig
from lerconnect_peoplesoft.faults import advised

log = logging.getLogger("lerconnect.peoplesoft")

Row = dict[str, Any]
Prompts = list[tuple[str, str]]
FINISHED = {"success", "posting", "last"}
FAILED = {"error", "killed", "idNotFound"}


def _request(query: QueryConfig, prompts: Prompts, block_size_kb: int) -> dict[str, Any]:
    return {
        "QueryName": query.name,
        "isConnectedQuery": "N",
        "OwnerType": "PUBLIC" if query.public else "PRIVATE",
        "BlockSizeKB": block_size_kb,
        "MaxRow": query.max_rows,
        "OutResultType": "XMLP",
        "OutResultFormat": "NONFILE",
        "Prompts": {
            "PROMPT": [{"PSQueryName": query.name, "UniquePromptName": n, "FieldValue": v} for n, v in prompts]
        },
    }


def _dig(answer: Any, *path: str) -> Any:
    """Walk `path` down zeep's answer; zeep already unwraps single-child wrappers, so skip those it did."""
    for name in path:
        try:
            answer = getattr(answer, name)
        except AttributeError:
            continue
    return answer


def _xmlp_rows(result: Any) -> list[Row]:
    """The rows of an XMLP `query` element as zeep hands it over (row children are `xsd:any`)."""
    if result is None:
        return []
    rows = []
    for row in result.row or []:
        fields = row._value_1 or []
        rows.append({etree.QName(e).localname: (e.text or "").strip() or None for e in fields})
    return rows


class SoapQas:
    """QAS over SOAP: `QAS_EXECUTEQRYSYNC_OPER`, or the polling operations block by block."""

    def __init__(self, soap: SoapClient, sleep: Callable[[float], None] = time.sleep) -> None:
        self.soap = soap
        self.sleep = sleep

    def call(self, query: QueryConfig, operation: str, **kwargs: Any) -> Any:
        """One operation; a fault's error names the query and says what to do about it."""
        try:
            return self.soap.call(operation, **kwargs)
        except SourceUnavailable:
            raise
        except SourceError as exc:
            raise advised(exc, f"PS Query {query.name}") from None

    def run(self, query: QueryConfig, prompts: Prompts) -> list[Row]:
        if query.execution == "poll":
            return self.poll(query, prompts)
        try:
            return self.sync(query, prompts)
        except SourceUnavailable as exc:
            log.warning("%s timed out in the sync form (%s); running it in the polling form", query.name, exc)
            return self.poll(query, prompts)

    def sync(self, query: QueryConfig, prompts: Prompts) -> list[Row]:
        answer = self.call(query, "QAS_EXECUTEQRYSYNC_OPER", QAS_EXEQRY_SYNC_REQ=_request(query, prompts, 0))
        return _xmlp_rows(answer.query)

    def poll(self, query: QueryConfig, prompts: Prompts) -> list[Row]:
        """Queue the query, wait until it ran, fetch blocks until the final one, then clean up."""
        queued = self.call(
            query, "QAS_EXECUTEQRYSYNCPOLL_OPER", QAS_EXEQRY_SYNCPOLL_REQ=_request(query, prompts, query.block_size_kb)
        )
        instance = _dig(queued, "QAS_EXEQRYSYNCPOLL_RESP", "PTQASWRK", "QueryInstance")
        deadline = time.monotonic() + query.poll_timeout_seconds
        try:
            total = self._wait(query, instance, deadline)
            rows = self._blocks(query, instance, deadline)
        finally:
            self._cancel(instance)
        if total and len(rows) != total:
            raise SourceError(
                f"PS Query {query.name}: the status said {total} rows but the blocks held {len(rows)}; "
                "not storing a partial result — run it again"
            )
        return rows

    def _expired(self, query: QueryConfig, instance: str, deadline: float, what: str) -> None:
        if time.monotonic() > deadline:
            raise SourceUnavailable(
                f"PS Query {query.name} (instance {instance}) still {what} after {query.poll_timeout_seconds:g}s: "
                "check that Process Scheduler runs QASEXEQRY, or raise poll_timeout_seconds"
            )
        self.sleep(query.poll_interval_seconds)

    def _wait(self, query: QueryConfig, instance: str, deadline: float) -> int:
        """QAS_QUERYSTATUS_OPER until the run is over; returns TotalRows (0 when not reported)."""
        while True:
            answer = self.call(
                query, "QAS_QUERYSTATUS_OPER", QAS_QUERYSTATUS_REQ={"PTQASWRK": {"QueryInstanceID": instance}}
            )
            status = _dig(answer, "QAS_QUERYSTATUS_RESP", "PTQASSTATWRK")
            if status.Status in FINISHED:
                return status.TotalRows or 0
            if status.Status in FAILED:
                raise SourceError(
                    f"PS Query {query.name} (instance {instance}) ended with status {status.Status!r} in "
                    "Process Scheduler: see the QASEXEQRY process log"
                )
            self._expired(query, instance, deadline, status.Status)

    def _blocks(self, query: QueryConfig, instance: str, deadline: float) -> list[Row]:
        rows: list[Row] = []
        block = 1
        while True:
            answer = self.call(
                query,
                "QAS_GETQUERYRESULTS_OPER",
                QAS_GETQUERYRESULTS_REQ={"PTQASWRK": {"BlockNumber": block, "QueryInstance": instance}},
            )
            state = answer.QAS_QUERYRESULTS_STATUS_RESP.status if answer.QAS_QUERYRESULTS_STATUS_RESP else None
            if state == "queued":
                self._expired(query, instance, deadline, f"queued at block {block}")
                continue
            if state not in ("blockRetrieved", "finalBlockRetrieved"):
                raise SourceError(f"PS Query {query.name}: block {block} answered status {state!r}")
            rows.extend(_xmlp_rows(answer.query))
            if state == "finalBlockRetrieved":
                return rows
            block += 1

    def _cancel(self, instance: str) -> None:
        """Free PSQASRUN and the IB tables; a failed clean-up loses no data, so it only warns."""
        try:
            self.soap.call("QAS_CANCELQUERY_OPER", QAS_CANCELQUERY_REQ={"PTQASWRK": {"QueryInstance": instance}})
        except SourceError as exc:
            log.warning("could not cancel QAS query instance %s: %s", instance, exc)


class RestQas:
    """QAS over REST: `ExecuteQuery.v1/<owner>/<query>/JSON/NONFILE` with `json_resp=true`."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest

    def run(self, query: QueryConfig, prompts: Prompts) -> list[Row]:
        owner = "PUBLIC" if query.public else "PRIVATE"
        params = {"isconnectedquery": "N", "maxrows": str(query.max_rows), "json_resp": "true"}
        if prompts:
            params["prompt_uniquepromptname"] = ",".join(n for n, _ in prompts)
            params["prompt_fieldvalue"] = ",".join(v for _, v in prompts)
        page = self.rest.get(f"ExecuteQuery.v1/{owner}/{query.name}/JSON/NONFILE", params, expect=dict)
        body = page.body
        found = body.get("data", {}).get("query") if isinstance(body.get("data"), dict) else None
        if body.get("status") != "success" or not isinstance(found, dict):
            raise SourceError(
                f"ExecuteQuery {query.name}: the answer has no data.query (status {body.get('status')!r})"
            )
        rows = found.get("rows") or []
        rows = [rows] if isinstance(rows, dict) else rows
        return [{k: v for k, v in row.items() if k != "attr:rownumber"} for row in rows if isinstance(row, dict)]
