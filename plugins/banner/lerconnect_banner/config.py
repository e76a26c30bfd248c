"""The `[sources.<name>]` table of a Banner source (`plugin = "banner"`)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from connector_core.transport import RestConfig

US_REGION = "https://integrate.elluciancloud.com"
DEFAULT_VERSIONS = {
    "persons": "12",
    "academic-periods": "16",
    "subjects": "6",
    "courses": "16",
    "sections": "16",
    "section-registrations": "16",
    "student-transcript-grades": "1",
    "student-unverified-grades": "1",
    "grade-definitions": "6",
    "campus-organizations": "7",
    "campus-involvement-roles": "7",
    "campus-involvements": "7",
    "student-cohorts": "7",
    "student-cohort-assignments": "1",
    "general-student-activities": "1.0.0",
    "activity-types": "1.0.0",
}
"""EEDM major versions asked for by default (Ethos resolves a major to its newest minor); the
Banner Business Process APIs (code-based, keyed by Banner ID) exist in v1.0.0 only."""
VERSION = re.compile(r"^\d+(\.\d+){0,2}$")


class Config(RestConfig):
    """Ethos Integration (default) or Banner 9 REST settings; see the plugin README for each key."""

    mode: Literal["ethos", "banner9"] = "ethos"
    ethos_url: str = US_REGION
    """The Ethos region: `.com` (US), `.ca`, `.ie` (EU) or `.com.au` (APAC)."""
    api_key: SecretStr | None = None
    """The Ethos application's API key (ethos mode): its subscriptions decide what it may read."""
    base_url: str | None = None  # type: ignore[assignment]
    """Banner 9 mode only: the Banner host, e.g. `https://banner.example.edu` (StudentApi / IntegrationApi)."""
    resource_versions: dict[str, str] = Field(default_factory=dict)
    """Pin EEDM versions per resource, e.g. `sections = "16.1.0"`; default the majors this plugin reads."""
    initial_terms: list[str] | None = None
    """Banner term codes (e.g. `202510`) the first sync reads; default every term."""
    cocurricular: Literal["campus-involvements", "student-cohort-assignments", "activities"] = "campus-involvements"
    """Where co-curricular records come from: EEDM campus involvements, cohort assignments, or the
    Banner BP API `general-student-activities` (SGRSACT, read per Banner ID)."""
    unverified_grades: bool = False
    """Also read faculty-entered (unverified) grades: stored flagged, in progress, never issued as final."""
    page_size: int = Field(default=500, ge=1)
    """Rows asked per page; the tenant's `x-max-page-size` caps it."""
    consume_limit: int = Field(default=1000, ge=1, le=1000)
    """Change notifications asked per `/consume` call (Ethos allows 1..1000, at most 1 MB)."""
    token_minutes: int = Field(default=5, ge=1, le=120)
    """How long an Ethos token is asked to live (`expirationMinutes`)."""
    recent_terms: int = Field(default=1, ge=0)
    """Banner 9 mode: how many of the latest ended terms a nightly run re-reads besides the running
    ones (grade changes and the grade roll land there); older terms wait for the full pass."""
    full_pass_days: int = Field(default=7, ge=1)
    """Banner 9 mode: a full pass (every term, withdrawing what Banner no longer has) this often."""

    @field_validator("base_url", "ethos_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.rstrip("/")
        if not re.match(r"^https?://[^/]+", value):
            raise ValueError(f"{value!r} must start with https://, e.g. {US_REGION}")
        return value

    @field_validator("resource_versions")
    @classmethod
    def _versions(cls, value: dict[str, str]) -> dict[str, str]:
        for resource, version in value.items():
            version = version.removeprefix("v")
            if not VERSION.match(version):
                raise ValueError(f'resource_versions.{resource} = {version!r}: write a version like "16" or "16.1.0"')
            value[resource] = version
        return value

    @model_validator(mode="after")
    def _mode_keys(self) -> Config:
        if self.mode == "ethos":
            if self.api_key is None:
                raise ValueError("mode = 'ethos' needs api_key: the Ethos application's API key")
            self.base_url = self.ethos_url
        else:
            missing = [k for k in ("base_url", "username", "password") if getattr(self, k) in (None, "")]
            if missing:
                raise ValueError(f"mode = 'banner9' needs {', '.join(missing)} (the Banner API user, HTTP Basic)")
        if self.streams and "competencies" in self.streams:
            raise ValueError(
                "streams lists 'competencies', but Banner holds no competency data: its streams are "
                "grades and cocurricular (take mastery from Canvas)"
            )
        return self

    def version(self, resource: str) -> str:
        return self.resource_versions.get(resource, DEFAULT_VERSIONS[resource])
