"""What a `files` source is told: which files hold which stream, and which column means what."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connector_core import AchievementKind, IdText, SourceConfig, Term


class Columns(BaseModel):
    """Column (CSV) or key (JSON Lines) names in the export, for each field lerconnect needs.

    Names are text; a header that is a number (`term = 2024`) is accepted as such.
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    record_id: IdText
    """Column with the row's own id at the source (unique per stream)."""
    learner_id: IdText
    """Column with the learner's id in this source."""
    achievement_id: IdText
    """Column with the activity, course or competency id."""
    title: IdText
    """Column with the achievement's title."""
    catalog_key: IdText | None = None
    """Column with the catalog key (course `MATH 101`, activity id): one achievement across terms and sources."""
    version: IdText | None = None
    """Column with the catalog version (an effective date or term): a new version is a new achievement."""
    role: IdText | None = None
    """Column with the learner's role (member, officer, ...)."""
    section: IdText | None = None
    """Column with the section (one credential per course and term, whatever the section)."""
    institution_id: IdText | None = None
    """Column with the campus-wide student id (matches learners across sources)."""
    email: IdText | None = None
    """Column with the learner's email."""
    given_name: IdText | None = None
    """Column with the learner's given name."""
    family_name: IdText | None = None
    """Column with the learner's family name."""
    confidential: IdText | None = None
    """Column with FERPA hold flag (1/true/yes/y/t means held)."""
    description: IdText | None = None
    """Column with the achievement's description."""
    grade: IdText | None = None
    """Column with the grade or level achieved."""
    score: IdText | None = None
    """Column with a numeric score."""
    status: IdText | None = None
    """Column with result status (completed, in_progress, ...); default: completed when a completion date is set."""
    term: IdText | None = None
    """Column with the term, as the source names it."""
    credits: IdText | None = None
    """Column with credits of the achievement."""
    started_on: IdText | None = None
    """Column with start date."""
    completed_on: IdText | None = None
    """Column with completion date."""
    updated_at: IdText | None = None
    """Column with when the source last changed the row (ISO 8601)."""


class FileSet(BaseModel):
    """One stream's files: a glob, the format, the achievement kind and the column mapping."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    path: str = Field(description="glob of export files, relative to the config file's folder")
    format: Literal["auto", "csv", "jsonl"] = "auto"
    """File format; `auto` goes by the extension (.jsonl/.ndjson, else CSV)."""
    kind: AchievementKind = AchievementKind.cocurricular
    """What kind of achievement the rows are."""
    columns: Columns
    """Which column holds each field (see `columns.*`)."""
    date_format: str = "%Y-%m-%d"
    """strptime format of the date columns."""
    encoding: str = "utf-8-sig"
    """Text encoding of the files."""
    page_size: int = Field(default=500, ge=1)
    """Rows per committed page: a crash resumes after the last page."""
    partition_by_file: bool = False
    """Each file its own partition, synced in parallel (`[engine].processes` or Celery workers); a
    record id repeated in two files is then not caught, so only for exports whose files never overlap."""


class FilesConfig(SourceConfig):
    files: dict[str, FileSet] = Field(description="stream name → the files that hold it")
    email_verified: bool = Field(default=False, description="trust emails in these files for matching")
    terms: list[Term] = Field(
        default_factory=list,
        description="the campus's terms, so a `term` column holding `Fall 2025` or `202530` gives one term",
    )
