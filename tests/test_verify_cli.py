"""`lerconnect verify` on credentials that are not ours: the official signed examples."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner

from connector_core.cli import cli
from connector_core.testing import shared_path

SIGNED = ("standards", "examples", "ob-v3p0", "signed")


def _did_document(tmp_path: Path, example: Path) -> Path:
    """The issuer's key as a local DID document: https issuers cannot be fetched offline."""
    proof = json.loads(example.read_text())["proof"]
    method = (proof[0] if isinstance(proof, list) else proof)["verificationMethod"]
    path = tmp_path / "issuer.json"
    path.write_text(json.dumps({"verificationMethod": [{"id": method, "publicKeyMultibase": method.split("#")[1]}]}))
    return path


def verify(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", *map(str, args)])
    return result.exit_code, result.output


def test_official_signed_example_verifies_with_schema(tmp_path: Path) -> None:
    example = shared_path(*SIGNED, "simple.json")
    schemas = shared_path("standards", "schemas", "ob-v3p0")
    code, out = verify(example, "--schema-dir", schemas, "--did-document", _did_document(tmp_path, example))
    assert code == 0, out
    assert "pass proof" in out and "pass schema: valid against" in out and "skip schema" not in out


def test_without_the_issuers_key_the_proof_cannot_pass() -> None:
    code, out = verify(shared_path(*SIGNED, "simple.json"))
    assert code == 1 and "FAIL proof: no key resolver" in out


def test_unknown_context_is_named_and_an_operator_contexts_dir_serves_it(tmp_path: Path) -> None:
    document = json.loads(shared_path(*SIGNED, "simple.json").read_text())
    url = "https://contexts.example.edu/campus/v1"
    document["@context"].append(url)
    credential = tmp_path / "credential.json"
    credential.write_text(json.dumps(document))
    code, out = verify(credential, "--did-document", _did_document(tmp_path, credential))
    assert code == 1 and url in out
    contexts = tmp_path / "contexts"
    contexts.mkdir()
    body = json.dumps({"@context": {"campusNote": "https://contexts.example.edu/campus#note"}}).encode()
    (contexts / "campus.json").write_bytes(body)
    index = {"contexts": {url: {"file": "campus.json", "sha256": hashlib.sha256(body).hexdigest()}}}
    (contexts / "index.json").write_text(json.dumps(index))
    code, out = verify(credential, "--did-document", _did_document(tmp_path, credential), "--contexts-dir", contexts)
    assert code == 0, out  # served now; it defines no term the document uses, so the graph is unchanged
    assert url not in out
