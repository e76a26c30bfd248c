"""LER model → unsigned OB 3.0 `OpenBadgeCredential` and CLR 2.0 `ClrCredential` dicts.

Ids are uuid5 of issuer + key (+ content hash for credentials), so the same record always gives
the same credential and a changed record a new one. Everything that varies per run (`issued_at`,
status entry) is a parameter, so equal inputs give equal bytes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from connector_core.model import (
    Achievement,
    AchievementKind,
    Learner,
    LearningRecord,
    ResultScheme,
    ResultStatus,
)

from .errors import IssuerError
from .jsonld import CLR_V2, OB_V3, VC_V2

_NS = uuid.UUID("6c1d9a52-3f0e-5b7a-9f3c-6c65726e6e63")

ACHIEVEMENT_TYPES: Mapping[AchievementKind, str] = {
    AchievementKind.course: "Course",
    AchievementKind.competency: "Competency",
    AchievementKind.cocurricular: "CoCurricular",
    AchievementKind.training: "LearningProgram",
    AchievementKind.certification: "Certification",
    AchievementKind.employment: "ext:Employment",
    AchievementKind.degree: "Degree",
}

RESULT_STATUS: Mapping[ResultStatus, str] = {
    ResultStatus.completed: "Completed",
    ResultStatus.in_progress: "InProgress",
    ResultStatus.incomplete: "InProgress",
    ResultStatus.withdrawn: "Withdrew",
    ResultStatus.failed: "Failed",
}


@dataclass(frozen=True)
class IssuerProfile:
    """The issuing institution; `id` must be the DID that controls the signing key."""

    id: str
    name: str
    url: str | None = None
    email: str | None = None

    def as_json(self) -> dict:
        profile: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name}
        if self.url:
            profile["url"] = self.url
        if self.email:
            profile["email"] = self.email
        return profile


def _urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, chr(31).join(parts))}"


def achievement_id(issuer: IssuerProfile, key: str) -> str:
    return _urn(issuer.id, "achievement", key)


def _datetime(value: date | datetime) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise IssuerError(f"date-time {value} has no time zone; credentials need DateTimeZ")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{value.isoformat()}T00:00:00Z"


def _number(value: Decimal | float) -> float:
    return float(value)


IDENTIFIER_TYPES: Mapping[str, str] = {"email": "emailAddress", "institution_id": "sisSourcedId"}


@dataclass(frozen=True)
class RecipientPolicy:
    """What personal data a credential carries about its learner; one policy for OB and CLR alike.

    `identifiers` in order of preference: `did` (the subject `id`), `email` and `institution_id`
    (salted SHA-256 IdentityObjects). With `all_identifiers` every listed one the learner has is
    carried, else only the first. `show_name` adds the learner's name in clear (an unhashed `name`
    IdentityObject, and the CLR's title); off, no credential names the learner.
    """

    show_name: bool = False
    identifiers: tuple[str, ...] = ("did", "email", "institution_id")
    all_identifiers: bool = False

    def __post_init__(self) -> None:
        unknown = [i for i in self.identifiers if i != "did" and i not in IDENTIFIER_TYPES]
        if unknown or not self.identifiers:
            raise IssuerError(
                f"recipient identifiers {list(self.identifiers)} are not valid: list one or more of "
                f"did, {', '.join(IDENTIFIER_TYPES)}"
            )


def _hashed(kind: str, value: str, salt: str) -> dict:
    digest = hashlib.sha256((value + salt).encode("utf-8")).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": kind,
        "hashed": True,
        "salt": salt,
    }


def full_name(learner: Learner) -> str | None:
    return " ".join(p for p in (learner.given_name, learner.family_name) if p) or None


def recipient(
    learner: Learner, *, learner_did: str | None, salt_source: str, policy: RecipientPolicy | None = None
) -> dict:
    """The subject's recipient fields under the privacy policy: a DID as `id`, hashed identifiers
    (salt derived from the credential id, so output is deterministic), the name only when shown."""
    policy = policy or RecipientPolicy()
    salt = hashlib.sha256(salt_source.encode()).hexdigest()[:16]
    values = {
        "did": learner_did,
        "email": (learner.email or "").strip().lower(),
        "institution_id": learner.institution_id,
    }
    available = [kind for kind in policy.identifiers if values[kind]]
    if not available:
        raise IssuerError(
            f"learner {learner.source_id} has none of the recipient identifiers {list(policy.identifiers)}; "
            f"a credential needs one: add another type to [issuer.privacy].identifiers"
        )
    out: dict[str, Any] = {}
    identifiers = []
    for kind in available if policy.all_identifiers else available[:1]:
        if kind == "did":
            out["id"] = learner_did
        else:
            identifiers.append(_hashed(IDENTIFIER_TYPES[kind], values[kind], salt))
    name = full_name(learner) if policy.show_name else None
    if name:
        identifiers.append({"type": "IdentityObject", "identityHash": name, "identityType": "name", "hashed": False})
    if identifiers:
        out["identifier"] = identifiers
    return out


def _result_description(ach_id: str, scheme: ResultScheme) -> dict:
    desc: dict[str, Any] = {
        "id": _urn(ach_id, "result", scheme.name),
        "type": ["ResultDescription"],
        "name": scheme.name,
        "resultType": scheme.result_type,
    }
    if scheme.allowed_values:
        desc["allowedValue"] = list(scheme.allowed_values)
    if scheme.levels:
        desc["rubricCriterionLevel"] = [
            {
                "id": _urn(ach_id, "level", scheme.name, level.name),
                "type": ["RubricCriterionLevel"],
                "name": level.name,
                **({"description": level.description} if level.description else {}),
                **({"points": f"{level.points:g}"} if level.points is not None else {}),
            }
            for level in scheme.levels
        ]
        if scheme.required_level:
            desc["requiredLevel"] = _urn(ach_id, "level", scheme.name, scheme.required_level)
    return desc


def achievement_json(issuer: IssuerProfile, achievement: Achievement) -> dict:
    """OB `Achievement` for a model achievement (definition only, no learner data)."""
    ach_id = achievement_id(issuer, achievement.key)
    out: dict[str, Any] = {
        "id": ach_id,
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES[achievement.kind],
        "name": achievement.title,
        "description": achievement.description or achievement.title,
        "criteria": {"narrative": achievement.criteria or f"Completion of {achievement.title}."},
    }
    if achievement.code:
        out["humanCode"] = achievement.code
    if achievement.credits is not None:
        out["creditsAvailable"] = _number(achievement.credits)
    if achievement.alignments:
        out["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": a.target_name,
                "targetUrl": a.target_url,
                **{
                    k: v
                    for k, v in (
                        ("targetCode", a.target_code),
                        ("targetFramework", a.target_framework),
                        ("targetType", a.target_type),
                    )
                    if v
                },
            }
            for a in achievement.alignments
        ]
    if achievement.result_schemes:
        out["resultDescription"] = [_result_description(ach_id, s) for s in achievement.result_schemes]
    return out


def _result(ach_id: str, record: LearningRecord) -> dict:
    res = record.result
    schemes = record.achievement.result_schemes
    scheme = next((s for s in schemes if s.name == res.scheme), schemes[0] if schemes else None)
    out: dict[str, Any] = {"type": ["Result"], "status": RESULT_STATUS[res.status]}
    if scheme is not None:
        out["resultDescription"] = _urn(ach_id, "result", scheme.name)
        if res.level and scheme.levels:
            out["achievedLevel"] = _urn(ach_id, "level", scheme.name, res.level)
    value = res.grade if res.grade is not None else (f"{res.score:g}" if res.score is not None else res.level)
    if value is not None:
        out["value"] = value
    return out


def credential_id(issuer: IssuerProfile, record: LearningRecord, record_key: str | None = None) -> str:
    return _urn(issuer.id, "credential", record_key or record.source_record_id, record.content_hash())


def open_badge_credential(
    record: LearningRecord,
    issuer: IssuerProfile,
    *,
    issued_at: datetime,
    learner_did: str | None = None,
    record_key: str | None = None,
    credential_status: Mapping | None = None,
    policy: RecipientPolicy | None = None,
    learner: Learner | None = None,
) -> dict:
    """Unsigned OB 3.0 credential for one learning record.

    `learner` is the recipient as the issuer knows them across sources (the same person the CLR
    names), by default the record's own; the id still derives from the record alone."""
    ach = achievement_json(issuer, record.achievement)
    cred_id = credential_id(issuer, record, record_key)
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        **recipient(learner or record.learner, learner_did=learner_did, salt_source=cred_id, policy=policy),
        "achievement": ach,
        "result": [_result(ach["id"], record)],
    }
    if record.credits_earned is not None:
        subject["creditsEarned"] = _number(record.credits_earned)
    if record.term:
        subject["term"] = record.term.name
    if record.role:
        subject["role"] = record.role
    if record.started_on:
        subject["activityStartDate"] = _datetime(record.started_on)
    if record.completed_on:
        subject["activityEndDate"] = _datetime(record.completed_on)
    credential: dict[str, Any] = {
        "@context": [VC_V2, OB_V3],
        "id": cred_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer.as_json(),
        "validFrom": _datetime(issued_at),
        "name": record.achievement.title,
        "credentialSubject": subject,
    }
    if record.completed_on:
        credential["awardedDate"] = _datetime(record.completed_on)
    if record.evidence:
        credential["evidence"] = [
            {"type": ["Evidence"], **({"id": e} if "://" in e else {"narrative": e})} for e in record.evidence
        ]
    if credential_status is not None:
        credential["credentialStatus"] = dict(credential_status)
    return credential


def clr_credential_id(issuer: IssuerProfile, learner_key: str, credential_ids: Iterable[str]) -> str:
    """The CLR's id: the same learner with the same credentials always gets the same CLR."""
    return _urn(issuer.id, "clr", learner_key, *sorted(credential_ids))


def clr_credential(
    learner: Learner,
    signed: Sequence[Mapping],
    records: Iterable[LearningRecord],
    issuer: IssuerProfile,
    *,
    issued_at: datetime,
    learner_did: str | None = None,
    partial: bool | None = None,
    related: Iterable[Achievement] = (),
    policy: RecipientPolicy | None = None,
) -> dict:
    """Unsigned CLR 2.0 credential embedding a learner's signed credentials, with associations.

    Every association names achievements the CLR lists: the awarded ones, plus the definitions in
    `related` (e.g. the course an assessed competency is part of, not yet awarded); a link to an
    achievement the issuer has no definition of is left out.
    """
    if not signed:
        raise IssuerError(f"learner {learner.source_id} has no signed credentials to put in a CLR")
    achievements: dict[str, dict] = {}
    for cred in signed:
        ach = cred["credentialSubject"]["achievement"]
        achievements.setdefault(ach["id"], ach)
    definitions = {achievement_id(issuer, a.key): a for a in related}
    associations = []
    for record in records:
        source = achievement_id(issuer, record.achievement.key)
        for assoc in record.achievement.associations:
            target = achievement_id(issuer, assoc.target_key)
            if target not in achievements and target in definitions:
                achievements[target] = achievement_json(issuer, definitions[target])
            link = {
                "type": "Association",
                "associationType": assoc.association_type,
                "sourceId": source,
                "targetId": target,
            }
            if source in achievements and target in achievements and link not in associations:
                associations.append(link)
    clr_id = clr_credential_id(issuer, learner.source_id, [c["id"] for c in signed])
    subject: dict[str, Any] = {
        "type": ["ClrSubject"],
        **recipient(learner, learner_did=learner_did, salt_source=clr_id, policy=policy),
        "verifiableCredential": [dict(c) for c in signed],
        "achievement": list(achievements.values()),
    }
    if associations:
        subject["association"] = associations
    name = full_name(learner) if (policy or RecipientPolicy()).show_name else None
    credential: dict[str, Any] = {
        "@context": [VC_V2, CLR_V2, OB_V3],
        "id": clr_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": issuer.as_json(),
        "validFrom": _datetime(issued_at),
        "name": f"Comprehensive Learner Record: {name}" if name else "Comprehensive Learner Record",
        "credentialSubject": subject,
    }
    if partial is not None:
        credential["partial"] = partial
    return credential
