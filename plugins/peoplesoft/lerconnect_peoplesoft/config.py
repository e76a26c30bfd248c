"""The `[sources.<name>]` table of a PeopleSoft source: the gateway, the user, one PS Query per kind of record.

Every stream is read through PS Queries the campus builds in Query Manager and runs through the
Query Access Service (QAS); the query names, prompts and column names are the campus's own, so
they are configuration. Column defaults are the delivered record fields (STDNT_ENRL joined to
CLASS_TBL, CRSE_CATALOG and TERM_TBL; HONOR_AWARD_CS; STDNT_GRPS; JPM_JP_ITEMS).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from connector_core.transport import SoapConfig

GRADE_COLUMNS = {
    "learner_id": "EMPLID",
    "career": "ACAD_CAREER",
    "institution": "INSTITUTION",
    "term": "STRM",
    "class_number": "CLASS_NBR",
    "grade": "CRSE_GRADE_OFF",
    "preliminary_grade": "CRSE_GRADE_INPUT",
    "units_taken": "UNT_TAKEN",
    "units_earned": "UNT_EARNED",
    "grading_basis": "GRADING_BASIS_ENRL",
    "status": "STDNT_ENRL_STATUS",
    "status_reason": "ENRL_STATUS_REASON",
    "grade_date": "GRADE_DT",
    "course_id": "CRSE_ID",
    "subject": "SUBJECT",
    "catalog_number": "CATALOG_NBR",
    "title": "COURSE_TITLE_LONG",
    "term_name": "D.DESCR",
    "term_begin": "TERM_BEGIN_DT",
    "term_end": "TERM_END_DT",
    "given_name": "FIRST_NAME",
    "family_name": "LAST_NAME",
    "email": "EMAIL_ADDR",
}
HONOR_COLUMNS = {
    "learner_id": "EMPLID",
    "institution": "INSTITUTION",
    "award": "HONOR_AWARD_CD",
    "title": "DESCR",
    "awarded_on": "DT_RECVD",
    "term": "STRM",
    "given_name": "FIRST_NAME",
    "family_name": "LAST_NAME",
    "email": "EMAIL_ADDR",
}
GROUP_COLUMNS = {
    "learner_id": "EMPLID",
    "institution": "INSTITUTION",
    "group": "STDNT_GROUP",
    "title": "DESCR",
    "effective": "EFFDT",
    "status": "EFF_STATUS",
    "started_on": "START_DT",
    "given_name": "FIRST_NAME",
    "family_name": "LAST_NAME",
    "email": "EMAIL_ADDR",
}
COMPETENCY_COLUMNS = {
    "learner_id": "EMPLID",
    "profile": "JPM_PROFILE_ID",
    "content_type": "JPM_CAT_TYPE",
    "item": "JPM_CAT_ITEM_ID",
    "title": "JPM_DESCR90",
    "rating": "JPM_RATING1",
    "effective": "EFFDT",
    "given_name": "FIRST_NAME",
    "family_name": "LAST_NAME",
    "email": "EMAIL_ADDR",
}
KINDS = {"grades": GRADE_COLUMNS, "honors": HONOR_COLUMNS, "groups": GROUP_COLUMNS, "competencies": COMPETENCY_COLUMNS}
"""Query kinds and their column defaults; `columns` in config overrides any of them."""
STREAM_QUERIES = {"grades": ("grades",), "cocurricular": ("honors", "groups"), "competencies": ("competencies",)}
"""Which queries feed which stream."""
DEFAULT_NAMES = {
    "grades": "LER_STDNT_ENRL_GRADES",
    "honors": "LER_HONORS_AWARDS",
    "groups": "LER_STUDENT_GROUPS",
    "competencies": "LER_JPM_COMPETENCIES",
}
PROMPT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class QueryConfig(BaseModel):
    """One PS Query: its name, owner, prompts, row cap, how it runs, and the columns it returns."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=30)
    """The PS Query name (Query Manager), e.g. `LER_STDNT_ENRL_GRADES`."""
    public: bool = True
    """A public query (OwnerType PUBLIC); false: PRIVATE, which only its owner (the `username`) can run."""
    prompts: dict[str, str | list[str]] = Field(default_factory=dict)
    """Prompt name (case-sensitive, as the query declares it) -> value; the term prompt takes a list of terms."""
    term_prompt: str = "STRM"
    """The prompt holding one term: the query runs once per term listed under it."""
    subject_prompt: str | None = None
    """A prompt the query compares with LIKE (sent as `%`), to split a term that reaches the row cap by
    subject; default `SUBJECT` for the grades query, none for the others."""
    max_rows: int = Field(default=50_000, ge=1, le=10_000_000)
    """MaxRow sent with each run; a result of exactly this many rows is treated as cut, and split."""
    execution: Literal["sync", "poll"] = "sync"
    """`sync` (QAS_EXECUTEQRYSYNC_OPER) or `poll` (queued to Process Scheduler, fetched block by block)."""
    block_size_kb: int = Field(default=1024, ge=1)
    poll_interval_seconds: float = Field(default=5.0, gt=0)
    poll_timeout_seconds: float = Field(default=900.0, gt=0)
    columns: dict[str, str] = Field(default_factory=dict)
    """Field of the record -> the query's unique field name (`EMPLID`, or `A.EMPLID` when ambiguous)."""

    @field_validator("prompts")
    @classmethod
    def _prompt_values(cls, prompts: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for key, value in prompts.items():
            if not PROMPT_NAME.match(key):
                raise ValueError(f"prompt name {key!r} is not a PeopleSoft unique prompt name (e.g. STRM, BIND1)")
            for item in value if isinstance(value, list) else [value]:
                if "," in item:
                    raise ValueError(
                        f"prompt {key} value {item!r} contains a comma; QAS splits prompt values on commas"
                    )
        return prompts

    def terms(self) -> list[str]:
        value = self.prompts.get(self.term_prompt)
        return [value] if isinstance(value, str) else list(value or [])

    def column_map(self, kind: str) -> dict[str, str]:
        unknown = set(self.columns) - set(KINDS[kind])
        if unknown:
            raise ValueError(
                f"columns {sorted(unknown)} are not fields of a {kind} query; known: {', '.join(KINDS[kind])}"
            )
        return {**KINDS[kind], **self.columns}


class Config(SoapConfig):
    """A PeopleSoft Integration Broker gateway and the PS Queries lerconnect runs on it."""

    base_url: str = Field(validation_alias=AliasChoices("gateway_url", "base_url"))
    """`gateway_url`: the web server's root, or any URL under its `/PSIGW/` (only the part before is kept)."""
    node: str = Field(default="PSFT_CS", pattern=r"^[A-Za-z0-9_]+$")
    """The gateway's default local node (PSFT_CS, PSFT_CSPRD, ...); part of every URL."""
    mode: Literal["qas_soap", "qas_rest"] = "qas_soap"
    """`qas_soap`: QAS SOAP with WS-Security; `qas_rest`: ExecuteQuery.v1 JSON with HTTP Basic."""
    queries: dict[str, QueryConfig] = Field(default_factory=dict)
    """Query kind (grades, honors, groups, competencies) -> its PS Query; a kind left out is not read."""
    recent_terms_days: int = Field(default=120, ge=0)
    """Incremental runs re-read open terms and terms that ended within this many days (grades change late)."""

    @field_validator("base_url", mode="before")
    @classmethod
    def _gateway_root(cls, value: object) -> object:
        if isinstance(value, str) and "/PSIGW" in value:
            return value[: value.index("/PSIGW")]
        return value

    @field_validator("queries")
    @classmethod
    def _known_kinds(cls, queries: dict[str, QueryConfig]) -> dict[str, QueryConfig]:
        unknown = set(queries) - set(KINDS)
        if unknown:
            raise ValueError(f"queries {sorted(unknown)} are not query kinds; use {', '.join(KINDS)}")
        for kind, query in queries.items():
            query.column_map(kind)
            if kind == "grades" and "subject_prompt" not in query.model_fields_set:
                query.subject_prompt = "SUBJECT"
        return queries

    @model_validator(mode="after")
    def _rest_is_sync(self) -> Config:
        polled = [k for k, q in self.queries.items() if q.execution == "poll"]
        if self.mode == "qas_rest" and polled:
            raise ValueError(
                f"queries {polled} say execution = 'poll', which lerconnect runs over QAS SOAP only: "
                "use mode = 'qas_soap' or execution = 'sync'"
            )
        return self

    @property
    def soap_endpoint(self) -> str:
        return f"{self.base_url}/PSIGW/PeopleSoftServiceListeningConnector/{self.node}"

    @property
    def rest_base(self) -> str:
        return f"{self.base_url}/PSIGW/RESTListeningConnector/{self.node}"
