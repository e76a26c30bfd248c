"""The Learner Credential Wallet's VC-API exchange end to end over loopback HTTP, with a holder key made
here: DIDAuth request, signed presentation, credentials bound to the holder's DID that verify, and
revoking the original revokes the bound copy. Bad input is answered 400 ProblemDetails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from claim_kit import (
    Wallet,
    claim_rows,
    deep_link_parts,
    delivery_campus,
    links_of,
    open_claim,
    serve,
    sync_and_issue,
    verify,
)
from serving import Served

from connector_core.issuer.jsonld import ED25519_2020, VC_V1
from connector_core.store import claims as claim_store
from connector_core.store import credentials as cred_store
from connector_core.testing.holder import Ed25519Signature2020Holder


@pytest.fixture
def exchange(tmp_path: Path, store, monkeypatch) -> Iterator[tuple[Served, dict[str, str]]]:
    """A served campus and the LCW deep link of learner s1's records page."""
    campus = delivery_campus(tmp_path, store, monkeypatch)
    sync_and_issue(campus)
    url = next(r["claim_url"] for r in claim_rows(tmp_path / "claims") if r["email"] == "s1@example.edu")
    services, running = serve(campus)
    with running as base, requests.Session() as http:
        served = Served(campus, services, base, http)
        yield served, deep_link_parts(links_of(open_claim(served, url).text)["lcw"])


def _path(url: str) -> str:
    return urlsplit(url).path


def test_didauth_exchange_binds_the_credentials_to_the_holder_and_shares_their_revocation(exchange) -> None:
    served, link = exchange
    assert link["auth_type"] == "bearer" and link["issuer"] == "did:web:registrar.test.example.edu"
    endpoint = _path(link["vc_request_url"])
    asked = served.post(endpoint, json={})
    assert asked.status_code == 200, asked.text
    vpr = asked.json()["verifiablePresentationRequest"]
    assert vpr["query"][0]["type"] == "DIDAuthentication" and vpr["challenge"] == link["challenge"]
    assert vpr["interact"]["service"][0]["serviceEndpoint"] == link["vc_request_url"]
    wallet = Wallet.new()
    answer = served.post(endpoint, json={"verifiablePresentation": wallet.didauth(vpr["challenge"], vpr["domain"])})
    assert answer.status_code == 200, answer.text
    documents = answer.json()["verifiablePresentation"]["verifiableCredential"]
    assert len(documents) == 3 and {d["type"][1] for d in documents} == {"OpenBadgeCredential", "ClrCredential"}
    originals = {r.id: r for r in cred_store.list_credentials(served.campus.store, status="active")}
    for document in documents:
        assert document["credentialSubject"]["id"] == wallet.did
        result = verify(served, document)
        assert result.verified, result.failures()
        assert document["proof"]["created"] >= max(o.document["proof"]["created"] for o in originals.values())
    course = next(d for d in documents if "OpenBadgeCredential" in d["type"])
    (bound,) = [b for o in originals for b in claim_store.bound_copies(served.campus.store, o) if b.id == course["id"]]
    assert course["credentialStatus"] == originals[bound.original_id].document["credentialStatus"]
    cred_store.revoke_by_hand(served.campus.store, bound.original_id, "issued in error")
    served.services.issuer().publish_status_lists()
    after = verify(served, course)
    assert not after.verified and any("index" in f and "is set" in f for f in after.failures())
    replay = served.post(endpoint, json={"verifiablePresentation": wallet.didauth(vpr["challenge"], vpr["domain"])})
    assert replay.status_code == 404  # single use


def test_lcw_deep_link_flow_posts_the_bare_presentation(exchange) -> None:
    served, link = exchange
    wallet = Wallet.new()
    answer = served.post(_path(link["vc_request_url"]), json=wallet.didauth(link["challenge"], None))
    assert answer.status_code == 200, answer.text
    assert all(
        d["credentialSubject"]["id"] == wallet.did
        for d in answer.json()["verifiablePresentation"]["verifiableCredential"]
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("wrong-challenge", "challenge is not this exchange's"),
        ("wrong-domain", "domain must be"),
        ("tampered", "signature does not match"),
        ("other-key", "not a key of the holder DID"),
        ("not-a-presentation", "must include VerifiablePresentation"),
        ("not-did-key", "not an Ed25519 did:key"),
    ],
)
def test_a_bad_didauth_is_refused_and_leaves_the_exchange_usable(exchange, body: str, detail: str) -> None:
    served, link = exchange
    endpoint = _path(link["vc_request_url"])
    wallet = Wallet.new()
    domain = urlsplit(served.services.serve.public_base_url).netloc
    presentation = {
        "wrong-challenge": lambda: wallet.didauth("another-challenge", domain),
        "wrong-domain": lambda: wallet.didauth(link["challenge"], "evil.example"),
        "tampered": lambda: {
            **wallet.didauth(link["challenge"], domain),
            "id": "urn:uuid:9e1f0b7c-1d2e-4f3a-8b9c-0d1e2f3a4b5c",
        },
        "other-key": lambda: {**wallet.didauth(link["challenge"], domain), "holder": Wallet.new().did},
        "not-a-presentation": lambda: {**wallet.didauth(link["challenge"], domain), "type": ["VerifiableCredential"]},
        "not-did-key": lambda: {**wallet.didauth(link["challenge"], domain), "holder": "did:web:example.com"},
    }[body]()
    refused = served.post(endpoint, json={"verifiablePresentation": presentation})
    assert refused.status_code == 400 and refused.headers["content-type"] == "application/problem+json"
    assert detail in refused.json()["detail"], refused.json()
    ok = served.post(endpoint, json={"verifiablePresentation": wallet.didauth(link["challenge"], domain)})
    assert ok.status_code == 200, ok.text


def test_malformed_bodies_and_unknown_exchanges_get_problem_details(exchange) -> None:
    served, link = exchange
    endpoint = _path(link["vc_request_url"])
    for data, headers in (("{not json", {"content-type": "application/json"}), ("[1, 2]", {})):
        response = served.post(endpoint, data=data, headers=headers)
        assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    huge = served.post(endpoint, data="x" * 3_000_000, headers={"content-type": "application/json"})
    assert huge.status_code in (400, 413) and huge.headers["content-type"] == "application/problem+json"
    unknown = served.post("/workflows/claim/exchanges/" + "z" * 43, json={})
    assert unknown.status_code == 404 and unknown.json()["type"] == "urn:lerconnect:problem:exchange-not-found"


def test_an_ed25519signature2020_didauth_as_lcw_signs_it_gets_the_bound_credentials(exchange) -> None:
    served, link = exchange
    endpoint = _path(link["vc_request_url"])
    vpr = served.post(endpoint, json={}).json()["verifiablePresentationRequest"]
    holder = Ed25519Signature2020Holder()
    presentation = holder.present(challenge=vpr["challenge"], domain=vpr["domain"])
    assert presentation["@context"] == [VC_V1, ED25519_2020] and "cryptosuite" not in presentation["proof"]
    answer = served.post(endpoint, json={"verifiablePresentation": presentation})
    assert answer.status_code == 200, answer.text
    documents = answer.json()["verifiablePresentation"]["verifiableCredential"]
    assert len(documents) == 3
    for document in documents:
        assert document["credentialSubject"]["id"] == holder.did
        assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"  # the copies are this issuer's suite
        result = verify(served, document)
        assert result.verified, result.failures()


@pytest.mark.parametrize(
    ("spoil", "status", "detail"),
    [
        ("tampered", 400, "signature does not match"),
        ("wrong-challenge", 400, "challenge is not this exchange's"),
        ("wrong-domain", 400, "domain must be"),
        ("proof-without-suite-context", 400, "not defined by any @context"),
    ],
)
def test_a_bad_ed25519signature2020_didauth_is_refused_with_problem_details(
    exchange, spoil: str, status: int, detail: str
) -> None:
    served, link = exchange
    endpoint = _path(link["vc_request_url"])
    holder = Ed25519Signature2020Holder()
    domain = urlsplit(served.services.serve.public_base_url).netloc
    good = holder.present(challenge=link["challenge"], domain=domain)
    presentation = {
        "tampered": lambda: {**good, "id": "urn:uuid:9e1f0b7c-1d2e-4f3a-8b9c-0d1e2f3a4b5c"},
        "wrong-challenge": lambda: holder.present(challenge="another-challenge", domain=domain),
        "wrong-domain": lambda: holder.present(challenge=link["challenge"], domain="evil.example"),
        "proof-without-suite-context": lambda: {**good, "@context": [VC_V1]},
    }[spoil]()
    refused = served.post(endpoint, json={"verifiablePresentation": presentation})
    assert refused.status_code == status and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:lerconnect:problem:didauth"
    assert detail in refused.json()["detail"], refused.json()
    assert served.post(endpoint, json={"verifiablePresentation": good}).status_code == 200  # still usable
