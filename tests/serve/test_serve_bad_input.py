"""Every field of a real credential (and of an issue request) swapped for each JSON type: the answer is
200 or 400 ProblemDetails, never a 500. What a stranger posts cannot break the verifier or the issuer."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from serving import Served, web_campus
from test_serve_issuer_api import UNSIGNED

from connector_core.serve.app import create_app
from connector_core.serve.clients import register
from connector_core.serve.services import Services
from connector_core.testing.served_app import served_app

SWAPS: tuple[Any, ...] = (None, -1.5e308, "", True, [None], {"@id": 5})


def paths(value: Any, prefix: tuple = (), depth: int = 4) -> Iterator[tuple]:
    """Every key path of a JSON value down to `depth` (list items by index, the first two only)."""
    if len(prefix) >= depth:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from paths(inner, (*prefix, key), depth)
    elif isinstance(value, list):
        for index, inner in enumerate(value[:2]):
            yield (*prefix, index)
            yield from paths(inner, (*prefix, index), depth)


def swapped(document: dict, path: tuple, value: Any) -> dict:
    copied = copy.deepcopy(document)
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copied


@pytest.fixture
def unlimited(tmp_path, store, monkeypatch) -> Iterator[Served]:
    campus = web_campus(tmp_path, store, monkeypatch, rate_limit_per_minute=1_000_000, access_log=False)
    services = Services.from_settings(campus.settings, store, campus.registry.hook)
    with served_app(create_app(campus.settings, store, services=services)) as base, requests.Session() as http:
        yield Served(campus, services, base, http)


def _answers(served: Served, path: str, bodies: Iterator[tuple[tuple, dict]], **headers: str) -> dict:
    wrong = {}
    for where, body in bodies:
        response = served.post(path, json=body, headers=headers)
        ok = response.status_code in (200, 201) or (
            response.status_code in (400, 409) and response.headers["content-type"] == "application/problem+json"
        )
        if not ok:
            wrong[where] = (response.status_code, response.text[:200])
    return wrong


def test_verify_never_fails_on_a_mutated_credential(unlimited: Served) -> None:
    credential = unlimited.campus.live()[0].document
    bodies = (
        ((path, repr(value)), {"verifiableCredential": swapped(credential, path, value)})
        for path in paths(credential)
        for value in SWAPS
    )
    assert _answers(unlimited, "/credentials/verify", bodies) == {}


def test_issue_never_fails_on_a_mutated_request(unlimited: Served) -> None:
    client_id, secret = register(unlimited.campus.store, "fuzz", ["issue"])
    token = unlimited.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    request = {"credential": UNSIGNED, "options": {"credentialId": "urn:uuid:fuzz"}}
    bodies = (
        ((path, repr(value)), swapped(request, path, value) | {"options": {"credentialId": f"urn:uuid:{n}"}})
        if path[0] != "options"
        else ((path, repr(value)), swapped(request, path, value))
        for n, (path, value) in enumerate((p, v) for p in paths(request) for v in SWAPS)
    )
    assert _answers(unlimited, "/credentials/issue", bodies, **bearer) == {}
