"""Workday Web Services calls: one SOAP client per service, the version on every request, Workday paging.

Every `Get_*` is paged with `Response_Filter/Page` and `Count` and read until `Response_Results/
Total_Pages`; all pages of a run carry the same `As_Of_Entry_DateTime`, taken once from
`Get_Server_Timestamp`, so a hire entered mid-run cannot shift rows between pages.
Answers are read as lxml elements (`SoapClient.call_xml`): zeep builds the requests and reads the
faults, but not hundreds of objects per page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lxml import etree

from connector_core import SourceAuthError, SourceError, SourcePermissionError
from connector_core.transport import SoapClient
from lerconnect_workday import xml
from lerconnect_workday.config import Config

log = logging.getLogger("lerconnect.workday")
DESCRIPTORS = {"header": {"Include_Reference_Descriptors_In_Response": True}}
"""`Workday_Common_Header`: ask for display names on every reference (course and job titles)."""


@dataclass(frozen=True)
class Answer:
    """One page of a `Get_*`: its number, the total, and the `Response_Data` children."""

    page: int
    total_pages: int
    total_results: int
    items: list[etree._Element]


class Wws:
    """The tenant's services for one source: clients made on first use, counted requests."""

    def __init__(self, config: Config, make_client: Callable[[str], SoapClient]) -> None:
        self.config = config
        self.make_client = make_client
        self.clients: dict[str, SoapClient] = {}

    def client(self, service: str) -> SoapClient:
        if service not in self.clients:
            try:
                self.clients[service] = self.make_client(service)
            except SourceError as exc:
                if "HTTP 404" not in str(exc):
                    raise
                raise SourceError(
                    f"{exc} — the tenant serves no {service} {self.config.version}: check `host`, `tenant` "
                    "and `version` (set `version` to one the tenant serves)"
                ) from None
        return self.clients[service]

    @property
    def requests_made(self) -> int:
        return sum(c.requests_made for c in self.clients.values())

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()

    def call(self, service: str, operation: str, **request: Any) -> etree._Element:
        """`operation` with `version` set, descriptors asked for; SOAP faults reworded with their fix."""
        try:
            return self.client(service).call_xml(
                operation, version=self.config.version, _soapheaders=DESCRIPTORS, **request
            )
        except SourceAuthError as exc:
            raise SourceAuthError(
                f"{exc} — Workday refused {self.config.isu_username}: check `username` (the ISU, user@tenant) "
                "and `password` (ISU passwords expire; a locked account answers the same)"
            ) from None
        except SourcePermissionError as exc:
            raise SourcePermissionError(
                f"{exc} — grant the ISU's security group Get access to the domain behind {service}/{operation}"
            ) from None
        except SourceError as exc:
            if "version" in str(exc).lower():
                raise SourceError(
                    f"{exc} — the tenant does not serve WWS {self.config.version}: set `version` to one it serves"
                ) from None
            raise

    def server_timestamp(self) -> datetime:
        """The tenant's clock (`Get_Server_Timestamp`): the run's frozen entry moment."""
        answer = self.call("Human_Resources", "Get_Server_Timestamp")
        value = xml.text(answer, "Server_Timestamp_Data")
        if value is None:
            raise SourceError("Get_Server_Timestamp answered without Server_Timestamp_Data")
        return datetime.fromisoformat(value)

    def page(
        self,
        service: str,
        operation: str,
        item: str,
        *,
        as_of: datetime,
        page: int,
        effective: date | None = None,
        **request: Any,
    ) -> Answer:
        """Page `page` of `operation` as of the entry moment `as_of` (and the `effective` day, default today).

        `item` names the Response_Data children."""
        response_filter: dict[str, Any] = {"As_Of_Entry_DateTime": as_of, "Page": page, "Count": self.config.page_size}
        if effective is not None:
            response_filter = {"As_Of_Effective_Date": effective, **response_filter}
        answer = self.call(service, operation, Response_Filter=response_filter, **request)
        results = xml.find(answer, "Response_Results")
        total_pages = _number(xml.text(results, "Total_Pages"))
        total = _number(xml.text(results, "Total_Results"))
        return Answer(page, total_pages, total, xml.findall(answer, f"Response_Data/{item}"))

    def pages(
        self,
        service: str,
        operation: str,
        item: str,
        *,
        as_of: datetime,
        start: int = 1,
        effective: date | None = None,
        **request: Any,
    ) -> Iterator[Answer]:
        """Pages `start`.. of `operation` until `Total_Pages` (an empty result is one empty page)."""
        number = start
        while True:
            answer = self.page(service, operation, item, as_of=as_of, page=number, effective=effective, **request)
            yield answer
            if number >= answer.total_pages:
                return
            number += 1


def _number(value: str | None) -> int:
    """Workday writes counts as decimals (`3`, sometimes `3.0`)."""
    return int(float(value)) if value else 0
