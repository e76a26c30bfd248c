"""did.json and status lists over loopback HTTP: exactly the URLs credentials name, cacheable, public."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from serving import Served

from connector_core.issuer import SigningKey, verify_credential
from connector_core.issuing import load_key_ring, retired_file


def test_did_document_lists_current_and_retired_keys(served: Served) -> None:
    old = SigningKey.generate().public_key_multibase
    key_file = served.campus.tmp / "key.pem"
    retired_file(key_file).write_text(old + "\n")
    served.services.issuing.ring = load_key_ring(served.campus.settings.issuer, served.campus.tmp)
    response = served.get("/.well-known/did.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/did+ld+json"
    document = response.json()
    assert document["id"] == "did:web:registrar.test.example.edu"
    keys = {m["publicKeyMultibase"] for m in document["verificationMethod"]}
    assert keys == {served.services.ring.current.public_key_multibase, old}
    assert set(document["assertionMethod"]) == {m["id"] for m in document["verificationMethod"]}
    assert response.headers["access-control-allow-origin"] == "*"


def test_status_list_is_served_at_the_url_credentials_name(served: Served) -> None:
    credential = served.campus.live()[0].document
    url = credential["credentialStatus"]["statusListCredential"]
    response = served.get(urlsplit(url).path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vc+ld+json"
    assert response.headers["cache-control"].startswith("public, max-age=")
    listed = response.json()
    assert listed["id"] == url
    ring = served.services.ring
    result = verify_credential(credential, status_resolver={url: listed}.__getitem__, key_resolver=ring.resolve)
    assert result.verified, result.failures()

    again = served.get(urlsplit(url).path, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    stale = served.get(urlsplit(url).path, headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and json.loads(stale.content) == listed
    head = served.http.head(served.url(urlsplit(url).path), timeout=30)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == response.headers["etag"]
    assert head.headers["content-length"] == str(len(response.content))


def test_unknown_paths_answer_problem_details(served: Served) -> None:
    for path in ("/status/999", "/status/../../etc/passwd", "/nothing-here"):
        response = served.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404


def test_every_response_carries_the_security_headers(served: Served) -> None:
    for path in ("/.well-known/did.json", "/status/1", "/nothing-here"):
        headers = served.get(path).headers
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
