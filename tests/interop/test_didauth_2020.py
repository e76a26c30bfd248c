"""Ed25519Signature2020 DIDAuth against Digital Bazaar's own suite (npm, pinned in package-lock.json):
a presentation their stack signs passes the exchange's DIDAuth check, ours passes theirs, and with the
same key and `created` both give the same proofValue. Offline: the node side gets only our pinned contexts."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from connector_core.delivery.holder import HolderError, verify_didauth
from connector_core.issuer import DocumentLoader, SigningKey
from connector_core.issuer.jsonld import ED25519_2020, VC_V1
from connector_core.testing.holder import Ed25519Signature2020Holder

HERE = Path(__file__).parent
NODE = shutil.which("node")
SEED = bytes(range(32))
pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
    pytest.mark.skipif(
        not (HERE / "node_modules" / "@digitalbazaar" / "ed25519-signature-2020").is_dir(),
        reason=f"npm verifiers not installed or older than package-lock.json: run `npm ci` in {HERE}",
    ),
]


@pytest.fixture(scope="module")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return DocumentLoader().export(tmp_path_factory.mktemp("contexts"))


def node(contexts: Path, *args: str) -> str:
    command = [NODE, str(HERE / "didauth2020.mjs"), "--contexts", str(contexts), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=HERE)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def js_signed(contexts: Path, challenge: str, domain: str) -> dict:
    return json.loads(node(contexts, "sign", "--seed", SEED.hex(), "--challenge", challenge, "--domain", domain))


def js_verifies(contexts: Path, tmp_path: Path, presentation: dict, challenge: str, domain: str) -> dict:
    path = tmp_path / "presentation.json"
    path.write_text(json.dumps(presentation), encoding="utf-8")
    return json.loads(
        node(contexts, "verify", "--presentation", str(path), "--challenge", challenge, "--domain", domain)
    )


def test_a_presentation_signed_by_digital_bazaars_suite_passes_our_didauth(contexts: Path) -> None:
    presentation = js_signed(contexts, "ch-1", "wallet.example.edu")
    assert presentation["@context"] == [VC_V1, ED25519_2020]
    assert presentation["proof"]["type"] == "Ed25519Signature2020"
    holder = verify_didauth(presentation, challenge="ch-1", domain="wallet.example.edu")
    assert holder == SigningKey.from_seed(SEED).did_key
    with pytest.raises(HolderError, match="challenge"):
        verify_didauth(presentation, challenge="ch-2", domain="wallet.example.edu")
    with pytest.raises(HolderError, match="signature does not match"):
        verify_didauth(
            {**presentation, "holder": presentation["holder"], "id": "urn:uuid:1d0c3b6e-0000-4000-8000-000000000001"},
            challenge="ch-1",
            domain="wallet.example.edu",
        )


def test_our_test_wallet_signs_what_digital_bazaars_suite_verifies_byte_for_byte(
    contexts: Path, tmp_path: Path
) -> None:
    theirs = js_signed(contexts, "ch-3", "wallet.example.edu")
    created = datetime.fromisoformat(theirs["proof"]["created"].replace("Z", "+00:00"))
    ours = Ed25519Signature2020Holder(SigningKey.from_seed(SEED)).present(
        challenge="ch-3", domain="wallet.example.edu", created=created
    )
    assert ours["proof"]["proofValue"] == theirs["proof"]["proofValue"]  # Ed25519 is deterministic
    assert js_verifies(contexts, tmp_path, ours, "ch-3", "wallet.example.edu") == {"verified": True, "error": None}
    refused = js_verifies(
        contexts,
        tmp_path,
        {**ours, "holder": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
        "ch-3",
        "wallet.example.edu",
    )
    assert refused["verified"] is False
