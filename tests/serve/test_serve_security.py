"""The security promises, each tried over loopback HTTP: authentication and scopes, hashed secrets,
no personal data in logs, CSP and cookies, CSRF, rate limits, and bad input answered 400 ProblemDetails."""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from serving import Served, web_campus
from sqlalchemy import select, update
from test_serve_issuer_api import UNSIGNED, issue, token

from connector_core.serve.app import create_app
from connector_core.serve.clients import register
from connector_core.serve.services import Services
from connector_core.store.tables import ServeClientRow, ServeTokenRow, utcnow
from connector_core.testing.served_app import served_app

PROBLEM = "application/problem+json"
API = ("/credentials/issue", "/credentials/status")
JSON_ENDPOINTS = ("/credentials/verify", "/presentations/verify", *API)


def assert_problem(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


@pytest.mark.parametrize("path", API)
def test_issuer_api_refuses_unauthenticated_calls(served: Served, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic Zm9vOmJhcg=="}):
        response = served.post(path, json={"credential": UNSIGNED}, headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_wrong_scope_is_refused(served: Served) -> None:
    bearer = token(served, "status")
    assert_problem(issue(served, bearer, UNSIGNED), 403)
    only_issue = token(served, "issue")
    body = {
        "credentialId": "x",
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        "status": True,
    }
    response = served.post("/credentials/status", json=body, headers={"Authorization": f"Bearer {only_issue}"})
    assert_problem(response, 403)


def test_a_client_cannot_ask_for_more_than_its_scopes(served: Served) -> None:
    client_id, secret = register(served.campus.store, "crm", ["status"])
    response = served.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": "issue"}, auth=(client_id, secret)
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_wrong_secret_unknown_client_and_wrong_grant_are_refused(served: Served) -> None:
    client_id, secret = register(served.campus.store, "crm", ["issue"])
    for auth in ((client_id, secret + "x"), ("lc_nobody", secret)):
        response = served.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=auth)
        assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    response = served.post("/oauth/token", data={"grant_type": "password"}, auth=(client_id, secret))
    assert response.json()["error"] == "unsupported_grant_type"
    # client_secret_post works too
    response = served.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )
    assert response.status_code == 200


def test_expired_tokens_and_removed_clients_stop_working(served: Served) -> None:
    from connector_core.store.serve_clients import remove_client

    bearer = token(served, "issue")
    with served.campus.store.session() as session:
        session.execute(update(ServeTokenRow).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert_problem(issue(served, bearer, UNSIGNED), 401)
    bearer = token(served, "issue")
    with served.campus.store.session() as session:
        client_id = session.scalars(select(ServeTokenRow.client_id)).first()
    assert remove_client(served.campus.store, client_id)
    assert_problem(issue(served, bearer, UNSIGNED), 401)


def test_secrets_and_tokens_are_stored_only_as_digests(served: Served) -> None:
    client_id, secret = register(served.campus.store, "crm", ["issue"])
    response = served.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    bearer = response.json()["access_token"]
    with served.campus.store.session() as session:
        rows = [*session.scalars(select(ServeClientRow)), *session.scalars(select(ServeTokenRow))]
        stored = json.dumps([r.model_dump(mode="json") for r in rows])
    assert client_id in stored and secret not in stored and bearer not in stored


@pytest.fixture
def named_campus(tmp_path, store, monkeypatch) -> Iterator[Served]:
    """A campus whose credentials carry the learner's name in clear (show_name), to look for it in logs."""
    campus = web_campus(tmp_path, store, monkeypatch)
    privacy = campus.settings.issuer.privacy.model_copy(update={"show_name": True})
    issuer = campus.settings.issuer.model_copy(update={"privacy": privacy})
    campus.settings = campus.settings.model_copy(update={"issuer": issuer})
    services = Services.from_settings(campus.settings, store, campus.registry.hook)
    with served_app(create_app(campus.settings, store, services=services)) as base, requests.Session() as http:
        yield Served(campus, services, base, http)


def test_no_personal_data_reaches_the_logs(named_campus: Served, debug_log: pytest.LogCaptureFixture) -> None:
    served = named_campus
    credential = served.campus.live()[0].document
    secret_name = "Zelda Quintessa-Marlowe"
    credential = copy.deepcopy(credential)
    credential["credentialSubject"]["name"] = secret_name  # also breaks the signature: failures are logged too?
    posted = {
        **UNSIGNED,
        "credentialSubject": {**UNSIGNED["credentialSubject"], "name": secret_name, "email": "zelda@example.edu"},
    }
    bearer = token(served, "issue")
    served.post("/credentials/verify", json={"verifiableCredential": credential})
    served.post("/credentials/verify", data=json.dumps({"verifiableCredential": credential})[:-5])  # malformed
    issue(served, bearer, posted, credentialId="urn:uuid:pii-check")
    issue(served, bearer, {**posted, "validFrom": secret_name})
    token_form = served.get("/verify").text.split('name="csrf_token" value="')[1].split('"')[0]
    served.post("/verify", data={"csrf_token": token_form, "credential": json.dumps(credential)})
    lines = [debug_log.handler.format(r) for r in debug_log.records] + [r.getMessage() for r in debug_log.records]
    assert any("POST /credentials/verify" in line for line in lines), "the access log ran"
    for needle in ("Zelda", "Quintessa", "zelda@example.edu", bearer):
        assert not [line for line in lines if needle in line], needle


def test_csp_and_security_headers_on_pages_api_and_errors(served: Served) -> None:
    responses = [
        served.get("/verify"),
        served.post("/credentials/verify", json={}),
        served.post("/credentials/issue", json={}),
        served.get("/static/verify.js"),
    ]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert response.headers["x-frame-options"] == "DENY"
    assert '<script src="/static/verify.js"' in responses[0].text and "<script>" not in responses[0].text


def test_cookies_are_http_only_strict_and_secure_behind_https(tmp_path, store, monkeypatch) -> None:
    campus = web_campus(tmp_path, store, monkeypatch, public_base_url="https://credentials.test.example.edu")
    app = create_app(campus.settings, store, hook=campus.registry.hook)
    with served_app(app) as base:
        response = requests.get(base + "/verify", timeout=30)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-lerconnect-csrf=")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_the_token_and_verify_endpoints_are_rate_limited(tmp_path, store, monkeypatch) -> None:
    campus = web_campus(tmp_path, store, monkeypatch, rate_limit_per_minute=3)
    with served_app(create_app(campus.settings, store, hook=campus.registry.hook)) as base:
        tokens = [
            requests.post(base + "/oauth/token", data={"grant_type": "client_credentials"}, auth=("a", "b"), timeout=30)
            for _ in range(5)
        ]
        verifies = [
            requests.post(base + "/credentials/verify", json={"verifiableCredential": {"id": "x"}}, timeout=30)
            for _ in range(5)
        ]
    assert [c.status_code for c in tokens] == [401, 401, 401, 429, 429]
    assert [c.status_code for c in verifies] == [400, 400, 400, 429, 429]  # a budget of its own
    assert tokens[-1].headers["retry-after"].isdigit()
    assert tokens[-1].headers["content-type"] == PROBLEM


def test_without_an_issuer_only_the_verifier_is_served(tmp_path, store) -> None:
    from connector_core.config import Settings
    from connector_core.issuer import SigningKey, sign_credential

    key = SigningKey.generate()
    draft = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": key.did_key,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:someone"},
    }
    with served_app(create_app(Settings(), store)) as base:
        verified = requests.post(
            base + "/credentials/verify", json={"verifiableCredential": sign_credential(draft, key)}, timeout=30
        )
        assert verified.status_code == 200, verified.text
        assert requests.get(base + "/verify", timeout=30).status_code == 200
        for path in ("/credentials/issue", "/credentials/status", "/oauth/token"):
            assert_problem(requests.post(base + path, json={}, timeout=30), 404)
        assert_problem(requests.get(base + "/.well-known/did.json", timeout=30), 404)


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


BAD_BODIES = {
    "malformed JSON": ('{"verifiableCredential": {', "application/json"),
    "not an object": ("[1, 2, 3]", "application/json"),
    "wrong type": (
        json.dumps(
            {
                "verifiableCredential": "a string",
                "credential": 5,
                "verifiablePresentation": [],
                "credentialId": 7,
                "credentialStatus": "x",
                "status": "maybe",
            }
        ),
        "application/json",
    ),
    "empty": ("", "application/json"),
    "not JSON at all": ("credential=yes", "application/x-www-form-urlencoded"),
    "text": ("hello", "text/plain"),
    "deep nesting": (_nested(100_000), "application/json"),
    "invalid UTF-8": (b'{"verifiableCredential": "\xff\xfe"}', "application/json"),
}


def test_bad_bodies_get_400_problem_details_never_500(served: Served) -> None:
    bearer = token(served, "issue", "status")
    answers = {}
    for path in JSON_ENDPOINTS:
        for case, (body, content_type) in BAD_BODIES.items():
            headers = {"Content-Type": content_type, "Authorization": f"Bearer {bearer}"}
            response = served.post(path, data=body, headers=headers)
            answers[(path, case)] = (response.status_code, response.headers["content-type"])
    assert {where: answer for where, answer in answers.items() if answer != (400, PROBLEM)} == {}


@pytest.mark.parametrize("path", [*JSON_ENDPOINTS, "/verify", "/oauth/token"])
def test_oversize_bodies_are_refused_with_400(served: Served, path: str) -> None:
    limit = served.services.serve.max_body_bytes
    big = b'{"verifiableCredential": "' + b"x" * limit + b'"}'
    assert_problem(served.post(path, data=big, headers={"Content-Type": "application/json"}), 400)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds for streamed bodies too
        yield b'{"verifiableCredential": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    body = assert_problem(served.post(path, data=chunks(), headers={"Content-Type": "application/json"}), 400)
    assert "max_body_bytes" in body["detail"]


def test_unknown_contexts_are_400_on_verify_and_issue(served: Served) -> None:
    credential = copy.deepcopy(served.campus.live()[0].document)
    credential["@context"].append("https://evil.example/context.json")
    body = assert_problem(served.post("/credentials/verify", json={"verifiableCredential": credential}), 400)
    assert "allowlist" in body["detail"]
    unsigned = {**UNSIGNED, "@context": [*UNSIGNED["@context"], "https://evil.example/context.json"]}
    body = assert_problem(issue(served, token(served, "issue"), unsigned), 400)
    assert "allowlist" in body["detail"]


def test_unexpected_errors_are_500_problem_details_without_the_message(served: Served, monkeypatch, caplog) -> None:
    def broken(document, **_):
        raise RuntimeError("secret learner data in the message")

    monkeypatch.setattr(served.services.verifier, "credential", broken)
    caplog.set_level(logging.ERROR)  # every logger: uvicorn's own error log once quoted the message
    for name in ("lerconnect", "uvicorn", "uvicorn.error"):
        monkeypatch.setattr(logging.getLogger(name), "propagate", True)
    response = served.post("/credentials/verify", json={"verifiableCredential": {"id": "x"}})
    body = assert_problem(response, 500)
    deadline = time.monotonic() + 1  # uvicorn would log after the response is sent: give it the time
    while time.monotonic() < deadline and "secret learner data" not in caplog.text:
        time.sleep(0.05)
    assert "secret learner data" not in response.text and "secret learner data" not in caplog.text
    assert "internal error on POST /credentials/verify: RuntimeError" in caplog.text  # the route, never a token
    assert body["title"] == "Internal error"
