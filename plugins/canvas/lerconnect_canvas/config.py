"""The `[sources.<name>]` table of a Canvas source (`plugin = "canvas"`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from connector_core import IdText, Regex
from connector_core.transport import RestConfig


class Cocurricular(BaseModel):
    """Which Canvas courses are co-curricular: Canvas has no such object, each campus has a convention."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    sub_account_ids: list[IdText] = Field(default_factory=list)
    """Canvas account ids (or `sis_account_id:X`); their sub-accounts are included."""
    course_code_pattern: Annotated[str, Regex()] | None = None
    """A regular expression searched in `course_code`, e.g. `^CC-`."""

    @property
    def configured(self) -> bool:
        return bool(self.sub_account_ids or self.course_code_pattern)


DEFAULT_CATALOG_PATTERN = r"^\s*(?P<subject>[A-Za-z]{2,6})[\s_.-]*(?P<number>\d{2,4}[A-Za-z]?)(?![A-Za-z0-9])"


class Catalog(BaseModel):
    """How a Canvas course (one per section and term) names its catalog course.

    Canvas has no catalog: the course code (`MATH 101`, `MATH-101-02`) or the SIS course id carries
    subject and number by campus convention. `pattern` finds them (named groups `subject` and
    `number`); a value it does not match is used whole (co-curricular codes such as `CC-ROBOTICS`).
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    field: Literal["course_code", "sis_course_id"] = "course_code"
    """Which course field carries the catalog course."""
    pattern: Annotated[str, Regex(named=("subject", "number"))] = DEFAULT_CATALOG_PATTERN
    """A regex with the named groups `subject` and `number`; a value it does not match is used whole."""
    institution: str | None = None
    """A prefix (`SU` gives `SU:MATH 101`) when one issuer signs for several institutions."""


class Config(RestConfig):
    """Canvas connection and selection settings; see the plugin README for each key.

    `base_url` is the instance root, e.g. `https://school.instructure.com` (not the `/api/v1` path);
    `verify_tls`, `timeout_seconds`, `max_concurrency` are the REST source's common keys.
    """

    token: SecretStr
    """A REST access token of an admin integration user (LTI tokens cannot read grades)."""
    account_id: IdText = "self"
    """The root account (`self` = the instance's root account); terms live only there."""
    terms: list[IdText] | None = None
    """SIS term ids or Canvas term ids (or `sis_term_id:X`); default: the current and previous term."""
    closed_term_window_days: int = Field(default=120, ge=0)
    """Nightly runs re-read terms that ended within this many days: grades change after term end."""
    per_page: int = Field(default=100, ge=1)
    """Page size asked of every list endpoint (Canvas caps it at 100)."""
    learner_id: Literal["sis_user_id", "login_id", "integration_id", "email"] = "sis_user_id"
    """Which Canvas user field is the learner id (needs SIS permission unless `email`)."""
    cocurricular: Cocurricular = Field(default_factory=Cocurricular)
    """Which courses are co-curricular (see below)."""
    catalog: Catalog = Field(default_factory=Catalog)
    """How a course maps to its catalog entry, so terms and sections share one achievement (see below)."""
    grade_source: Literal["final_grade", "current_grade", "override_grade"] = "final_grade"
    """Which enrollment grade becomes the result."""
    credits_pattern: Annotated[str, Regex(groups=1)] | None = None
    """Canvas has no credits field; a regex with one group finding them in the course name, e.g. `\\((\\d+) cr\\)`."""
    rate_limit_low_water: float | None = Field(default=None, ge=0)
    """Pause when `X-Rate-Limit-Remaining` drops below this; default 50 x (max_concurrency + 1)."""
    rate_limit_refill_per_second: float = Field(default=10.0, gt=0)
    """How fast the instance drains a token's bucket (Canvas default 10 units/s)."""

    @field_validator("base_url")
    @classmethod
    def _root_url(cls, value: str) -> str:
        if value.rstrip("/").endswith("/api/v1"):
            raise ValueError(f"base_url {value!r} must be the instance root: drop the trailing /api/v1")
        return value
