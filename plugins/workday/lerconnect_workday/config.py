"""`[sources.<name>]` with `plugin = "workday"`: tenant, integration user, version, services' WSDLs."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connector_core.transport import SoapConfig
from lerconnect_workday.columns import LAYOUTS

SERVICES = ("Human_Resources", "Student_Records", "Learning")
POSITION_END_EVENTS = ("Change Job", "End Additional Job", "Termination", "End Contingent Worker Contract")


class RaasReport(BaseModel):
    """A stream read from a custom report (Reports-as-a-Service) instead of WWS: where, which columns, prompts."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    report: str
    """`<owner>/<Report_Name>`: read at `/ccx/service/customreport2/<tenant>/<owner>/<Report_Name>?format=json`."""
    columns: dict[str, str] = Field(default_factory=dict)
    """The stream's fields -> the report's aliases for them, where they differ from the defaults (README)."""
    prompts: dict[str, str | list[str]] = Field(default_factory=dict)
    """Fixed prompt values, by prompt alias (`Include_Terminated_Workers = "1"`; a list repeats the parameter)."""
    period_prompt: str | None = None
    """A prompt taking one academic period (`Academic_Period!Academic_Period_ID`): the report is run once per
    `academic_periods` entry, so each answer stays bounded."""
    since_prompt: str | None = None
    """A date prompt ("changed since"): later runs pass the previous run's date (less `overlap_minutes`)."""

    @field_validator("report")
    @classmethod
    def _owner_and_name(cls, value: str) -> str:
        value = value.strip("/")
        if not re.fullmatch(r"[^/?#\s]+/[^/?#\s]+", value):
            raise ValueError(f"report {value!r} must be <owner>/<Report_Name>, e.g. ISU_LERConnect/LER_Course_Grades")
        return value


class Config(SoapConfig):
    """A Workday tenant read by an Integration System User (ISU)."""

    base_url: str = ""
    """Derived from `host`; not set by hand."""
    host: str
    """The data-centre host, e.g. `wd5-impl-services1.workday.com` (never derived from the tenant)."""
    tenant: str
    version: str = "v43.0"
    """The WWS version, sent in the URL and as the `version` attribute of every request."""
    wsdl: dict[str, str] = Field(default_factory=dict)  # type: ignore[assignment]
    """Per service (`Human_Resources`, `Student_Records`, `Learning`): a local file or a URL.

    Default: the tenant's own `<endpoint>?wsdl`, downloaded once into the cache."""
    page_size: int = Field(default=200, ge=1, le=999)
    """`Response_Filter/Count`: Workday refuses more than 999."""
    academic_periods: list[str] = Field(default_factory=list)
    """`Academic_Period_ID`s re-read each run for grades (the open and recently closed ones); empty: every period."""
    student_records: bool = True
    """The tenant runs Workday Student (grades, student competencies, accomplishments); false on an HCM-only tenant."""
    employment_history: bool = True
    """Read earlier positions through `Get_Worker_Event_History` (one request per worker read, plus one
    `Get_Workers` per ended position); false: only the positions held today."""
    position_end_events: list[str] = Field(default_factory=lambda: list(POSITION_END_EVENTS))
    """Event types (`Event_Type_Name`) that move a worker out of a position; add the tenant's own."""
    raas: dict[str, RaasReport] = Field(default_factory=dict)
    """Streams read from custom reports (by stream name) rather than WWS, as many campuses expose grades."""
    overlap_minutes: int = Field(default=60, ge=0)
    """How far back each incremental worker window reaches into the previous one."""
    log_lag_minutes: int = Field(default=60, ge=0)
    """The transaction log lags: an incremental window ends this long before the server's now."""

    @model_validator(mode="before")
    @classmethod
    def _base_url_from_host(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("host") and not data.get("base_url"):
            host = str(data["host"]).rstrip("/")
            data = {**data, "base_url": host if "://" in host else f"https://{host}"}
        return data

    @field_validator("version")
    @classmethod
    def _version_shape(cls, value: str) -> str:
        if not re.fullmatch(r"v\d{2}\.\d", value):
            raise ValueError(f"version {value!r} must look like v43.0 (the WWS version the tenant serves)")
        return value

    @field_validator("wsdl")
    @classmethod
    def _known_services(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SERVICES))
        if unknown:
            raise ValueError(f"wsdl names unknown services {unknown}; known: {', '.join(SERVICES)}")
        return value

    @field_validator("raas")
    @classmethod
    def _known_streams_and_columns(cls, value: dict[str, RaasReport]) -> dict[str, RaasReport]:
        for stream, report in value.items():
            if stream not in LAYOUTS:
                raise ValueError(f"raas names unknown stream {stream!r}; streams: {', '.join(LAYOUTS)}")
            unknown = sorted(set(report.columns) - LAYOUTS[stream].fields())
            if unknown:
                known = ", ".join(sorted(LAYOUTS[stream].fields()))
                raise ValueError(f"raas.{stream}.columns names unknown fields {unknown}; its fields: {known}")
        return value

    @property
    def isu_username(self) -> str:
        """`user@tenant`, as WS-Security in Workday wants it (a bare user gets `@tenant` added)."""
        return self.username if "@" in self.username else f"{self.username}@{self.tenant}"

    def endpoint(self, service: str) -> str:
        return f"{self.base_url}/ccx/service/{self.tenant}/{service}/{self.version}"
