"""The issuer API over loopback HTTP: OAuth client credentials, issue, status, idempotency, audit."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from serving import Served

from connector_core.issuer import verify_credential
from connector_core.serve.clients import register
from connector_core.store import credentials as cred_store
from connector_core.store.tables import StatusListRow

UNSIGNED = {  # what a campus system posts: an Open Badge for a workshop, unsigned, without issuer or status
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Lab Safety Workshop",
    "validFrom": "2026-01-15T00:00:00Z",
    "credentialSubject": {
        "id": "did:example:learner-42",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://test.example.edu/achievements/lab-safety",
            "type": ["Achievement"],
            "name": "Lab Safety Workshop",
            "description": "Completed the two-hour lab safety workshop.",
            "criteria": {"narrative": "Attend the workshop and pass its quiz."},
        },
    },
}


def token(served: Served, *scopes: str, ask: str | None = None) -> str:
    client_id, secret = register(served.campus.store, "registrar's CRM", scopes)
    data = {"grant_type": "client_credentials", **({"scope": ask} if ask else {})}
    response = served.post("/oauth/token", data=data, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert response.headers["cache-control"] == "no-store"
    return body["access_token"]


def issue(served: Served, bearer: str, credential: dict, **options):
    return served.post(
        "/credentials/issue",
        json={"credential": credential, "options": options},
        headers={"Authorization": f"Bearer {bearer}"},
    )


def status(served: Served, bearer: str, credential_id: str, revoked: bool = True):
    body = {
        "credentialId": credential_id,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        "status": revoked,
    }
    return served.post("/credentials/status", json=body, headers={"Authorization": f"Bearer {bearer}"})


def verify(served: Served, credential: dict):
    return served.post("/credentials/verify", json={"verifiableCredential": credential})


def test_issue_signs_as_this_issuer_with_a_status_entry_and_verifies(served: Served) -> None:
    response = issue(served, token(served, "issue"), UNSIGNED, credentialId="urn:uuid:7d0c-alumna-1")
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert signed["issuer"]["id"] == served.services.ring.did
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    entry = signed["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    listed = served.get(urlsplit(entry["statusListCredential"]).path)
    assert listed.status_code == 200
    result = verify_credential(
        signed,
        status_resolver={listed.json()["id"]: listed.json()}.__getitem__,
        key_resolver=served.services.ring.resolve,
    )
    assert result.verified, result.failures()
    assert verify(served, signed).status_code == 200
    (audit,) = [e for e in cred_store.audit_entries(served.campus.store) if e.credential_id == "urn:uuid:7d0c-alumna-1"]
    assert audit.action == "issue" and audit.learner_key is None


def test_issue_is_idempotent_on_credential_id(served: Served) -> None:
    bearer = token(served, "issue")
    first = issue(served, bearer, UNSIGNED, credentialId="urn:uuid:same")
    again = issue(served, bearer, UNSIGNED, credentialId="urn:uuid:same")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = issue(served, bearer, {**UNSIGNED, "name": "different"}, credentialId="urn:uuid:same")
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"


def test_concurrent_repeats_store_one_credential_and_never_share_an_index(served: Served) -> None:
    bearer = token(served, "issue")
    results: list = []

    def post(n: int) -> None:
        results.append(issue(served, bearer, UNSIGNED, credentialId=f"urn:uuid:race-{n % 2}"))

    threads = [threading.Thread(target=post, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status_code == 201 for r in results), [r.text for r in results]
    by_id = {}
    for r in results:
        vc = r.json()["verifiableCredential"]
        by_id.setdefault(vc["credentialStatus"]["statusListIndex"], set()).add(vc["proof"]["proofValue"])
    assert len(by_id) == 2 and all(len(v) == 1 for v in by_id.values())
    nightly = {c.status_index for c in cred_store.list_credentials(served.campus.store, status=None, limit=10_000)}
    assert not nightly & {int(i) for i in by_id}


def test_status_revokes_and_the_served_list_says_so(served: Served) -> None:
    bearer = token(served, "issue", "status")
    signed = issue(served, bearer, UNSIGNED, credentialId="urn:uuid:to-revoke").json()["verifiableCredential"]
    assert verify(served, signed).status_code == 200
    response = status(served, bearer, "urn:uuid:to-revoke")
    assert response.status_code == 200, response.text
    failed = verify(served, signed)
    assert failed.status_code == 400 and "revocation: index" in failed.json()["detail"]
    assert status(served, bearer, "urn:uuid:to-revoke").status_code == 200  # again: nothing changes
    final = status(served, bearer, "urn:uuid:to-revoke", revoked=False)
    assert final.status_code == 400 and "final" in final.json()["detail"]
    actions = [
        e.action for e in cred_store.audit_entries(served.campus.store) if e.credential_id == "urn:uuid:to-revoke"
    ]
    assert actions == ["issue", "revoke"]


def test_status_of_an_unknown_credential_is_404(served: Served) -> None:
    response = status(served, token(served, "status"), "urn:uuid:never-issued")
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"


def test_issued_indexes_come_from_the_nightly_allocator(served: Served) -> None:
    bearer = token(served, "issue")
    with served.campus.store.session() as session:
        before = session.get(StatusListRow, 1).allocated
    for n in range(3):
        assert issue(served, bearer, UNSIGNED, credentialId=f"urn:uuid:alloc-{n}").status_code == 201
    with served.campus.store.session() as session:
        assert session.get(StatusListRow, 1).allocated == before + 3


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"@context": ["https://www.w3.org/2018/credentials/v1"]}, "VC Data Model 2.0"),
        ({"type": ["OpenBadgeCredential"]}, "VerifiableCredential"),
        ({"credentialSubject": "nobody"}, "credentialSubject"),
        ({"issuer": "did:example:someone-else"}, "signs only as itself"),
        ({"proof": {"type": "DataIntegrityProof"}}, "unsigned"),
        ({"validFrom": "yesterday"}, "validFrom"),
        ({"@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx.json"]}, "cannot be signed"),
        (
            {
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusListCredential": "https://test.example.edu/status/1",
                    "statusListIndex": "5",
                    "statusPurpose": "revocation",
                }
            },
            "allocates",
        ),
    ],
)
def test_bad_credentials_are_refused_with_400(served: Served, change: dict, words: str) -> None:
    response = issue(served, token(served, "issue"), {**UNSIGNED, **change})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]
