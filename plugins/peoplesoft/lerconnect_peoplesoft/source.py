"""The PeopleSoft `Source`: QAS over SOAP (zeep, WS-Security) or REST, one PS Query per kind of record."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from functools import cached_property
from typing import Any, ClassVar

import requests

from connector_core import (
    Cursor,
    LearningRecord,
    Page,
    SandboxServer,
    SourceContext,
    SourceError,
    SourceUnavailable,
    Tombstone,
)
from connector_core.transport import Backoff, BasicAuth, RestClient, SoapSource
from lerconnect_peoplesoft.config import STREAM_QUERIES, Config
from lerconnect_peoplesoft.faults import ib_error, ib_error_text
from lerconnect_peoplesoft.normalize import Normalizer
from lerconnect_peoplesoft.qas import RestQas, SoapQas
from lerconnect_peoplesoft.sweep import Sweep
from lerconnect_peoplesoft.wsdl import BINDING

WSDL_NAME = "QAS_QRY_SERVICE.1.wsdl"


class PeopleSoftSource(SoapSource):
    """PeopleSoft Campus Solutions (grades, honors, student groups) and HCM profile competencies."""

    name = "peoplesoft"
    Config = Config
    streams = ("grades", "cocurricular", "competencies")
    binding = BINDING
    wsdl_version = "1"
    user_agent = "lerconnect-peoplesoft"
    backoff: ClassVar[Backoff] = Backoff(initial=1.0, maximum=30.0)

    clock: Callable[[], date] = staticmethod(date.today)
    """Today's date for the recent-terms window; tests and the sandbox pin it."""
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self, config: Config, context: SourceContext) -> None:  # type: ignore[override]
        super().__init__(config, context)
        self.config: Config = config
        self.normalizer = Normalizer(config)

    def endpoint(self) -> str:
        return self.config.soap_endpoint

    def wsdl_location(self) -> str:
        if self.config.wsdl is None:
            return f"{self.config.soap_endpoint}/{WSDL_NAME}"
        return super().wsdl_location()

    def classify_fault(self, fault: Any) -> type[SourceError] | None:
        if isinstance(fault.detail, bytes | str):  # not XML: the web server or gateway answered (504), retry
            return SourceUnavailable
        found = ib_error(fault.detail)
        return found.kind if found else None

    def classify_error(self, response: requests.Response, endpoint: str) -> SourceError | None:
        found = ib_error_text(response.content)
        return found.kind(found.explain(endpoint)) if found else None

    @cached_property
    def rest(self) -> RestClient:
        config = self.config
        return RestClient(
            config.rest_base,
            auth=BasicAuth(config.username, config.password),
            timeout=config.timeout_seconds,
            verify=config.verify_tls,
            user_agent=self.user_agent,
            retry=self.retry_policy(),
            classify_error=self.classify_error,
        )

    @cached_property
    def qas(self) -> SoapQas | RestQas:
        if self.config.mode == "qas_rest":
            return RestQas(self.rest)
        return SoapQas(self.soap, self.sleep)

    @property
    def requests_made(self) -> int:
        client = self.__dict__.get("rest") if self.config.mode == "qas_rest" else self.__dict__.get("soap")
        return client.requests_made if client is not None else 0

    def check(self) -> str:
        kinds = [k for s in self.active_streams() for k in STREAM_QUERIES[s] if k in self.config.queries]
        if not kinds:
            raise SourceError(
                f"peoplesoft source {self.context.name}: no queries configured for streams "
                f"{', '.join(self.active_streams())}: add [sources.{self.context.name}.queries.grades] etc."
            )
        query = self.config.queries[kinds[0]].model_copy(update={"max_rows": 1, "execution": "sync"})
        prompts = [(n, v if isinstance(v, str) else (v[0] if v else "")) for n, v in query.prompts.items()]
        if query.subject_prompt:
            prompts.append((query.subject_prompt, "%"))
        self.qas.run(query, prompts)
        return (
            f"PeopleSoft {self.config.base_url} node {self.config.node} ({self.config.mode}): user "
            f"{self.config.username} ran PS Query {query.name}"
        )

    def pull(self, stream: str, cursor: Cursor) -> Iterator[Page]:
        self.check_stream(stream)
        yield from Sweep(self.qas, self.config, stream, self.clock()).run(cursor)

    def normalize(self, stream: str, raw: Mapping[str, Any]) -> Iterable[LearningRecord | Tombstone]:
        return self.normalizer(stream, raw)

    def record_id(self, stream: str, raw: Mapping[str, Any]) -> str:
        return self.normalizer.record_id(raw)

    def close(self) -> None:
        super().close()
        if "rest" in self.__dict__:
            self.rest.close()

    @classmethod
    def sandbox(cls, campus: Any, **options: Any) -> SandboxServer | None:
        """A PeopleSoft Integration Broker imitation, for a campus whose SIS is PeopleSoft only."""
        if getattr(campus, "sis", None) != "peoplesoft":
            return None
        from lerconnect_peoplesoft.sandbox import build_sandbox

        return build_sandbox(campus, **options)
