"""What a `files` source is told: which files hold which stream, and which column means what."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connector_core import AchievementKind, SourceConfig


class Columns(BaseModel):
    """Column (CSV) or key (JSON Lines) names in the export, for each field lerconnect needs."""

    model_config = ConfigDict(extra="forbid")

    record_id: str
    learner_id: str
    achievement_id: str
    title: str
    catalog_key: str | None = None
    """The achievement as the catalog knows it (course `MATH 101`, activity id): shared across terms and sources."""
    version: str | None = None
    role: str | None = None
    section: str | None = None
    institution_id: str | None = None
    email: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    confidential: str | None = None
    description: str | None = None
    grade: str | None = None
    score: str | None = None
    status: str | None = None
    term: str | None = None
    credits: str | None = None
    started_on: str | None = None
    completed_on: str | None = None
    updated_at: str | None = None


class TermEntry(BaseModel):
    """One academic term: the `term` column may hold its code or its name."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    start: date | None = None
    end: date | None = None


class FileSet(BaseModel):
    """One stream's files: a glob, the format, the achievement kind and the column mapping."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="glob of export files, relative to the config file's folder")
    format: Literal["auto", "csv", "jsonl"] = "auto"
    kind: AchievementKind = AchievementKind.cocurricular
    columns: Columns
    date_format: str = "%Y-%m-%d"
    encoding: str = "utf-8-sig"
    page_size: int = Field(default=500, ge=1)


class FilesConfig(SourceConfig):
    files: dict[str, FileSet] = Field(description="stream name → the files that hold it")
    email_verified: bool = Field(default=False, description="trust emails in these files for matching")
    terms: list[TermEntry] = Field(
        default_factory=list,
        description="the campus's terms, so a `term` column holding `Fall 2025` or `202530` gives one term",
    )
