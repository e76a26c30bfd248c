"""OpenID4VCI 1.0 pre-authorized code flow end to end over loopback HTTP, with a client written here:
offer, metadata, token, nonce, credential with a jwt proof (did:key and jwk); every misuse refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from claim_kit import Wallet, claim_rows, delivery_campus, links_of, open_claim, serve, sync_and_issue, verify
from cryptography.hazmat.primitives.asymmetric import ec
from serving import Served

GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def _offer(page: str) -> dict:
    link = links_of(page)["oid4vci"]
    assert link.startswith("openid-credential-offer://?credential_offer=")
    return json.loads(parse_qs(urlsplit(link).query)["credential_offer"][0])


def _page(tmp_path: Path, store, monkeypatch, **delivery):
    campus = delivery_campus(tmp_path, store, monkeypatch, **delivery)
    sync_and_issue(campus)
    return campus, next(r["claim_url"] for r in claim_rows(tmp_path / "claims") if r["email"] == "s2@example.edu")


@pytest.fixture
def offered(tmp_path: Path, store, monkeypatch) -> Iterator[tuple[Served, dict, str]]:
    campus, url = _page(tmp_path, store, monkeypatch)
    services, running = serve(campus)
    with running as base, requests.Session() as http:
        served = Served(campus, services, base, http)
        page = open_claim(served, url).text
        yield served, _offer(page), page


class Client:
    """A wallet's OID4VCI client, speaking to the served app (public URLs mapped onto its loopback base)."""

    def __init__(self, served: Served, offer: dict) -> None:
        self.served, self.offer = served, offer
        issuer = offer["credential_issuer"]
        self.metadata = served.get(urlsplit(issuer).path + "/.well-known/openid-credential-issuer").json()
        self.oauth = served.get("/.well-known/oauth-authorization-server").json()

    def post(self, url: str, **kwargs) -> requests.Response:
        return self.served.post(urlsplit(url).path, **kwargs)

    def token(self, **extra) -> requests.Response:
        code = self.offer["grants"][GRANT]["pre-authorized_code"]
        return self.post(self.oauth["token_endpoint"], data={"grant_type": GRANT, "pre-authorized_code": code, **extra})

    def nonce(self) -> str:
        response = self.post(self.metadata["nonce_endpoint"])
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
        return response.json()["c_nonce"]

    def credential(self, access: str, proof: str, **ask) -> requests.Response:
        body = {**ask, "proofs": {"jwt": [proof]}}
        return self.post(self.metadata["credential_endpoint"], json=body, headers={"Authorization": f"Bearer {access}"})


def test_pre_authorized_flow_issues_credentials_bound_to_the_proof_key(offered) -> None:
    served, offer, _page = offered
    client = Client(served, offer)
    assert client.metadata["credential_issuer"] == offer["credential_issuer"] == "http://127.0.0.1:8080"
    configs = client.metadata["credential_configurations_supported"]
    assert set(offer["credential_configuration_ids"]) == set(configs)
    assert all(c["format"] == "ldp_vc" for c in configs.values())
    assert client.oauth["token_endpoint"].endswith("/oid4vci/token")
    token = client.token()
    assert token.status_code == 200, token.text
    grant = token.json()
    assert grant["token_type"] == "Bearer" and token.headers["cache-control"] == "no-store"
    by_config = {d["credential_configuration_id"]: d["credential_identifiers"] for d in grant["authorization_details"]}
    assert len(by_config["OpenBadgeCredential_ldp_vc"]) == 2 and len(by_config["ClrCredential_ldp_vc"]) == 1
    wallet = Wallet.new()
    issued = client.credential(
        grant["access_token"],
        wallet.proof_jwt(offer["credential_issuer"], client.nonce()),
        credential_configuration_id="OpenBadgeCredential_ldp_vc",
    )
    assert issued.status_code == 200, issued.text
    documents = [c["credential"] for c in issued.json()["credentials"]]
    assert len(documents) == 2
    for document in documents:
        assert document["credentialSubject"]["id"] == wallet.did
        assert verify(served, document).verified
    (clr_id,) = by_config["ClrCredential_ldp_vc"]
    clr = client.credential(
        grant["access_token"],
        wallet.proof_jwt(offer["credential_issuer"], client.nonce()),
        credential_identifier=clr_id,
    )
    assert clr.status_code == 200, clr.text
    (only,) = clr.json()["credentials"]
    assert "ClrCredential" in only["credential"]["type"] and verify(served, only["credential"]).verified
    again = client.token()
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # the code is single-use


def test_a_jwk_proof_binds_to_did_jwk(offered) -> None:
    served, offer, _page = offered
    client = Client(served, offer)
    access = client.token().json()["access_token"]
    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    proof = jwt.encode(
        {"aud": offer["credential_issuer"], "iat": int(time.time()), "nonce": client.nonce()},
        key,
        algorithm="ES256",
        headers={"typ": "openid4vci-proof+jwt", "jwk": public},
    )
    issued = client.credential(access, proof, credential_configuration_id="ClrCredential_ldp_vc")
    assert issued.status_code == 200, issued.text
    subject = issued.json()["credentials"][0]["credential"]["credentialSubject"]["id"]
    assert subject.startswith("did:jwk:")


def test_proofs_are_checked_nonce_aud_typ_signature(offered) -> None:
    served, offer, _page = offered
    client = Client(served, offer)
    access = client.token().json()["access_token"]
    wallet, aud = Wallet.new(), offer["credential_issuer"]
    used = client.nonce()
    ask = {"credential_configuration_id": "OpenBadgeCredential_ldp_vc"}
    assert client.credential(access, wallet.proof_jwt(aud, used), **ask).status_code == 200
    cases = {
        "invalid_nonce": wallet.proof_jwt(aud, used),  # spent
        "invalid_proof": wallet.proof_jwt("https://elsewhere.example", client.nonce()),
    }
    cases["typ"] = wallet.proof_jwt(aud, client.nonce(), typ="JWT")
    forged = wallet.proof_jwt(aud, client.nonce(), kid=Wallet.new().key.verification_method)
    for name, proof in [*cases.items(), ("forged", forged)]:
        response = client.credential(access, proof, **ask)
        assert response.status_code == 400, (name, response.text)
        body = response.json()
        assert response.headers["content-type"] == "application/problem+json" and body["error"] in (
            "invalid_proof",
            "invalid_nonce",
        ), (name, body)
        if name.startswith("invalid"):
            assert body["error"] == name, body


def test_token_and_credential_endpoints_refuse_bad_requests(offered) -> None:
    served, offer, _page = offered
    client = Client(served, offer)
    assert client.post(client.oauth["token_endpoint"], json={"grant_type": GRANT}).json()["error"] == "invalid_request"
    wrong = client.post(client.oauth["token_endpoint"], data={"grant_type": "password"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "unsupported_grant_type"
    bad_code = client.post(client.oauth["token_endpoint"], data={"grant_type": GRANT, "pre-authorized_code": "nope"})
    assert bad_code.json()["error"] == "invalid_grant"
    no_token = client.post(client.metadata["credential_endpoint"], json={})
    assert no_token.status_code == 401 and "invalid_token" in no_token.headers["www-authenticate"]
    access = client.token().json()["access_token"]
    headers = {"Authorization": f"Bearer {access}", "content-type": "application/json"}
    for body, error in (
        ("{oops", None),
        ("[]", "invalid_credential_request"),
        ('{"credential_configuration_id": "Nope", "proofs": {"jwt": ["a.b.c"]}}', "unknown_credential_configuration"),
        ('{"credential_identifier": "urn:uuid:x", "proofs": {"jwt": ["a.b.c"]}}', "unknown_credential_identifier"),
        ('{"credential_configuration_id": "ClrCredential_ldp_vc", "proofs": {"jwt": "a.b.c"}}', "invalid_proof"),
        ('{"credential_configuration_id": "ClrCredential_ldp_vc", "proof": {"proof_type": "jwt"}}', "invalid_proof"),
    ):
        response = client.post(client.metadata["credential_endpoint"], data=body, headers=headers)
        assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json", body
        if error:
            assert response.json()["error"] == error, (body, response.json())


def test_a_tx_code_is_asked_for_when_configured(tmp_path: Path, store, monkeypatch) -> None:
    campus, url = _page(tmp_path, store, monkeypatch, tx_code=True)
    services, running = serve(campus)
    with running as base, requests.Session() as http:
        served = Served(campus, services, base, http)
        page = open_claim(served, url).text
        offer = _offer(page)
        assert offer["grants"][GRANT]["tx_code"]["length"] == 6
        pin = page.split('class="pin">')[1][:6]
        client = Client(served, offer)
        assert client.token().json()["error"] == "invalid_grant"
        assert client.token(tx_code="000000" if pin != "000000" else "111111").json()["error"] == "invalid_grant"
        assert client.token(tx_code=pin).status_code == 200
