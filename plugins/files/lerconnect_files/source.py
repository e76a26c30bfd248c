"""The `files` source: CSV and JSON Lines exports, incremental by file fingerprint."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector_core import (
    Achievement,
    Learner,
    LearningRecord,
    Page,
    RecordError,
    Result,
    ResultStatus,
    SandboxServer,
    Source,
    Term,
    read,
)
from lerconnect_files.config import FilesConfig, FileSet
from lerconnect_files.reader import DuplicateIds, fingerprint, matching_files, read_rows, require_files

TRUE = {"1", "true", "yes", "y", "t"}


class FilesSource(Source):
    """Exports from systems without an API: engagement platforms, clinical-hours logs, spreadsheets.

    The cursor records the fingerprints of files fully read and the position inside the file being
    read, so a crash resumes mid-file and an unchanged file is never read twice.
    """

    name = "files"
    Config = FilesConfig
    streams = ("grades", "competencies", "cocurricular", "training", "employment", "records")
    config: FilesConfig

    def active_streams(self) -> tuple[str, ...]:
        return tuple(s for s in self.config.files if not self.config.streams or s in self.config.streams)

    def _fileset(self, stream: str) -> FileSet:
        try:
            return self.config.files[stream]
        except KeyError:
            raise RecordError(f"stream {stream!r} has no [files.{stream}] table in the config") from None

    def check(self) -> str:
        found = []
        for stream, fileset in self.config.files.items():
            files = require_files(matching_files(fileset.path, self.context.base_dir), fileset.path)
            found.append(f"{stream}: {len(files)} file(s)")
        return "; ".join(found)

    def partitions(self, stream: str) -> list[str] | None:
        """With `partition_by_file`, one partition per matching file (by its name)."""
        fileset = self._fileset(stream)
        if not fileset.partition_by_file:
            return None
        return [path.name for path in require_files(matching_files(fileset.path, self.context.base_dir), fileset.path)]

    def pull(self, stream: str, cursor: Any, partition: str | None = None) -> Iterator[Page]:
        fileset = self._fileset(stream)
        done: dict[str, str] = dict((cursor or {}).get("done", {}))
        current = (cursor or {}).get("current") or {}
        files = require_files(matching_files(fileset.path, self.context.base_dir), fileset.path)
        if partition is not None:
            files = [path for path in files if path.name == partition]
        ids = DuplicateIds(fileset.columns.record_id)
        for path in files:
            digest = fingerprint(path)
            if done.get(path.name) == digest:
                continue
            skip = current.get("row", 0) if current.get("fingerprint") == digest else 0
            batch: list[Mapping[str, Any]] = []
            row_number = 0
            for row_number, row in enumerate(read_rows(path, fileset.format, fileset.encoding, ids), start=1):
                if row_number <= skip:
                    continue
                batch.append(row)
                if len(batch) >= fileset.page_size:
                    yield Page(batch, {"done": dict(done), "current": {"fingerprint": digest, "row": row_number}})
                    batch = []
            done[path.name] = digest
            yield Page(batch, {"done": dict(done), "current": None})

    def term(self, text: str | None) -> Term | None:
        """The configured term whose code or name the column holds, else the text as code and name."""
        if text is None:
            return None
        known = next((t for t in self.config.terms if text in (t.code, t.name)), None)
        return known or Term(code=text, name=text)

    def flags_holds(self, stream: str) -> bool:
        """A stream whose files have a hold column is where holds come from."""
        return stream in self.config.files and self.config.files[stream].columns.confidential is not None

    def record_id(self, stream: str, raw: Mapping[str, Any]) -> str:
        column = self.config.files[stream].columns.record_id
        return str(raw.get(column) or f"{raw.get('_file')}:{raw.get('_line')}")

    def record_location(self, stream: str, raw: Mapping[str, Any]) -> str | None:
        return f"{raw['_file']}:{raw['_line']}" if "_file" in raw else None

    def normalize(self, stream: str, raw: Mapping[str, Any]) -> Iterator[LearningRecord]:
        if "_error" in raw:
            raise RecordError(raw["_error"], field=raw.get("_field", "(row)"))
        fileset = self._fileset(stream)
        cols = fileset.columns

        def value(name: str, *, required: bool = False) -> str | None:
            column = getattr(cols, name)
            text = raw.get(column) if column else None
            text = str(text).strip() if text is not None else None
            if required and not text:
                raise RecordError(f"column {column!r} is empty or missing", field=column)
            return text or None

        def day(name: str) -> date | None:
            text = value(name)
            if text is None:
                return None
            try:
                return datetime.strptime(text, fileset.date_format).date()
            except ValueError:
                raise RecordError(
                    f"{text!r} is not a date in the format {fileset.date_format}", field=getattr(cols, name)
                ) from None

        def number(name: str) -> Decimal | None:
            text = value(name)
            try:
                return Decimal(text) if text is not None else None
            except InvalidOperation:
                raise RecordError(f"{text!r} is not a number", field=getattr(cols, name)) from None

        status_text = (value("status") or "").lower().replace(" ", "_")
        completed_on = day("completed_on")
        try:
            status = (
                ResultStatus(status_text)
                if status_text
                else (ResultStatus.completed if completed_on else ResultStatus.in_progress)
            )
        except ValueError:
            allowed = ", ".join(s.value for s in ResultStatus)
            raise RecordError(f"{status_text!r} is not a status (one of {allowed})", field=cols.status) from None
        score = number("score")
        updated = value("updated_at")
        yield LearningRecord(
            source_record_id=value("record_id", required=True),
            learner=Learner(
                source_id=value("learner_id", required=True),
                institution_id=value("institution_id"),
                email=value("email"),
                email_verified=self.config.email_verified and bool(value("email")),
                given_name=value("given_name"),
                family_name=value("family_name"),
                confidential=(value("confidential") or "").lower() in TRUE,
            ),
            achievement=Achievement(
                key=f"{stream}:{value('achievement_id', required=True)}",
                kind=fileset.kind,
                catalog_key=value("catalog_key"),
                version=value("version"),
                title=value("title", required=True),
                description=value("description"),
                credits=number("credits"),
            ),
            result=Result(status=status, grade=value("grade"), score=float(score) if score is not None else None),
            term=self.term(value("term")),
            section=value("section"),
            role=value("role"),
            started_on=day("started_on"),
            completed_on=completed_on,
            credits_earned=number("credits") if status is ResultStatus.completed else None,
            source_updated_at=read.timestamp(updated, cols.updated_at or "updated_at"),
        )

    @classmethod
    def sandbox(cls, campus: Any, **options: Any) -> SandboxServer:
        from lerconnect_files.sandbox import write_engagement_export

        return SandboxServer(config=lambda base_url, workdir: write_engagement_export(campus, workdir))
