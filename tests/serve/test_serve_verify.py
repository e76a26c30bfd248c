"""VC-API verifier routes over loopback HTTP: real credentials verify, changed or revoked ones do not."""

from __future__ import annotations

import copy

from serving import Served

from connector_core.issuer import sign_credential
from connector_core.store import credentials as cred_store
from connector_core.testing.holder import Ed25519Signature2020Holder, Holder


def _verify(served: Served, credential: dict, **options):
    return served.post("/credentials/verify", json={"verifiableCredential": credential, "options": options})


def test_an_issued_credential_verifies(served: Served) -> None:
    credential = served.campus.live()[0].document
    response = _verify(served, credential, returnResults=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True and body["problemDetails"] == []
    checks = {c["check"]: c["passed"] for c in body["results"]["checks"]}
    assert checks["proof"] is True and checks["status"] is True and checks["validity"] is True


def test_a_changed_credential_fails_with_problem_details(served: Served) -> None:
    credential = copy.deepcopy(served.campus.live()[0].document)
    credential["credentialSubject"]["result"][0]["value"] = "A+"
    response = _verify(served, credential)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["verified"] is False and body["title"] == "Verification failed"
    assert any("signature does not match" in p["detail"] for p in body["problemDetails"])


def test_a_revoked_credential_fails_on_status(served: Served) -> None:
    row = served.campus.live()[0]
    with served.campus.store.session() as session:
        cred_store.revoke(session, row.id, "test", None)
    served.services.issuer().publish_status_lists()
    response = _verify(served, row.document)
    assert response.status_code == 400
    assert any("revocation: index" in p["detail"] for p in response.json()["problemDetails"])


def test_a_clr_verifies_with_every_embedded_credential(served: Served) -> None:
    clr = served.campus.live("clr")[0].document
    response = _verify(served, clr, returnResults=True)
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]["embedded"]) == len(clr["credentialSubject"]["verifiableCredential"])


def _present(served: Served, presentation: dict, **options):
    return served.post("/presentations/verify", json={"verifiablePresentation": presentation, "options": options})


def test_a_presentation_verifies_with_its_challenge_and_domain(served: Served) -> None:
    credential = served.campus.live()[0].document
    presentation = Holder().present([credential], challenge="c-123", domain="verifier.example")
    response = _present(served, presentation, challenge="c-123", domain="verifier.example")
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True


def test_a_presentation_for_another_challenge_or_domain_fails(served: Served) -> None:
    credential = served.campus.live()[0].document
    presentation = Holder().present([credential], challenge="c-123", domain="verifier.example")
    for options, words in (
        ({"challenge": "other", "domain": "verifier.example"}, "challenge"),
        ({"challenge": "c-123", "domain": "evil.example"}, "domain"),
    ):
        response = _present(served, presentation, **options)
        assert response.status_code == 400, options
        assert words in response.json()["detail"]


def test_a_wallets_ed25519signature2020_presentation_verifies_for_its_challenge_and_domain_only(
    served: Served,
) -> None:
    # DIDAuth only: a VC 1.1 presentation cannot embed a VC 2.0 credential (both contexts protect `type`)
    presentation = Ed25519Signature2020Holder().present(challenge="c-2020", domain="verifier.example")
    response = _present(served, presentation, challenge="c-2020", domain="verifier.example", returnResults=True)
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True
    for options, words in (
        ({"challenge": "other", "domain": "verifier.example"}, "challenge"),
        ({"challenge": "c-2020", "domain": "evil.example"}, "domain"),
    ):
        response = _present(served, presentation, **options)
        assert response.status_code == 400 and words in response.json()["detail"], options
    changed = {**presentation, "holder": Ed25519Signature2020Holder().did}
    response = _present(served, changed, challenge="c-2020", domain="verifier.example")
    assert response.status_code == 400 and "not by the holder" in response.json()["detail"]


def test_a_presentation_signed_for_assertion_fails(served: Served) -> None:
    holder = Holder()
    unsigned = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"]}
    signed = sign_credential({**unsigned, "holder": holder.did}, holder.key)  # proofPurpose assertionMethod
    response = _present(served, signed)
    assert response.status_code == 400
    assert "expected 'authentication'" in response.json()["detail"]


def test_a_presentation_with_a_changed_credential_fails(served: Served) -> None:
    credential = copy.deepcopy(served.campus.live()[0].document)
    credential["name"] = "Something else"
    presentation = Holder().present([credential], challenge="x", domain="y")
    response = _present(served, presentation, challenge="x", domain="y")
    assert response.status_code == 400
    assert "signature does not match" in response.json()["detail"]


def test_status_lists_of_other_issuers_are_never_fetched_from_private_addresses(served: Served) -> None:
    """A posted credential must not make the server call into its own network (SSRF)."""
    from connector_core.issuer import SigningKey

    other = SigningKey.generate()
    for url in (
        "http://127.0.0.1:5432/status/1",
        "https://127.0.0.1/status/1",
        "https://10.1.2.3/list",
        "file:///etc/passwd",
    ):
        draft = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": other.did_key,
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:someone"},
            "credentialStatus": {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "3",
                "statusListCredential": url,
            },
        }
        response = _verify(served, sign_credential(draft, other))
        assert response.status_code == 400
        assert "refusing to fetch" in response.json()["detail"], url
