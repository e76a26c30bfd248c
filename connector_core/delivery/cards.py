"""Credentials as a learner reads them: one card per credential, the CLR as a transcript by term.

Everything shown comes from the signed documents themselves, so the page says exactly what a
verifier will see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KIND_LABELS = {
    "Course": "Course",
    "Competency": "Competency",
    "CoCurricular": "Co-curricular",
    "LearningProgram": "Training",
    "Certification": "Certification",
    "ext:Employment": "Employment",
    "Degree": "Degree",
}


@dataclass(frozen=True)
class Card:
    """One credential's readable face."""

    id: str
    kind: str
    title: str
    description: str | None
    issuer: str
    grade: str | None
    status: str | None
    term: str | None
    credits: str | None
    role: str | None
    dates: str | None
    competencies: tuple[str, ...]


@dataclass
class TranscriptTerm:
    name: str
    rows: list[Card] = field(default_factory=list)


def _day(value: Any) -> str | None:
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def _number(value: Any) -> str | None:
    return f"{value:g}" if isinstance(value, int | float) else None


def _issuer(document: Mapping[str, Any]) -> str:
    issuer = document.get("issuer")
    return str(issuer.get("name") or issuer.get("id")) if isinstance(issuer, Mapping) else str(issuer)


def card(document: Mapping[str, Any]) -> Card:
    """The card of an OB 3.0 credential (an AchievementSubject with its Achievement and Result)."""
    subject = document.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    results = subject.get("result") or []
    first = results[0] if results and isinstance(results[0], Mapping) else {}
    start, end = _day(subject.get("activityStartDate")), _day(subject.get("activityEndDate"))
    dates = f"{start} – {end}" if start and end and start != end else end or start
    alignments = achievement.get("alignment") or []
    return Card(
        id=str(document.get("id")),
        kind=KIND_LABELS.get(str(achievement.get("achievementType")), str(achievement.get("achievementType") or "")),
        title=str(document.get("name") or achievement.get("name") or "Credential"),
        description=achievement.get("description")
        if achievement.get("description") != achievement.get("name")
        else None,
        issuer=_issuer(document),
        grade=first.get("value"),
        status=first.get("status"),
        term=subject.get("term"),
        credits=_number(subject.get("creditsEarned")),
        role=subject.get("role"),
        dates=dates,
        competencies=tuple(str(a["targetName"]) for a in alignments if isinstance(a, Mapping) and a.get("targetName")),
    )


def transcript(clr: Mapping[str, Any]) -> list[TranscriptTerm]:
    """The CLR's embedded credentials by term (terms in order of first appearance, undated last)."""
    subject = clr.get("credentialSubject") or {}
    terms: dict[str, TranscriptTerm] = {}
    for embedded in subject.get("verifiableCredential") or []:
        if not isinstance(embedded, Mapping):
            continue
        row = card(embedded)
        name = row.term or "Other records"
        terms.setdefault(name, TranscriptTerm(name)).rows.append(row)
    return sorted(terms.values(), key=lambda t: t.name == "Other records")


def total_credits(terms: list[TranscriptTerm]) -> str:
    total = sum(float(r.credits) for t in terms for r in t.rows if r.credits)
    return f"{total:g}"
