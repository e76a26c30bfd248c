"""Our number rule against jsonld.js itself: every number we accept canonicalizes as it does in JavaScript,
and the ones we refuse are ones where the two engines really differ."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from connector_core.issuer import DocumentLoader
from connector_core.issuer.jsonld import canonicalize_reference
from connector_core.issuer.jsonnumbers import interop_safe
from connector_core.issuer.limits import CanonLimits

HERE = Path(__file__).parent
NODE = shutil.which("node")
pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
    pytest.mark.skipif(not (HERE / "node_modules").is_dir(), reason=f"run `npm ci` in {HERE} (.ci/run does)"),
]
SAMPLES = [0, 1, 3, 3.0, 0.1, 0.25, 2.675, 3.5, 4.35, 1e-6, 2.5e-6, 9.99e-7, 123456.7, 1.5e300, 2**53 - 1, -12.5]
REFUSED = [5e-7, 1e-7, 3e-9, 2**53 + 1, 12345678901234567890]


def doc_with(value):
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", {"n": "https://example.org/n"}],
        "id": "urn:x:1",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:1",
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:2", "n": value},
    }


def test_accepted_numbers_match_jsonld_js_and_refused_ones_differ(tmp_path: Path) -> None:
    contexts = DocumentLoader().export(tmp_path / "contexts")
    values = SAMPLES + REFUSED
    (tmp_path / "docs.json").write_text(json.dumps([doc_with(v) for v in values]))
    run = subprocess.run(
        [NODE, str(HERE / "canonize.mjs"), "--contexts", str(contexts), str(tmp_path / "docs.json")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=HERE,
    )
    assert run.returncode == 0, run.stderr
    javascript = [json.loads(line) for line in run.stdout.splitlines()]
    unchecked = _without_number_check()
    for value, js in zip(values, javascript, strict=True):
        ours = unchecked(doc_with(value))
        assert interop_safe(value) is (ours == js), (value, ours, js)
    assert not any(interop_safe(v) for v in REFUSED)


def _without_number_check():
    """The reference path minus the number rule, to show what would be signed without it."""
    from connector_core.issuer import jsonld

    def canonicalize(document):
        original = jsonld.check_numbers
        jsonld.check_numbers = lambda _doc: None
        try:
            return canonicalize_reference(document, limits=CanonLimits())
        finally:
            jsonld.check_numbers = original

    return canonicalize
