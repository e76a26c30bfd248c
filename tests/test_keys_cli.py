"""`lerconnect keys`: encrypted at rest by default, did:web documents that keep rotated keys."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from click.testing import CliRunner

from connector_core.cli import cli


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_generate_refuses_to_write_a_key_without_a_passphrase(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    code, out = run("keys", "generate", str(key), env={"LERCONNECT_KEY_PASSPHRASE": ""})
    assert code == 1 and "LERCONNECT_KEY_PASSPHRASE is not set" in out and not key.exists()
    code, out = run("keys", "generate", str(key), "--insecure-plaintext", env={"LERCONNECT_KEY_PASSPHRASE": ""})
    assert code == 0 and "UNENCRYPTED" in out


def test_generated_key_is_encrypted_0600_and_never_printed(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    code, out = run("keys", "generate", str(key), env={"LERCONNECT_KEY_PASSPHRASE": "s3cret-pass"})
    assert code == 0 and "did:key:z6Mk" in out
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    assert "PRIVATE" not in out and "s3cret-pass" not in out


def test_did_web_document_keeps_the_rotated_key(tmp_path: Path) -> None:
    config = tmp_path / "lerconnect.toml"
    config.write_text('[issuer]\nkey_file = "key.pem"\ndid_method = "web"\ndomain = "registrar.example.edu"\n')
    env = {"LERCONNECT_KEY_PASSPHRASE": "s3cret-pass"}
    assert run("--config", str(config), "keys", "generate", env=env)[0] == 0
    code, out = run("--config", str(config), "keys", "did-document", env=env)
    first = json.loads(out)
    assert code == 0 and first["id"] == "did:web:registrar.example.edu"
    assert run("--config", str(config), "keys", "rotate", env=env)[0] == 0
    second = json.loads(run("--config", str(config), "keys", "did-document", env=env)[1])
    methods = [m["id"] for m in second["verificationMethod"]]
    assert len(methods) == 2 and first["verificationMethod"][0]["id"] in methods
    assert second["assertionMethod"] == methods


def test_wrong_passphrase_names_the_file_and_the_fix(tmp_path: Path) -> None:
    config = tmp_path / "lerconnect.toml"
    config.write_text('[issuer]\nkey_file = "key.pem"\n')
    run("--config", str(config), "keys", "generate", env={"LERCONNECT_KEY_PASSPHRASE": "right"})
    code, out = run("--config", str(config), "keys", "show", env={"LERCONNECT_KEY_PASSPHRASE": "wrong"})
    assert code == 1 and "key.pem" in out and "wrong passphrase" in out and "PRIVATE" not in out
