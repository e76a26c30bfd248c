"""Numbers in signed documents: only those every JSON-LD engine canonicalizes alike are signed or verified."""

from datetime import UTC, datetime

import pytest

from connector_core.issuer import (
    SigningKey,
    UnsafeDocumentError,
    canonicalize_reference,
    sign_credential,
    verify_credential,
)
from connector_core.issuer.fastpath import Canonicalizer
from connector_core.issuer.jsonnumbers import interop_safe

KEY = SigningKey.from_seed(bytes(range(32)))


def doc_with(value):
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", {"score": "https://example.org/score"}],
        "id": "urn:uuid:3f0b8c6e-2a51-4a7e-8f0d-5c9a1b2e7d44",
        "type": ["VerifiableCredential"],
        "issuer": KEY.did_key,
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "score": value},
    }


@pytest.mark.parametrize("value", [5e-7, 1e-7, 2**53 + 1, -(2**60), float(2**60), float("inf"), -0.0])
def test_numbers_javascript_reads_differently_are_refused_on_both_paths(value):
    for canonicalize in (canonicalize_reference, Canonicalizer().canonicalize):
        with pytest.raises(UnsafeDocumentError, match=r"number .* at /credentialSubject/score .*jsonld\.js"):
            canonicalize(doc_with(value))
    with pytest.raises(UnsafeDocumentError, match="use an integer within"):
        sign_credential(doc_with(value), KEY)


def test_a_received_document_with_such_a_number_fails_verification_with_the_reason():
    signed = sign_credential(doc_with(3.5), KEY, created=datetime(2024, 1, 1, tzinfo=UTC))
    signed["credentialSubject"]["score"] = 5e-7
    result = verify_credential(signed)
    assert not result.verified and any("jsonld.js" in f for f in result.failures())


@pytest.mark.parametrize("value", [0, 3, 3.0, 3.5, 0.25, 1e-6, 4.35, 2**53 - 1, -12.5, 120.0])
def test_ordinary_credits_and_scores_sign_and_verify(value):
    assert interop_safe(value)
    signed = sign_credential(doc_with(value), KEY, created=datetime(2024, 1, 1, tzinfo=UTC))
    assert verify_credential(signed).verified
