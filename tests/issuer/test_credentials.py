"""Produced OB 3.0 and CLR 2.0 credentials validate against the official JSON Schemas and verify."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from issuer_standards import load_json
from jsonschema import Draft201909Validator

from connector_core.issuer import IssuerError, SigningKey, sign_many, verify_credential
from connector_core.issuer.credentials import IssuerProfile, RecipientPolicy, clr_credential, open_badge_credential
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
    Term,
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
    nobody = records()[0].model_copy(update={"learner": Learner(source_id="S2")})
    with pytest.raises(IssuerError, match="S2"):
        open_badge_credential(nobody, ISSUER, issued_at=WHEN)


def test_clr_associations_name_only_achievements_the_clr_lists():
    """A competency assessed in a course not (yet) awarded: the link keeps the course's definition in
    the CLR when the issuer has it, and is left out when it has none; never a dangling targetId."""
    course, competency, club = records()
    signed = sign_many(
        [open_badge_credential(r, ISSUER, issued_at=WHEN) for r in (competency, club)], KEY, created=WHEN
    )
    bare = clr_credential(LEARNER, signed, [competency, club], ISSUER, issued_at=WHEN)
    assert "association" not in bare["credentialSubject"]
    clr = clr_credential(LEARNER, signed, [competency, club], ISSUER, issued_at=WHEN, related=[course.achievement])
    subject = clr["credentialSubject"]
    listed = {a["id"] for a in subject["achievement"]}
    (assoc,) = subject["association"]
    assert {assoc["sourceId"], assoc["targetId"]} <= listed
    assert len(subject["verifiableCredential"]) == 2  # the course is described, not awarded
    (signed_clr,) = sign_many([clr], KEY, created=WHEN)
    assert_valid(schema("clr-v2p0", "clr_v2p0_clrcredential_schema.json"), signed_clr)
    assert verify_credential(signed_clr, now=WHEN).verified


def test_credentials_show_the_term_name_and_the_role():
    course = records()[0].model_copy(
        update={"term": Term(code="202430", name="Fall 2024", start=date(2024, 8, 26)), "role": "Teaching Assistant"}
    )
    subject = open_badge_credential(course, ISSUER, issued_at=WHEN)["credentialSubject"]
    assert (subject["term"], subject["role"]) == ("Fall 2024", "Teaching Assistant")


def _identity_types(subject):
    return [i["identityType"] for i in subject.get("identifier", [])]


def test_privacy_policy_applies_the_same_to_open_badges_and_clr():
    recs = records()
    hidden = RecipientPolicy()
    signed = sign_many(
        [open_badge_credential(r, ISSUER, issued_at=WHEN, policy=hidden) for r in recs], KEY, created=WHEN
    )
    clr = clr_credential(LEARNER, signed, recs, ISSUER, issued_at=WHEN, policy=hidden)
    assert "Ada" not in str(clr) and "Lovelace" not in str(clr)  # by default no credential names the learner
    assert clr["name"] == "Comprehensive Learner Record"
    assert {tuple(_identity_types(c["credentialSubject"])) for c in [*signed, clr]} == {("emailAddress",)}

    shown = RecipientPolicy(show_name=True, identifiers=("institution_id", "email"), all_identifiers=True)
    learner = LEARNER.model_copy(update={"institution_id": "A100"})
    recs = [r.model_copy(update={"learner": learner}) for r in recs]
    signed = sign_many(
        [open_badge_credential(r, ISSUER, issued_at=WHEN, policy=shown) for r in recs], KEY, created=WHEN
    )
    clr = clr_credential(learner, signed, recs, ISSUER, issued_at=WHEN, policy=shown)
    assert clr["name"] == "Comprehensive Learner Record: Ada Lovelace"
    for subject in [c["credentialSubject"] for c in [*signed, clr]]:
        assert _identity_types(subject) == ["sisSourcedId", "emailAddress", "name"]
        name = subject["identifier"][-1]
        assert (name["hashed"], name["identityHash"]) == (False, "Ada Lovelace")
    (signed_clr,) = sign_many([clr], KEY, created=WHEN)
    assert_valid(schema("clr-v2p0", "clr_v2p0_clrcredential_schema.json"), signed_clr)
    assert_valid(schema("ob-v3p0", "ob_v3p0_achievementcredential_schema.json"), signed[0])

    only_id = RecipientPolicy(identifiers=("institution_id",))
    with pytest.raises(IssuerError, match=r"S1 has none of the recipient identifiers \['institution_id'\]"):
        open_badge_credential(records()[0], ISSUER, issued_at=WHEN, policy=only_id)
