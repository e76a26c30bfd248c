"""Safe mode: nothing JSON-LD would drop gets signed or verified; only allowlisted contexts load."""

import copy
import hashlib
import json
from datetime import UTC, datetime

import pytest
from issuer_standards import load_json

from connector_core.issuer import (
    ContextIntegrityError,
    ContextNotAllowed,
    DocumentLoader,
    SigningKey,
    UnsafeDocumentError,
    canonicalize_reference,
    sign_credential,
    verify_proofs,
)
from connector_core.issuer.fastpath import Canonicalizer

KEY = SigningKey.from_seed(bytes(range(32)))
WHEN = datetime(2024, 1, 1, tzinfo=UTC)


def base_doc():
    doc = copy.deepcopy(load_json("vectors", "ob-v3p0-eddsa-rdfc-2022", "credential.json"))
    doc["issuer"]["id"] = KEY.did_key
    return doc


def test_unlisted_context_names_url_and_fix():
    doc = base_doc()
    doc["@context"].append("https://evil.example/ctx.jsonld")
    for canonicalize in (canonicalize_reference, Canonicalizer().canonicalize):
        with pytest.raises(ContextNotAllowed) as err:
            canonicalize(doc)
        assert "https://evil.example/ctx.jsonld" in str(err.value) and "index.json" in str(err.value)


def test_builtin_loader_serves_no_test_only_context():
    with pytest.raises(ContextNotAllowed):
        DocumentLoader().get("https://www.w3.org/ns/credentials/examples/v2")


def test_extra_dir_adds_a_pinned_context(tmp_path):
    (tmp_path / "my.jsonld").write_text('{"@context": {"nick": "https://example.org/nick"}}')
    sha = hashlib.sha256((tmp_path / "my.jsonld").read_bytes()).hexdigest()
    (tmp_path / "index.json").write_text(
        json.dumps({"contexts": {"https://example.org/ctx": {"file": "my.jsonld", "sha256": sha}}})
    )
    assert DocumentLoader(extra_dir=tmp_path).get("https://example.org/ctx")["@context"]["nick"]
    (tmp_path / "my.jsonld").write_text('{"@context": {}}')
    with pytest.raises(ContextIntegrityError, match="pinned"):
        DocumentLoader(extra_dir=tmp_path).get("https://example.org/ctx")


@pytest.mark.parametrize(
    ("mutate", "term"),
    [
        (lambda d: d["credentialSubject"]["achievement"].__setitem__("fooBar", "x"), "fooBar"),
        (lambda d: d["credentialSubject"]["achievement"]["type"].append("FooType"), "FooType"),
        (
            lambda d: d["credentialSubject"]["achievement"].__setitem__("id", "achievements/1"),
            "achievements/1",
        ),
        (lambda d: d.__setitem__("issuanceDate", "2020-01-01T00:00:00Z"), "issuanceDate"),
        (
            lambda d: d.__setitem__(
                "credentialSchema",
                [
                    {
                        "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                        "type": "1EdTechJsonSchemaValidator2019",
                    }
                ],
            ),
            "1EdTechJsonSchemaValidator2019",
        ),
    ],
)
def test_dropped_terms_are_refused_at_signing_and_verification(mutate, term):
    doc = base_doc()
    mutate(doc)
    for canonicalize in (canonicalize_reference, Canonicalizer().canonicalize):
        with pytest.raises(UnsafeDocumentError, match=term):
            canonicalize(doc)
    with pytest.raises(UnsafeDocumentError, match=term):
        sign_credential(doc, KEY, created=WHEN)
    signed = sign_credential(base_doc(), KEY, created=WHEN)
    mutate(signed)
    (result,) = verify_proofs(signed)
    assert not result.verified and term in result.message


def test_extensions_context_makes_1edtech_schema_type_legal():
    doc = base_doc()
    doc["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/extensions.json")
    doc["credentialSchema"] = [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    signed = sign_credential(doc, KEY, created=WHEN)
    assert verify_proofs(signed)[0].verified
