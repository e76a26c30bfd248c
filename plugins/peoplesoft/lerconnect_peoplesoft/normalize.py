"""PS Query rows into LER records; no I/O.

A raw record is one result row (the query's unique field names as keys) plus `_kind`, the query
it came from. Columns are looked up by the configured name, or by `<alias>.<NAME>` when the
result qualifies it (XMLP always does; JSON only where two records share a field name).

Grades (STDNT_ENRL):
  STDNT_ENRL_STATUS D with reason WDRW, or official grade W   -> withdrawn
  STDNT_ENRL_STATUS D otherwise (dropped), W (wait list)      -> Tombstone
  no CRSE_GRADE_OFF                                           -> in_progress, no grade: CRSE_GRADE_INPUT
                                                                 is the roster's preliminary entry and is
                                                                 never issued as a final grade
  I -> incomplete; F, NP, FN, U -> failed; any other official grade -> completed
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from connector_core import (
    Achievement,
    AchievementKind,
    Learner,
    LearningRecord,
    RecordError,
    Result,
    ResultScheme,
    ResultStatus,
    RubricLevel,
    Term,
    Tombstone,
)
from lerconnect_peoplesoft.config import KINDS, STREAM_QUERIES, Config

FAILED = {"F", "NP", "FN", "U", "NC"}
WITHDRAWN = {"W", "WD"}
MAX_TEXT = 254
RATINGS = {"1": "Beginner", "2": "Basic", "3": "Proficient", "4": "Advanced", "5": "Expert"}
MASTERY_RATING = 3

Raw = Mapping[str, Any]


class Columns:
    """The configured field -> column map of one query, and safe lookups in a row."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = dict(mapping)

    def find(self, row: Raw, field: str) -> Any:
        name = self.mapping[field]
        if name in row:
            return row[name]
        short = name.rsplit(".", 1)[-1]
        matches = [k for k in row if k == short or str(k).endswith("." + short)]
        return row[matches[0]] if len(matches) == 1 else None

    def text(self, row: Raw, field: str, *, required: bool = False) -> str | None:
        value = self.find(row, field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise RecordError(f"column {self.mapping[field]} ({field}) is empty", field=self.mapping[field])
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise RecordError(
                f"column {self.mapping[field]} ({field}) is {value!r}, not a text or number", field=self.mapping[field]
            )
        text = str(value).strip()
        if len(text) > MAX_TEXT or not text.isprintable():
            raise RecordError(
                f"column {self.mapping[field]} ({field}) is not a plain short text", field=self.mapping[field]
            )
        return text

    def day(self, row: Raw, field: str) -> date | None:
        text = self.text(row, field)
        if text is None:
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise RecordError(
                f"column {self.mapping[field]} ({field}) {text!r} is not a date (YYYY-MM-DD)", field=self.mapping[field]
            ) from None

    def number(self, row: Raw, field: str) -> Decimal | None:
        text = self.text(row, field)
        if text is None:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise RecordError(
                f"column {self.mapping[field]} ({field}) {text!r} is not a number", field=self.mapping[field]
            ) from None
        if not value.is_finite() or value < 0:
            raise RecordError(
                f"column {self.mapping[field]} ({field}) {text!r} is not a unit count", field=self.mapping[field]
            )
        return value


def kind_of(raw: Raw) -> str:
    kind = raw.get("_kind") if isinstance(raw, Mapping) else None
    if kind not in KINDS:
        raise RecordError(f"the raw record names no query kind (_kind = {kind!r})", field="_kind")
    return kind


class Normalizer:
    """Rows into LER records, with each query's column map from config."""

    def __init__(self, config: Config) -> None:
        self.columns = {kind: Columns(q.column_map(kind)) for kind, q in config.queries.items()}

    def cols(self, kind: str) -> Columns:
        return self.columns.get(kind) or Columns(KINDS[kind])

    def record_id(self, raw: Raw) -> str:
        kind = kind_of(raw)
        c = self.cols(kind)
        fields = {
            "grades": ("learner_id", "career", "institution", "term", "class_number"),
            "honors": ("learner_id", "institution", "award", "awarded_on"),
            "groups": ("learner_id", "institution", "group"),
            "competencies": ("learner_id", "profile", "content_type", "item"),
        }[kind]
        parts = [c.text(raw, f, required=True) for f in fields]
        return ":".join([kind, *(p or "" for p in parts)])

    def __call__(self, stream: str, raw: Raw) -> Iterator[LearningRecord | Tombstone]:
        kind = kind_of(raw)
        if kind not in STREAM_QUERIES.get(stream, ()):
            raise RecordError(f"a {kind} row does not belong to the {stream} stream", field="_kind")
        yield from getattr(self, kind)(raw)

    def learner(self, c: Columns, raw: Raw) -> Learner:
        emplid = c.text(raw, "learner_id", required=True)
        return Learner(
            source_id=emplid,
            institution_id=emplid,
            given_name=c.text(raw, "given_name"),
            family_name=c.text(raw, "family_name"),
            email=c.text(raw, "email"),
        )

    def grades(self, raw: Raw) -> Iterator[LearningRecord | Tombstone]:
        c = self.cols("grades")
        source_id = self.record_id(raw)
        status_code = (c.text(raw, "status", required=True) or "").upper()
        grade = c.text(raw, "grade")
        withdrawn = (grade or "").upper() in WITHDRAWN or (c.text(raw, "status_reason") or "").upper() == "WDRW"
        if status_code in ("D", "W") and not withdrawn:
            yield Tombstone(source_record_id=source_id)
            return
        if status_code not in ("E", "D"):
            raise RecordError(f"enrollment status {status_code!r} is not E, D or W", field=c.mapping["status"])
        if withdrawn:
            status, grade = ResultStatus.withdrawn, None
        elif grade is None:
            status = ResultStatus.in_progress  # the preliminary CRSE_GRADE_INPUT is never final
        else:
            status = ResultStatus.of_grade(grade, failing=FAILED)
        institution = c.text(raw, "institution", required=True)
        subject, number = c.text(raw, "subject", required=True), c.text(raw, "catalog_number", required=True)
        course_id = c.text(raw, "course_id") or f"{subject}-{number}"
        strm = c.text(raw, "term", required=True)
        record = LearningRecord.course(
            source_id=source_id,
            learner=self.learner(c, raw),
            course_key=f"peoplesoft:course:{institution}:{course_id}",
            title=c.text(raw, "title") or f"{subject} {number}",
            code=f"{subject} {number}",
            catalog_key=f"{subject} {number}".upper(),  # one achievement per catalog course, as Canvas keys it
            grade=grade,
            status=status,
            term=Term(
                code=strm,
                name=c.text(raw, "term_name") or strm,
                start=c.day(raw, "term_begin"),
                end=c.day(raw, "term_end"),
            ),
            section=f"{strm}.{c.text(raw, 'class_number', required=True)}",
            credits=c.number(raw, "units_taken"),
            started_on=c.day(raw, "term_begin"),
            completed_on=c.day(raw, "term_end")
            if status not in (ResultStatus.in_progress, ResultStatus.withdrawn)
            else None,
        )
        earned = c.number(raw, "units_earned")
        yield record.model_copy(update={"credits_earned": earned if status is ResultStatus.completed else None})

    def honors(self, raw: Raw) -> Iterator[LearningRecord]:
        c = self.cols("honors")
        institution, award = c.text(raw, "institution", required=True), c.text(raw, "award", required=True)
        awarded = c.day(raw, "awarded_on")
        if awarded is None:
            raise RecordError(f"column {c.mapping['awarded_on']} (awarded_on) is empty", field=c.mapping["awarded_on"])
        yield LearningRecord.cocurricular(
            source_id=self.record_id(raw),
            learner=self.learner(c, raw),
            activity_key=f"peoplesoft:honor:{institution}:{award}",
            activity=c.text(raw, "title") or award,
            catalog_key=f"{institution}:honor:{award}",
            completed_on=awarded,
            term=term_code(c.text(raw, "term")),
        )

    def groups(self, raw: Raw) -> Iterator[LearningRecord]:
        c = self.cols("groups")
        institution, group = c.text(raw, "institution", required=True), c.text(raw, "group", required=True)
        active = (c.text(raw, "status", required=True) or "").upper()
        if active not in ("A", "I"):
            raise RecordError(f"EFF_STATUS {active!r} is not A or I", field=c.mapping["status"])
        effective = c.day(raw, "effective")
        yield LearningRecord.cocurricular(
            source_id=self.record_id(raw),
            learner=self.learner(c, raw),
            activity_key=f"peoplesoft:group:{institution}:{group}",
            activity=c.text(raw, "title") or group,
            catalog_key=f"{institution}:group:{group}",
            started_on=c.day(raw, "started_on") or (effective if active == "A" else None),
            completed_on=effective if active == "I" else None,  # membership ended: participation complete
        )

    def competencies(self, raw: Raw) -> Iterator[LearningRecord]:
        c = self.cols("competencies")
        content_type, item = c.text(raw, "content_type", required=True), c.text(raw, "item", required=True)
        rating = c.text(raw, "rating")
        if rating is not None and rating not in RATINGS:
            raise RecordError(f"rating {rating!r} is not one of {', '.join(RATINGS)}", field=c.mapping["rating"])
        levels = (RubricLevel(name=name, points=float(k)) for k, name in RATINGS.items())
        scheme = ResultScheme.rubric("JPM proficiency", levels, MASTERY_RATING)
        title = c.text(raw, "title") or item
        mastered = rating is not None and int(rating) >= MASTERY_RATING
        yield LearningRecord(
            source_record_id=self.record_id(raw),
            learner=self.learner(c, raw),
            achievement=Achievement(
                key=f"peoplesoft:jpm:{content_type}:{item}",
                kind=AchievementKind.competency,
                catalog_key=f"jpm:{content_type}:{item}",
                title=title,
                code=item,
                result_schemes=(scheme,),
            ),
            result=Result(
                status=ResultStatus.completed if mastered else ResultStatus.in_progress,
                level=RATINGS.get(rating or ""),
                score=float(rating) if rating else None,
                mastered=mastered,
                scheme=scheme.name,
            ),
            completed_on=c.day(raw, "effective") if mastered else None,
        )


def term_code(code: str | None) -> Term | None:
    """A term known only by its code (rows without TERM_TBL data): the code is its name too."""
    return Term(code=code, name=code) if code else None
