"""The Workday `Source`: per-service SOAP clients on the tenant's endpoints, sweeps and normalization."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any

from connector_core import (
    Cursor,
    LearningRecord,
    Page,
    SandboxServer,
    SourceAuthError,
    SourceContext,
    SourceError,
    SourcePermissionError,
    Tombstone,
)
from connector_core.transport import Fault, SoapClient, SoapSource
from lerconnect_workday import columns, normalize
from lerconnect_workday.config import Config
from lerconnect_workday.extract import Missing
from lerconnect_workday.pull import Sweep
from lerconnect_workday.raas import Raas, RaasSweep
from lerconnect_workday.wws import Wws

log = logging.getLogger("lerconnect.workday")


class WorkdaySource(SoapSource):
    """Workday: course registrations, competencies, accomplishments, learning and employment.

    Over WWS (SOAP), or for the streams named under `raas`, from the campus's custom reports."""

    name = "workday"
    Config = Config
    streams = ("grades", "competencies", "cocurricular", "employment", "learning")
    user_agent = "lerconnect-workday"

    def __init__(self, config: Config, context: SourceContext) -> None:  # type: ignore[override]
        super().__init__(config, context)
        self.config: Config = config
        self.wws = Wws(config, self.service_client)
        self._warned: set[str] = set()

    def warn_once(self, key: str, message: str) -> None:
        """A gap (a field the ISU may not see) is said once per run, not once per record."""
        if key not in self._warned:
            self._warned.add(key)
            log.warning("workday source %s: %s", self.context.name, message)

    @cached_property
    def raas(self) -> Raas:
        """The custom reports' REST client, made on first use (a WWS-only source never opens it)."""
        return Raas(self.config, self.context.name, retry=self.retry_policy(), user_agent=self.user_agent)

    @property
    def requests_made(self) -> int:
        reports = self.raas.rest.requests_made if "raas" in self.__dict__ else 0
        return self.wws.requests_made + reports

    def soap_username(self) -> str:
        return self.config.isu_username

    def service_client(self, service: str) -> SoapClient:
        """The client of one service: its endpoint, its WSDL (configured, else the tenant's own), the version."""
        endpoint = self.config.endpoint(service)
        wsdl = self.resolve_wsdl(self.config.wsdl.get(service), endpoint)
        return self.soap_client(
            wsdl, endpoint, f"{{urn:com.workday/bsvc/{service}}}{service}Binding", self.config.version
        )

    def classify_fault(self, fault: Fault) -> type[SourceError] | None:
        """Workday's faults by their code and detail element (fault strings are not documented)."""
        code = (fault.code or "").lower()
        words = " ".join([fault.message or "", *(fault.detail.itertext() if fault.detail is not None else ())])
        words = words.lower()
        if "authentication" in code or "invalid username or password" in words:
            return SourceAuthError
        if "not authorized" in words or "permission" in words:
            return SourcePermissionError
        return None

    def check(self) -> str:
        config = self.config
        enabled = config.streams or self.streams
        said = [f"Workday tenant {config.tenant} at {config.base_url}"]
        if any(stream not in config.raas for stream in enabled):
            now = self.wws.server_timestamp()
            said.append(f"WWS {config.version}: {config.isu_username} signed in; server time {now.isoformat()}")
        reports = {stream: config.raas[stream] for stream in enabled if stream in config.raas}
        for stream, report in reports.items():
            self.raas.check(stream, report)
        if reports:
            said.append(f"RaaS: {', '.join(f'{s} from {r.report}' for s, r in reports.items())}")
        return "; ".join(said)

    def pull(self, stream: str, cursor: Cursor) -> Iterator[Page]:
        if stream not in self.streams:
            raise SourceError(f"workday has no stream {stream!r}; its streams are {', '.join(self.streams)}")
        if stream in self.config.raas:
            yield from RaasSweep(self.raas, self.config, stream).run(cursor)
            return
        yield from Sweep(self.wws, self.config, stream, Missing(self.warn_once)).run(cursor)

    def normalize(self, stream: str, raw: Mapping[str, Any]) -> Iterable[LearningRecord | Tombstone]:
        if "raas_row" in raw:
            report = self.config.raas.get(stream)
            aliases = columns.LAYOUTS[stream].aliases(report.columns if report else {})
            raw = columns.interpret(stream, raw, aliases)
        return normalize.normalize(stream, raw)

    def record_location(self, stream: str, raw: Mapping[str, Any]) -> str | None:
        return raw.get("raas_row")

    def record_id(self, stream: str, raw: Mapping[str, Any]) -> str:
        return normalize.record_id(stream, raw)

    def close(self) -> None:
        self.wws.close()
        if "raas" in self.__dict__:
            self.raas.rest.close()

    @classmethod
    def sandbox(cls, campus: Any, **options: Any) -> SandboxServer:
        """A Workday tenant imitation over real HTTP/SOAP, served from the sandbox campus (see `sandbox/`)."""
        from lerconnect_workday.sandbox import build_sandbox

        return build_sandbox(campus, **options)
