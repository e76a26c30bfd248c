"""The fast canonicalizer must agree byte for byte with the plain pyld reference path."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from issuer_standards import standards_path

from connector_core.issuer import CanonicalizationLimitError, CanonLimits, canonicalize_reference
from connector_core.issuer.fastpath import Canonicalizer, rdfc10
from connector_core.issuer.jsonld import canonicalize_dataset
from connector_core.issuer.jsonnumbers import MAX_SAFE_INTEGER, interop_safe

VC2 = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
UNLIMITED = CanonLimits(max_work_factor=float("inf"), max_permutations=10**9)


def all_standard_documents():
    root = standards_path()
    for path in sorted((root / "examples").rglob("*.json")) + sorted((root / "vectors").rglob("*.json")):
        if path.name not in {"keypair.json", "keyPair.json", "expected.json", "proof-options.json"}:
            yield path


def test_every_example_and_vector_takes_fast_path_and_matches(loader):
    canon = Canonicalizer(loader)
    for path in all_standard_documents():
        doc = json.loads(path.read_text())
        assert canon.canonicalize(doc) == canonicalize_reference(doc, loader), path
    assert canon.fallbacks == 0


def test_unsupported_json_ld_falls_back_to_reference(loader):
    canon = Canonicalizer(loader)
    doc = {
        "@context": [VC2],
        "id": "urn:x:1",
        "type": ["VerifiableCredential"],
        "name": {"@value": "Teamwork", "@language": "en"},
        "issuer": "did:example:1",
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:2"},
    }
    assert canon.canonicalize(doc) == canonicalize_reference(doc, loader)
    assert canon.fallbacks == 1


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
# numbers the issuer signs at all (others are refused on both paths alike: test_numbers.py)
numbers = st.one_of(
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    st.floats(allow_nan=False, allow_infinity=False, width=64).filter(interop_safe),
)
shared_texts = st.sampled_from(["Same", "Criteria", "A"])


@st.composite
def achievement(draw, i):
    ach = {
        "id": f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
        "type": ["Achievement"],
        "name": draw(st.one_of(text, shared_texts)),
        "description": draw(text),
        "criteria": {"narrative": draw(st.one_of(text, shared_texts))},
    }
    if draw(st.booleans()):
        ach["creditsAvailable"] = draw(numbers)
    if draw(st.booleans()):
        ach["achievementType"] = draw(st.sampled_from(["Course", "Competency", "ext:Thing"]))
    if draw(st.booleans()):
        ach["resultDescription"] = [
            {
                "id": f"urn:x:rd{i}",
                "type": ["ResultDescription"],
                "name": draw(text),
                "resultType": "LetterGrade",
                "allowedValue": draw(st.lists(text, max_size=4)),
            }
        ]
    if draw(st.booleans()):
        ach["alignment"] = [
            {"type": ["Alignment"], "targetName": draw(shared_texts), "targetUrl": "https://example.org/a"}
            for _ in range(draw(st.integers(0, 3)))
        ]
    return ach


@st.composite
def credential(draw, i=0):
    subject = {"type": ["AchievementSubject"], "achievement": draw(achievement(i))}
    if draw(st.booleans()):
        subject["id"] = "did:example:learner"
    else:
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "hashed": draw(st.booleans()),
                "identityHash": draw(text),
                "identityType": "emailAddress",
            }
        ]
    if draw(st.booleans()):
        subject["result"] = [{"type": ["Result"], "value": draw(text)} for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        subject["creditsEarned"] = draw(numbers)
    doc = {
        "@context": [VC2, OB],
        "id": f"urn:uuid:10000000-0000-4000-8000-{i:012d}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:example:issuer", "type": ["Profile"], "name": draw(text)},
        "validFrom": "2024-01-01T00:00:00Z",
        "name": draw(text),
        "credentialSubject": subject,
    }
    if draw(st.booleans()):
        doc["awardedDate"] = "2024-01-01T00:00:00Z"
    if draw(st.booleans()):
        doc["evidence"] = [
            {"type": ["Evidence"], "narrative": draw(shared_texts)} for _ in range(draw(st.integers(0, 2)))
        ]
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(credential())
def test_fast_equals_reference_on_generated_credentials(loader, doc):
    """Equal output, or the same refusal (e.g. identical list cells exceed the RDFC work limit on both)."""
    try:
        expected = canonicalize_reference(doc, loader)
    except CanonicalizationLimitError:
        with pytest.raises(CanonicalizationLimitError):
            Canonicalizer(loader).canonicalize(doc)
        return
    assert Canonicalizer(loader).canonicalize(doc) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(credential(), min_size=1, max_size=4), st.booleans())
def test_fast_equals_reference_on_generated_clrs(loader, inner, with_proof):
    """Embedded credentials share blank-node shapes across named graphs: exercises RDFC n-degree hashing."""
    creds = []
    for n, c in enumerate(inner):
        c = {**c, "id": f"urn:x:vc{n}"}
        if with_proof:
            c["proof"] = {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "verificationMethod": "did:example:issuer#k",
                "proofPurpose": "assertionMethod",
                "proofValue": "z1",
            }
        creds.append(c)
    doc = {
        "@context": [VC2, CLR, OB],
        "id": "urn:x:clr",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2024-01-01T00:00:00Z",
        "name": "CLR",
        "credentialSubject": {
            "type": ["ClrSubject"],
            "id": "did:example:learner",
            "verifiableCredential": creds,
            "achievement": [c["credentialSubject"]["achievement"] for c in creds],
        },
    }
    assert Canonicalizer(loader).canonicalize(doc) == canonicalize_reference(doc, loader)


def _bnode_quads(draw_edges):
    return [(f"_:n{a}", "<urn:p>", f"_:n{b}", None) for a, b in draw_edges]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=12))
def test_rdfc10_matches_pyld_on_symmetric_blank_node_graphs(edges):
    quads = set(_bnode_quads(edges))

    def dataset():  # pyld relabels the dataset in place: a fresh one per run
        return {
            "@default": [
                {
                    "subject": {"type": "blank node", "value": s},
                    "predicate": {"type": "IRI", "value": "urn:p"},
                    "object": {"type": "blank node", "value": o},
                }
                for s, _, o, _ in quads
            ]
        }

    assert rdfc10(quads, UNLIMITED) == canonicalize_dataset(dataset(), UNLIMITED)
    # under the default work limit both paths count the same work: both refuse or both agree
    outcomes = []
    for run in (lambda: rdfc10(quads), lambda: canonicalize_dataset(dataset())):
        try:
            outcomes.append(run())
        except CanonicalizationLimitError:
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1]


def test_control_characters_are_escaped(loader):
    doc = {
        "@context": [VC2],
        "id": "urn:x:1",
        "type": ["VerifiableCredential"],
        "name": "bell\x07 tab\t del\x7f",
        "issuer": "did:example:1",
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:x:2"},
    }
    out = Canonicalizer(loader).canonicalize(doc)
    assert '"bell\\u0007 tab\\t del\\u007F"' in out
    assert out == canonicalize_reference(doc, loader)
