"""A credential in plain words: who issued it, to whom, what it says, and what each check found.

For the verification page (and the claim page's cards): it reads only what the credential itself
states, and says "not stated" rather than guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector_core.issuer import VerificationResult

KINDS = {
    "ClrCredential": "Comprehensive Learner Record",
    "OpenBadgeCredential": "Open Badge",
    "AchievementCredential": "Open Badge",
    "EndorsementCredential": "Endorsement",
    "BitstringStatusListCredential": "Status list",
}
IDENTITY_TYPES = {
    "emailAddress": "email address",
    "studentId": "student ID",
    "sourcedId": "institution ID",
    "identifier": "identifier",
    "name": "name",
}
CHECK_NAMES = {
    "proof": "Signature",
    "status": "Not revoked",
    "validity": "Dates",
    "schema": "Schema",
    "structure": "Structure",
    "verify": "Verification",
    "embedded": "Records inside",
}
PLAIN = {
    ("proof", True): "The signature is the issuer's and nothing was changed since it was signed.",
    ("proof", False): "The signature does not match: the credential was changed, or it was not signed by its issuer.",
    ("status", True): "The issuer has not revoked it.",
    ("status", False): "The issuer revoked it, or its revocation status could not be checked.",
    ("status", None): "Its revocation status was not checked.",
    ("validity", True): "It is within its validity dates.",
    ("validity", False): "It is outside its validity dates (not yet valid, or expired).",
    ("validity", None): "It states no validity dates.",
    ("schema", True): "It has the structure its standard requires.",
    ("schema", False): "It does not have the structure its standard requires.",
    ("schema", None): "Its structure was not checked against the standard's schema here.",
    ("embedded", True): "Every record inside it verifies too.",
    ("embedded", False): "At least one record inside it does not verify.",
}


@dataclass(frozen=True)
class CheckLine:
    label: str
    passed: bool | None
    plain: str
    detail: str


@dataclass
class Summary:
    """What a person reads first: the kind, the title, issuer, recipient, statements, inner records."""

    kind: str
    title: str
    issuer: str
    issuer_id: str | None
    recipient: str
    issued: str | None
    expires: str | None
    statements: list[tuple[str, str]] = field(default_factory=list)
    records: list[Summary] = field(default_factory=list)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):  # a language map or a value object
        return _text(value.get("@value") or next(iter(value.values()), None))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return None


def _types(document: Mapping) -> list[str]:
    kinds = document.get("type") or []
    return [kinds] if isinstance(kinds, str) else [k for k in kinds if isinstance(k, str)]


def _issuer(document: Mapping) -> tuple[str, str | None]:
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        return _text(issuer.get("name")) or _text(issuer.get("id")) or "not stated", _text(issuer.get("id"))
    return _text(issuer) or "not stated", _text(issuer)


def _recipient(subject: Mapping) -> str:
    name = _text(subject.get("name"))
    if name:
        return name
    identifiers = subject.get("identifier") or []
    for identifier in identifiers if isinstance(identifiers, list) else [identifiers]:
        if not isinstance(identifier, Mapping):
            continue
        what = IDENTITY_TYPES.get(
            str(identifier.get("identityType")), str(identifier.get("identityType", "identifier"))
        )
        if identifier.get("hashed"):
            return f"the person whose {what} it names (kept as a salted hash: ask the holder to show it matches)"
        value = _text(identifier.get("identityHash"))
        if value:
            return f"the person with {what} {value}"
    if _text(subject.get("id")):
        return f"the holder of {subject['id']}"
    return "not stated"


def _results(subject: Mapping) -> list[tuple[str, str]]:
    out = []
    results = subject.get("result") or []
    for result in results if isinstance(results, list) else [results]:
        if isinstance(result, Mapping):
            value = _text(result.get("value"))
            if value:
                out.append(("Result", value))
            status = _text(result.get("status"))
            if status:
                out.append(("Status", status))
    return out


def _statements(document: Mapping, subject: Mapping) -> list[tuple[str, str]]:
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), Mapping) else {}
    pairs: list[tuple[str, str | None]] = [
        ("Achievement", _text(achievement.get("name"))),
        ("Type", _text(achievement.get("achievementType"))),
        ("Code", _text(achievement.get("humanCode"))),
        ("Description", _text(achievement.get("description"))),
        *_results(subject),
        ("Credits earned", _text(subject.get("creditsEarned"))),
        ("Term", _text(subject.get("term"))),
        ("Role", _text(subject.get("role"))),
        ("Awarded", _text(document.get("awardedDate"))),
    ]
    return [(label, value) for label, value in pairs if value]


def summarize(document: Mapping) -> Summary:
    """The credential's own statements, in the order a reader looks for them."""
    kinds = _types(document)
    kind = next((KINDS[k] for k in kinds if k in KINDS), "Verifiable credential")
    subject = document.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    issuer, issuer_id = _issuer(document)
    summary = Summary(
        kind=kind,
        title=_text(document.get("name")) or kind,
        issuer=issuer,
        issuer_id=issuer_id,
        recipient=_recipient(subject),
        issued=_text(document.get("validFrom")) or _text(document.get("issuanceDate")),
        expires=_text(document.get("validUntil")) or _text(document.get("expirationDate")),
        statements=_statements(document, subject),
    )
    inner = subject.get("verifiableCredential") or []
    for embedded in inner if isinstance(inner, list) else [inner]:
        if isinstance(embedded, Mapping):
            summary.records.append(summarize(embedded))
    return summary


def check_lines(result: VerificationResult) -> list[CheckLine]:
    """Each check in plain words, with the technical message beside it; embedded records as one line."""
    lines = [
        CheckLine(
            CHECK_NAMES.get(c.name, c.name.title()),
            c.passed,
            PLAIN.get((c.name, c.passed), {True: "Passed.", False: "Failed.", None: "Not checked."}[c.passed]),
            c.message,
        )
        for c in result.checks
    ]
    if result.embedded:
        failed = [f for e in result.embedded for f in e.failures()]
        passed = not failed
        detail = "; ".join(failed[:5]) if failed else f"{len(result.embedded)} records inside verified"
        lines.append(CheckLine(CHECK_NAMES["embedded"], passed, PLAIN[("embedded", passed)], detail))
    return lines
