"""Documents kept compressed: a JSON column type that stores zlib-packed bytes.

A signed credential or a stored record is a few kilobytes of JSON that repeats the same keys,
context URLs and type names row after row; a CLR repeats every credential it embeds. Packed with
zlib against a preset dictionary of those common strings, a document takes a third to a seventh of
its JSON text, and the store stays in proportion to what it holds. Reading gives back the very
same JSON value (key order kept), so nothing above the store knows.

The first byte names the format: a dictionary, once used, never changes; a better one gets a new
format byte and old rows stay readable.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

# Strings every credential and record repeats, most frequent last (zlib reaches back from the end).
_DICTIONARY_V1 = json.dumps(
    [
        {
            "source_record_id": "",
            "learner": {
                "source_id": "",
                "institution_id": "",
                "given_name": "",
                "family_name": "",
                "email": "@students.example.edu",
                "email_verified": False,
                "confidential": False,
            },
            "achievement": {
                "key": "",
                "kind": "course",
                "catalog_key": None,
                "version": None,
                "title": "",
                "description": None,
                "code": None,
                "criteria": None,
                "credits": "3",
                "result_schemes": [
                    {
                        "name": "Letter grade",
                        "result_type": "LetterGrade",
                        "allowed_values": [],
                        "levels": [],
                        "required_level": None,
                        "mastery_points": None,
                    }
                ],
                "alignments": [],
                "associations": [],
            },
            "result": {
                "status": "completed",
                "grade": "",
                "score": None,
                "level": None,
                "mastered": None,
                "scheme": "Letter grade",
            },
            "term": {"code": "", "name": "", "start": "", "end": ""},
            "section": None,
            "role": None,
            "started_on": None,
            "completed_on": None,
            "credits_earned": None,
            "evidence": [],
            "source_updated_at": None,
        },
        {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
            ],
            "id": "urn:uuid:",
            "type": ["VerifiableCredential", "ClrCredential", "OpenBadgeCredential", "AchievementCredential"],
            "issuer": {"id": "did:key:z6Mk", "type": ["Profile"], "name": "", "url": "https://", "email": ""},
            "validFrom": "T00:00:00Z",
            "name": "Comprehensive Learner Record: ",
            "credentialSubject": {
                "type": ["ClrSubject", "AchievementSubject"],
                "identifier": [
                    {
                        "type": "IdentityObject",
                        "identityHash": "sha256$",
                        "identityType": "emailAddress",
                        "hashed": True,
                        "salt": "",
                    }
                ],
                "verifiableCredential": [],
                "association": [{"type": "Association", "associationType": "isPartOf", "sourceId": "", "targetId": ""}],
                "achievement": {
                    "id": "urn:uuid:",
                    "type": ["Achievement"],
                    "achievementType": "Course",
                    "name": "",
                    "description": "",
                    "criteria": {"narrative": "Completion of "},
                    "humanCode": "",
                    "creditsAvailable": 3.0,
                    "alignment": [{"type": ["Alignment"], "targetName": "", "targetUrl": "", "targetType": "CFItem"}],
                    "resultDescription": [
                        {
                            "id": "urn:uuid:",
                            "type": ["ResultDescription"],
                            "name": "Letter grade",
                            "resultType": "LetterGrade",
                        }
                    ],
                },
                "result": [
                    {
                        "id": "urn:uuid:",
                        "type": ["Result"],
                        "status": "Completed",
                        "resultDescription": "urn:uuid:",
                        "value": "",
                    }
                ],
                "creditsEarned": 3.0,
                "term": "",
                "activityStartDate": "T00:00:00Z",
                "activityEndDate": "T00:00:00Z",
            },
            "credentialSchema": [
                {
                    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                    "type": "1EdTechJsonSchemaValidator2019",
                }
            ],
            "awardedDate": "T00:00:00Z",
            "credentialStatus": {
                "id": "/status/1#",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "",
                "statusListCredential": "/status/1",
            },
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "created": "T00:00:00Z",
                "verificationMethod": "did:key:z6Mk#z6Mk",
                "proofPurpose": "assertionMethod",
                "proofValue": "z",
            },
        },
    ],
    separators=(",", ":"),
).encode()

# Rows packed with it must stay readable: the dictionary's bytes may never change (add a _V2 instead).
_DICTIONARY_V1_SHA256 = "eedcfbe488f5b4ab38cf0de5e456d98430aaf793a6ff9d044064b0bb7c0392c0"
if hashlib.sha256(_DICTIONARY_V1).hexdigest() != _DICTIONARY_V1_SHA256:
    raise RuntimeError("the format-1 packing dictionary changed: stored documents would no longer unpack")
_V1 = b"\x01"
_LEVEL = 6  # past 6 zlib buys a percent or two for twice the time


def pack(value: Any) -> bytes:
    """The JSON text of `value` (compact, key order kept), zlib-compressed against the dictionary."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    packer = zlib.compressobj(_LEVEL, zdict=_DICTIONARY_V1)
    return _V1 + packer.compress(text) + packer.flush()


def unpack(blob: bytes) -> Any:
    """The JSON value `pack` stored."""
    if blob[:1] != _V1:
        raise ValueError(f"not a packed document (format byte {blob[:1]!r}): was this column written by lerconnect?")
    return json.loads(zlib.decompressobj(zdict=_DICTIONARY_V1).decompress(blob[1:]))


class PackedJSON(TypeDecorator):
    """A JSON value stored as `pack`ed bytes (BLOB on SQLite, BYTEA on PostgreSQL)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        return None if value is None else pack(value)

    def process_result_value(self, value: bytes | None, dialect: Any) -> Any:
        return None if value is None else unpack(bytes(value))
