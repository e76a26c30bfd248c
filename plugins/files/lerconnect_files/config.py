"""What a `files` source is told: which files hold which stream, and which column means what."""

from __future__ import annotations

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
