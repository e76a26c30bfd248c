"""`POST /credentials/issue` runs the campus's `lerconnect_before_issue` plugins, as the nightly run does:
a refusal is a 422 ProblemDetails with the plugin's message, stores nothing, spends no status index and
is in the audit ledger; an extension the plugin makes is what gets signed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from serving import Served, web_campus
from sqlmodel import select
from test_serve_issuer_api import UNSIGNED, issue, token

from connector_core.hookspecs import IssuePolicyError, hookimpl
from connector_core.issuer import verify_credential
from connector_core.plugins import load_registry
from connector_core.serve.app import create_app
from connector_core.serve.services import Services
from connector_core.store import api_credentials
from connector_core.store import credentials as cred_store
from connector_core.store.tables import StatusListRow
from connector_core.testing.served_app import served_app


class AccreditationPolicy:
    """A campus plugin: refuses unaccredited workshops, tags everything else it lets through."""

    __name__ = "accreditation_policy"

    def __init__(self) -> None:
        self.contexts: list = []

    @hookimpl
    def lerconnect_before_issue(self, draft: dict, context) -> None:
        self.contexts.append(context)
        if "Unaccredited" in draft.get("name", ""):
            raise IssuePolicyError("workshop not accredited by the registrar's office")
        draft["credentialSubject"]["achievement"]["tag"] = ["policy-checked"]


@pytest.fixture
def policy() -> AccreditationPolicy:
    return AccreditationPolicy()


@pytest.fixture
def served(tmp_path: Path, store, monkeypatch, policy: AccreditationPolicy) -> Iterator[Served]:
    campus = web_campus(tmp_path, store, monkeypatch)
    campus.registry = load_registry(extra_modules=(policy,))
    services = Services.from_settings(campus.settings, store, campus.registry.hook)
    with served_app(create_app(campus.settings, store, services=services)) as base, requests.Session() as http:
        yield Served(campus, services, base, http)


def _allocated(served: Served) -> list[int]:
    with served.campus.store.session() as session:
        return sorted(row.allocated for row in session.exec(select(StatusListRow)))


def test_a_refusal_is_422_with_the_message_and_stores_nothing_but_the_audit_entry(
    served: Served, policy: AccreditationPolicy
) -> None:
    bearer = token(served, "issue")
    before = _allocated(served)
    refused = issue(served, bearer, {**UNSIGNED, "name": "Unaccredited Workshop"}, credentialId="urn:uuid:refused-1")
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["type"] == "urn:lerconnect:problem:issue-refused"
    assert body["detail"] == "workshop not accredited by the registrar's office"
    assert api_credentials.get(served.campus.store, "urn:uuid:refused-1") is None
    assert _allocated(served) == before  # no status index spent
    (entry,) = cred_store.audit_entries(served.campus.store, "urn:uuid:refused-1")
    assert entry.action == "refuse" and "workshop not accredited" in entry.reason
    client = next(c for c in policy.contexts if c.client_id is not None)
    assert client.kind == "achievement" and client.record is None
    assert client.learner.key == client.learner.did == "did:example:learner-42"


def test_what_the_plugin_lets_through_is_signed_with_its_extension(served: Served) -> None:
    bearer = token(served, "issue")
    response = issue(served, bearer, UNSIGNED, credentialId="urn:uuid:allowed-1")
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert signed["credentialSubject"]["achievement"]["tag"] == ["policy-checked"]
    lists = {d["id"]: d for d in served.services.issuer().status_list_documents()}
    result = verify_credential(signed, status_resolver=lists.__getitem__, key_resolver=served.services.ring.resolve)
    assert result.verified, result.failures()
    actions = [e.action for e in cred_store.audit_entries(served.campus.store, "urn:uuid:allowed-1")]
    assert actions == ["issue"]


def test_a_refused_id_can_be_issued_once_the_credential_passes(served: Served) -> None:
    bearer = token(served, "issue")
    unaccredited = {**UNSIGNED, "name": "Unaccredited Workshop"}
    assert issue(served, bearer, unaccredited, credentialId="urn:uuid:retry-1").status_code == 422
    assert issue(served, bearer, UNSIGNED, credentialId="urn:uuid:retry-1").status_code == 201
    actions = [e.action for e in cred_store.audit_entries(served.campus.store, "urn:uuid:retry-1")]
    assert actions == ["refuse", "issue"]
