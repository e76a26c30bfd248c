"""The demo's credentials, checked by the verifiers wallets use: Digital Bazaar's and LearnCard's (npm).

Runs a small demo, exports its credentials, and hands the folder to `verify.mjs` (pinned npm packages
in package-lock.json; `.ci/run` installs them with `npm ci`). Offline: the node side serves only the
contexts lerconnect pins (exported from its DocumentLoader), did:key locally, and the exported lists.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connector_core.issuer import DocumentLoader

HERE = Path(__file__).parent
NODE = shutil.which("node")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NODE is None, reason="node is not installed; the npm verifiers need Node 20+"),
    pytest.mark.skipif(
        not (HERE / "node_modules").is_dir(),
        reason=f"npm verifiers not installed: run `npm ci` in {HERE} (.ci/run does)",
    ),
]


def lerconnect(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lerconnect")
    result = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def node_verify(contexts: Path, folder: Path, *extra: str) -> dict:
    cmd = [NODE, str(HERE / "verify.mjs"), "--contexts", str(contexts), "--credentials", str(folder), *extra]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, cwd=HERE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("interop")
    db = work / "demo.db"
    lerconnect("demo", "--learners", "20", "--db", str(db))
    config = str(db.parent / "demo.db.sandbox" / "lerconnect-demo.toml")
    lerconnect("--config", config, "credentials", "export", "--db", str(db), "--out", str(work / "export"))
    return {"work": work, "db": db, "config": config, "contexts": DocumentLoader().export(work / "contexts")}


def test_both_verifiers_accept_every_demo_credential_and_clr(demo: dict) -> None:
    summary = node_verify(demo["contexts"], demo["work"] / "export")
    for verifier in ("db", "learncard"):
        result = summary[verifier]
        assert result["failures"] == [], (verifier, result["failures"][:5])
        assert result["ob"]["total"] > 0 and result["clr"]["total"] > 0
        assert result["ob"]["accepted"] == result["ob"]["total"]
        assert result["clr"]["accepted"] == result["clr"]["total"]


def test_both_verifiers_reject_tampered_credentials(demo: dict) -> None:
    summary = node_verify(demo["contexts"], demo["work"] / "export", "--tamper", "--sample", "15")
    for verifier in ("db", "learncard"):
        result = summary[verifier]
        assert result["ob"]["total"] == 15 and result["clr"]["total"] == 15
        assert result["ob"]["accepted"] == 0 and result["clr"]["accepted"] == 0, verifier


def test_digital_bazaar_reads_a_revocation_from_our_status_list(demo: dict) -> None:
    listed = json.loads(
        lerconnect(
            "--config",
            demo["config"],
            "credentials",
            "list",
            "--db",
            str(demo["db"]),
            "--kind",
            "achievement",
            "--limit",
            "1",
            "--json",
        ).stdout
    )
    victim = listed[0]["id"]
    lerconnect(
        "--config", demo["config"], "credentials", "revoke", victim, "--reason", "interop test", "--db", str(demo["db"])
    )
    everything = demo["work"] / "all"
    lerconnect(
        "--config", demo["config"], "credentials", "export", "--all", "--db", str(demo["db"]), "--out", str(everything)
    )
    only = demo["work"] / "revoked"
    only.mkdir()
    for path in everything.iterdir():  # the status list is `1`, at its URL's path: no extension
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc["id"] == victim or "BitstringStatusListCredential" in doc["type"]:
            shutil.copy(path, only / path.name)
    summary = node_verify(demo["contexts"], only, "--only", "db")["db"]
    assert summary["ob"] == {"total": 1, "accepted": 0}
    assert "status bit set: revocation" in summary["failures"][0]["error"]
