"""Ed25519Signature2020 (the Learner Credential Wallet's DIDAuth suite): its contexts are local pinned
files, holders' proofs verify with it, and this issuer's own credentials are still eddsa-rdfc-2022 only."""

import hashlib
from datetime import UTC, datetime

from connector_core.issuer import DocumentLoader, SigningKey, verify_proofs
from connector_core.issuer.jsonld import BUILTIN_CONTEXTS, ED25519_2020, VC_V1
from connector_core.issuer.proofs import HOLDER_SUITES
from connector_core.testing.holder import Ed25519Signature2020Holder

HOLDER = Ed25519Signature2020Holder(SigningKey.from_seed(bytes(range(32))))
WHEN = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_vc_1_1_and_ed25519_2020_contexts_are_pinned_files_of_an_installed_package():
    from importlib import resources

    loader = DocumentLoader()
    for url in (VC_V1, ED25519_2020):
        package, name, sha256 = BUILTIN_CONTEXTS[url]
        data = resources.files(package).joinpath(name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha256
        assert "@context" in loader.get(url)
    assert "Ed25519Signature2020" in loader.get(ED25519_2020)["@context"]


def test_a_holder_proof_verifies_with_the_holder_suites_only():
    presentation = HOLDER.present(challenge="c-1", domain="issuer.example.edu", created=WHEN)
    (ok,) = verify_proofs(presentation, purpose="authentication", suites=HOLDER_SUITES)
    assert ok.verified, ok.message
    (refused,) = verify_proofs(presentation, purpose="authentication")  # the default: this issuer's suite
    assert not refused.verified and "unsupported proof Ed25519Signature2020" in refused.message


def test_a_changed_challenge_or_holder_breaks_the_signature():
    presentation = HOLDER.present(challenge="c-1", domain="issuer.example.edu", created=WHEN)
    for changed in (
        {**presentation, "proof": {**presentation["proof"], "challenge": "c-2"}},
        {**presentation, "holder": SigningKey.generate().did_key},
    ):
        (result,) = verify_proofs(changed, purpose="authentication", suites=HOLDER_SUITES)
        assert not result.verified and "signature does not match" in result.message
