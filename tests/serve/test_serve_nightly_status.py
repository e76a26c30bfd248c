"""`POST /credentials/status` revokes a credential the nightly run issued, by the path `lerconnect
credentials revoke` takes: the record is withheld (the next night does not re-issue it), the CLR is
re-issued without it, the served status list says revoked, and the audit ledger names the API client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from click.testing import CliRunner
from serving import Served
from test_serve_issuer_api import status, token, verify

from connector_core.cli import cli
from connector_core.serve import nightly_status
from connector_core.serve.clients import register
from connector_core.store import credentials as cred_store
from connector_core.store.issuer_lock import LEASE, issuer_lock
from connector_core.store.tables import IssuerLeaseRow, utcnow


@contextmanager
def night_running(store) -> Iterator[None]:
    """The issuer lock held as a nightly run on another machine holds it (an advisory lock on PostgreSQL)."""
    if not store.is_sqlite:
        with issuer_lock(store, wait=0):
            yield
        return
    with store.session() as session:
        session.merge(IssuerLeaseRow(name=LEASE, holder="night-host:4242", expires_at=utcnow() + timedelta(minutes=2)))
    try:
        yield
    finally:
        with store.session() as session:
            session.delete(session.get(IssuerLeaseRow, LEASE))


def _embedded_ids(clr: dict) -> set[str]:
    return {c["id"] for c in clr["credentialSubject"]["verifiableCredential"]}


def _show(served: Served, credential_id: str) -> dict:
    """`lerconnect credentials show --json` on the served store, as the registrar would check."""
    result = CliRunner().invoke(
        cli, ["credentials", "show", credential_id, "--json", "--db", served.campus.store.url], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_nightly_credential_revoked_through_the_api_stays_revoked(served: Served) -> None:
    store = served.campus.store
    target = served.campus.live()[0]
    (clr,) = cred_store.list_credentials(store, status="active", kind="clr", learner=target.learner_key)
    assert target.id in _embedded_ids(clr.document)
    assert verify(served, target.document).status_code == 200
    client_id, secret = register(store, "student information system", ["status"])
    bearer = served.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    response = status(served, bearer.json()["access_token"], target.id)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "credentialId": target.id,
        "revoked": True,
        "issuing": {"status": "succeeded", "clrs": 1},
    }
    failed = verify(served, target.document)  # the served list has the bit set at once
    assert failed.status_code == 400 and "revocation: index" in failed.json()["detail"]

    shown = _show(served, target.id)
    assert shown["status"] == "revoked"
    (revoke,) = [e for e in shown["audit"] if e["action"] == "revoke"]
    assert client_id in revoke["reason"] and revoke["learner_key"] == target.learner_key
    assert [w.credential_id for w in cred_store.withheld(store)] == [target.id]
    (new_clr,) = cred_store.list_credentials(store, status="active", kind="clr", learner=target.learner_key)
    assert new_clr.id != clr.id and target.id not in _embedded_ids(new_clr.document)
    assert _show(served, clr.id)["status"] == "revoked"

    _, night = served.campus.sync()  # the next night: the record is withheld, not re-issued
    assert night.status == "succeeded" and night.issued == 0 and night.withheld == 1
    live = {r.record_id for r in served.campus.live()}
    assert target.record_id not in live


def test_nightly_status_changes_are_idempotent_and_revocation_is_final(served: Served) -> None:
    bearer = token(served, "status")
    target = served.campus.live()[0]
    assert status(served, bearer, target.id, revoked=False).json() == {"credentialId": target.id, "revoked": False}
    assert status(served, bearer, target.id).status_code == 200
    again = status(served, bearer, target.id)
    assert again.status_code == 200 and again.json() == {"credentialId": target.id, "revoked": True}
    final = status(served, bearer, target.id, revoked=False)
    assert final.status_code == 400 and "credentials reinstate" in final.json()["detail"]
    revokes = [e for e in cred_store.audit_entries(served.campus.store, target.id) if e.action == "revoke"]
    assert len(revokes) == 1


def test_a_wrong_index_for_a_nightly_credential_is_refused_and_changes_nothing(served: Served) -> None:
    target = served.campus.live()[0]
    body = {
        "credentialId": target.id,
        "credentialStatus": {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(target.status_index + 1),
        },
        "status": True,
    }
    response = served.post(
        "/credentials/status", json=body, headers={"Authorization": f"Bearer {token(served, 'status')}"}
    )
    assert response.status_code == 400 and "statusListIndex" in response.json()["detail"]
    assert cred_store.list_credentials(served.campus.store, status="active", kind="achievement")[0].id == target.id


def test_while_a_night_holds_the_issuer_the_bit_is_published_and_the_clr_waits(served: Served, monkeypatch) -> None:
    monkeypatch.setattr(nightly_status, "LOCK_WAIT_SECONDS", 0.5)
    target = served.campus.live()[0]
    (clr,) = cred_store.list_credentials(served.campus.store, status="active", kind="clr", learner=target.learner_key)
    bearer = token(served, "status")
    with night_running(served.campus.store):
        response = status(served, bearer, target.id)
    assert response.status_code == 200, response.text
    assert response.json()["issuing"] == {"status": "skipped", "clrs": 0}
    failed = verify(served, target.document)
    assert failed.status_code == 400 and "revocation: index" in failed.json()["detail"]
    waiting = cred_store.list_credentials(served.campus.store, status="active", kind="clr", learner=target.learner_key)
    assert [c.id for c in waiting] == [clr.id]  # unchanged until the next run
    _, night = served.campus.sync()
    (new_clr,) = cred_store.list_credentials(
        served.campus.store, status="active", kind="clr", learner=target.learner_key
    )
    assert night.issued == 0 and new_clr.id != clr.id and target.id not in _embedded_ids(new_clr.document)
