"""Bounded canonicalization: hostile documents are refused with a clear error, never computed for minutes."""

import copy
from datetime import UTC, datetime

import pytest

from connector_core.issuer import (
    CanonicalizationLimitError,
    CanonLimits,
    SigningKey,
    canonicalize_reference,
    sign_credential,
    verify_credential,
)
from connector_core.issuer.fastpath import Canonicalizer

KEY = SigningKey.from_seed(bytes(range(32)))
VC2 = "https://www.w3.org/ns/credentials/v2"
TERMS = {
    "clique": "https://example.org/clique",
    "link": {"@id": "https://example.org/link", "@type": "@id"},
    "child": "https://example.org/child",
}


def clique_credential(k: int) -> dict:
    """A ~2 KB credential whose k blank nodes all link to each other (RDFC-1.0's worst case)."""
    nodes = [{"id": f"_:n{i}", "link": [f"_:n{j}" for j in range(k) if j != i]} for i in range(k)]
    return {
        "@context": [VC2, TERMS],
        "id": "urn:uuid:0b6d3c84-5f53-4a55-9d0f-8e4b9c1f2a10",
        "type": ["VerifiableCredential"],
        "issuer": KEY.did_key,
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "clique": nodes},
    }


def test_clique_is_refused_when_signing_on_both_paths():
    doc = clique_credential(9)  # unbounded, this takes minutes
    with pytest.raises(CanonicalizationLimitError, match=r"work limit.*symmetric"):
        sign_credential(doc, KEY, created=datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(CanonicalizationLimitError, match="work limit"):
        canonicalize_reference(doc)


def test_clique_is_refused_when_verifying():
    small = clique_credential(2)
    signed = sign_credential(
        small,
        KEY,
        created=datetime(2024, 1, 1, tzinfo=UTC),
        canonicalizer=Canonicalizer(limits=CanonLimits(max_work_factor=3)),
    )
    hostile = clique_credential(9)
    hostile["proof"] = signed["proof"]
    result = verify_credential(hostile)
    assert not result.verified
    assert any("work limit" in f for f in result.failures()), result.failures()


def test_an_ordinary_symmetric_pair_within_default_limit_signs_and_verifies():
    doc = clique_credential(2)
    doc["credentialSubject"]["clique"][0]["name"] = "first"  # breaks the symmetry: no deep work needed
    signed = sign_credential(doc, KEY, created=datetime(2024, 1, 1, tzinfo=UTC))
    assert verify_credential(signed).verified


def nested(depth: int) -> dict:
    doc = clique_credential(1)
    node = doc["credentialSubject"]
    for _ in range(depth):
        node["child"] = {"name": "x"}
        node = node["child"]
    return doc


@pytest.mark.parametrize("canonicalize", [canonicalize_reference, Canonicalizer().canonicalize])
def test_depth_and_size_are_capped_before_jsonld_processing(canonicalize):
    with pytest.raises(CanonicalizationLimitError, match="nested more than 64 levels"):
        canonicalize(nested(200))
    big = clique_credential(1)
    big["credentialSubject"]["name"] = "x" * (5 * 1024 * 1024)
    with pytest.raises(CanonicalizationLimitError, match="over the 4194304-byte limit"):
        canonicalize(big)


def test_deeply_nested_json_is_refused_not_a_recursion_error():
    doc = nested(100_000)
    with pytest.raises(CanonicalizationLimitError, match="nested"):
        sign_credential(doc, KEY)
    assert not verify_credential({**copy.copy(doc), "proof": {"type": "DataIntegrityProof"}}).verified


def test_verify_command_refuses_absurdly_nested_json_without_a_traceback(tmp_path):
    from click.testing import CliRunner

    from connector_core.cli import cli

    path = tmp_path / "nested.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    result = CliRunner().invoke(cli, ["verify", str(path)])
    assert result.exit_code == 1 and "FAILED" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
