"""What a `files` source is told: which files hold which stream, and which column means what."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connector_core import AchievementKind, IdText, SourceConfig


class Columns(BaseModel):
    """Column (CSV) or key (JSON Lines) names in the export, for each field lerconnect needs.

    Names are text; a header that is a number (`term = 2024`) is accepted as such.
    """

    model_config = ConfigDict(extra="forbid")

    record_id: IdText
    learner_id: IdText
    achievement_id: IdText
    title: IdText
    catalog_key: IdText | None = None
    """The achievement as the catalog knows it (course `MATH 101`, activity id): shared across terms and sources."""
    version: IdText | None = None
    role: IdText | None = None
    section: IdText | None = None
    institution_id: IdText | None = None
    email: IdText | None = None
    given_name: IdText | None = None
    family_name: IdText | None = None
    confidential: IdText | None = None
    description: IdText | None = None
    grade: IdText | None = None
    score: IdText | None = None
    status: IdText | None = None
    term: IdText | None = None
    credits: IdText | None = None
    started_on: IdText | None = None
    completed_on: IdText | None = None
    updated_at: IdText | None = None


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
