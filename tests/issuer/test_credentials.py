"""Produced OB 3.0 and CLR 2.0 credentials validate against the official JSON Schemas and verify."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from issuer_standards import load_json
from jsonschema import Draft201909Validator

from connector_core.issuer import SigningKey, sign_many, verify_credential
from connector_core.issuer.credentials import IssuerProfile, clr_credential, open_badge_credential
from connector_core.model import (
    Achievement,
    AchievementKind,
    Alignment,
    Association,
    Learner,
    LearningRecord,
    Result,
    ResultScheme,
    RubricLevel,
)

KEY = SigningKey.from_seed(bytes(range(32)))
ISSUER = IssuerProfile(
    id=KEY.did_key, name="Example University", url="https://example.edu", email="registrar@example.edu"
)
WHEN = datetime(2024, 6, 1, tzinfo=UTC)
LEARNER = Learner(source_id="S1", given_name="Ada", family_name="Lovelace", email="Ada@Example.edu")


def records():
    course = LearningRecord.course(
        source_id="enr-1",
        learner=LEARNER,
        course_key="CS101",
        title="Intro to CS",
        grade="A",
        term="Fall 2024",
        credits=Decimal("3"),
        code="CS 101",
        completed_on=date(2024, 12, 15),
    )
    scale = ResultScheme(
        name="Mastery",
        result_type="RubricCriterionLevel",
        levels=(RubricLevel(name="Exceeds", points=4), RubricLevel(name="Meets", points=3)),
        required_level="Meets",
    )
    competency = LearningRecord(
        source_record_id="out-1",
        learner=LEARNER,
        achievement=Achievement(
            key="CS101-o1",
            kind=AchievementKind.competency,
            title="Recursion",
            result_schemes=(scale,),
            alignments=(
                Alignment(
                    target_name="Recursion",
                    target_url="https://case.example/1",
                    target_type="CFItem",
                    target_code="R1",
                ),
            ),
            associations=(Association(target_key="CS101"),),
        ),
        result=Result(level="Exceeds", scheme="Mastery"),
    )
    club = LearningRecord.cocurricular(
        source_id="ev-1",
        learner=LEARNER,
        activity_key="chess",
        activity="Chess Club",
        completed_on=date(2024, 5, 1),
    )
    return [course, competency, club]


def schema(*parts):
    return Draft201909Validator(load_json("schemas", *parts))


def assert_valid(validator, doc):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert not errors, errors


def test_open_badge_credentials_validate_and_verify():
    validator = schema("ob-v3p0", "ob_v3p0_achievementcredential_schema.json")
    signed = sign_many([open_badge_credential(r, ISSUER, issued_at=WHEN) for r in records()], KEY, created=WHEN)
    for cred in signed:
        assert_valid(validator, cred)
        assert verify_credential(cred, now=WHEN).verified
    ident = signed[0]["credentialSubject"]["identifier"][0]
    assert ident["hashed"] is True and ident["identityHash"].startswith("sha256$") and ident["salt"]
    assert [c["credentialSubject"]["achievement"]["achievementType"] for c in signed] == [
        "Course",
        "Competency",
        "CoCurricular",
    ]


def test_same_record_same_bytes_changed_record_new_id():
    a = open_badge_credential(records()[0], ISSUER, issued_at=WHEN)
    assert a == open_badge_credential(records()[0], ISSUER, issued_at=WHEN)
    changed = records()[0].model_copy(update={"result": Result(grade="B", scheme="Letter grade")})
    assert open_badge_credential(changed, ISSUER, issued_at=WHEN)["id"] != a["id"]
    with_did = open_badge_credential(records()[0], ISSUER, issued_at=WHEN, learner_did="did:example:ada")
    assert with_did["credentialSubject"]["id"] == "did:example:ada"


def test_clr_validates_verifies_and_states_associations():
    recs = records()
    signed = sign_many([open_badge_credential(r, ISSUER, issued_at=WHEN) for r in recs], KEY, created=WHEN)
    clr = clr_credential(LEARNER, signed, recs, ISSUER, issued_at=WHEN)
    (signed_clr,) = sign_many([clr], KEY, created=WHEN)
    assert_valid(schema("clr-v2p0", "clr_v2p0_clrcredential_schema.json"), signed_clr)
    result = verify_credential(signed_clr, now=WHEN)
    assert result.verified and len(result.embedded) == 3
    (assoc,) = signed_clr["credentialSubject"]["association"]
    course_id = signed[0]["credentialSubject"]["achievement"]["id"]
    assert assoc["associationType"] == "isPartOf" and assoc["targetId"] == course_id


def test_learner_without_recipient_is_refused():
    from connector_core.issuer import IssuerError

    nobody = records()[0].model_copy(update={"learner": Learner(source_id="S2")})
    with pytest.raises(IssuerError, match="S2"):
        open_badge_credential(nobody, ISSUER, issued_at=WHEN)
