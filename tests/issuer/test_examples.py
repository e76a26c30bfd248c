"""Every signed example verifies; tampering, unknown keys and revocation are caught."""

import copy
from datetime import UTC, datetime

import pytest
from issuer_standards import load_json, standards_path

from connector_core.issuer import verify_credential, verify_proofs

SIGNED = [
    "ob-v3p0/signed/simple.json",
    "ob-v3p0/signed/complete.json",
    "ob-v3p0/signed/endorsement-valid.json",
    "ob-v3p0/signed/bitstring-credential-status-revoked.json",
    "ob-v3p0/signed/bitstring-status-list-credential.json",
    "clr-v2p0/signed/simple.json",
]
LIST_URL_EXAMPLE = "ob-v3p0/signed/bitstring-status-list-credential.json"


def fragment_key(vm: str) -> str:
    """These fixtures publish the key as the verification method's multibase fragment."""
    return vm.rsplit("#", 1)[1]


@pytest.mark.parametrize("name", SIGNED)
def test_signed_example_proof_verifies(name, canon):
    doc = load_json("examples", *name.split("/"))
    results = verify_proofs(doc, key_resolver=fragment_key, canonicalizer=canon)
    assert results and all(r.verified for r in results), [r.message for r in results]


def test_did_key_example_signature_ok_but_issuer_not_controller(canon):
    """The 1EdTech fixture signs with a did:key whose controller is not the issuer: the signature is
    valid, and the issuer-controls-key rule (which the JS stack enforces too) rejects it."""
    doc = load_json("examples", "ob-v3p0", "signed", "simple-did-key-method.json")
    assert verify_proofs(doc, canonicalizer=canon, check_issuer=False)[0].verified
    (result,) = verify_proofs(doc, canonicalizer=canon)
    assert not result.verified and "not the controller" in result.message


def test_clr_example_verifies_recursively(canon):
    doc = load_json("examples", "clr-v2p0", "signed", "simple.json")
    result = verify_credential(
        doc, key_resolver=fragment_key, canonicalizer=canon, now=datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert result.embedded and all(e.checks[0].passed for e in result.embedded)
    assert result.checks[0].passed, result.failures()


def test_tampered_credential_fails(canon):
    doc = load_json("examples", "ob-v3p0", "signed", "simple.json")
    doc = copy.deepcopy(doc)
    doc["credentialSubject"]["achievement"]["name"] += " (edited)"
    (result,) = verify_proofs(doc, key_resolver=fragment_key, canonicalizer=canon)
    assert not result.verified and "does not match" in result.message


def test_tampered_embedded_credential_fails_the_clr(canon):
    doc = copy.deepcopy(load_json("examples", "clr-v2p0", "signed", "simple.json"))
    inner = doc["credentialSubject"]["verifiableCredential"][0]
    inner["name"] = "Forged"
    result = verify_credential(doc, key_resolver=fragment_key, canonicalizer=canon)
    assert not result.verified
    assert result.embedded[0].checks[0].passed is False


def test_unknown_key_fails(canon):
    doc = load_json("examples", "ob-v3p0", "signed", "simple.json")
    other = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    (result,) = verify_proofs(doc, key_resolver=lambda vm: other, canonicalizer=canon)
    assert not result.verified
    (result,) = verify_proofs(doc, canonicalizer=canon)
    assert not result.verified and "no key resolver" in result.message


def test_revoked_example_is_detected(canon):
    doc = load_json("examples", "ob-v3p0", "signed", "bitstring-credential-status-revoked.json")
    status_list = load_json("examples", *LIST_URL_EXAMPLE.split("/"))
    url = doc["credentialStatus"]["statusListCredential"]
    result = verify_credential(
        doc, key_resolver=fragment_key, canonicalizer=canon, status_resolver={url: status_list}.__getitem__
    )
    status = next(c for c in result.checks if c.name == "status")
    assert status.passed is False and "index 23 is set" in status.message
    assert next(c for c in result.checks if c.name == "proof").passed


def test_status_list_retrieval_error_is_reported(canon):
    doc = load_json("examples", "ob-v3p0", "signed", "bitstring-credential-status-revoked.json")

    def offline(url):
        raise ConnectionError("offline")

    result = verify_credential(doc, key_resolver=fragment_key, canonicalizer=canon, status_resolver=offline)
    status = next(c for c in result.checks if c.name == "status")
    assert status.passed is False and "STATUS_RETRIEVAL_ERROR" in status.message


def test_examples_dir_present():
    assert standards_path("examples").is_dir()
