"""`lerconnect keys`: encrypted at rest by default, did:web documents that keep rotated keys."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from connector_core.cli import cli
from connector_core.issuer import SigningKey

SCRYPT_OID = bytes.fromhex("06092b06010401da47040b")  # 1.3.6.1.4.1.11591.4.11
PBKDF2_OID = bytes.fromhex("06092a864886f70d01050c")  # 1.2.840.113549.1.5.12


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_generate_refuses_to_write_a_key_without_a_passphrase(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    code, out = run("keys", "generate", str(key), env={"LERCONNECT_KEY_PASSPHRASE": ""})
    assert code == 2 and "LERCONNECT_KEY_PASSPHRASE is not set" in out and not key.exists()
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
    code, out = run("--config", str(config), "keys", "show", env={"LERCONNECT_KEY_PASSPHRASE": "not-the-right-one"})
    assert code == 1 and "key.pem" in out and "wrong passphrase" in out and "PRIVATE" not in out


def test_rotate_with_a_passphrase_file_keeps_a_working_key_and_archives_the_old(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("from-a-file\n")
    config = tmp_path / "lerconnect.toml"
    config.write_text(f'[issuer]\nkey_file = "key.pem"\npassphrase = "file:{secret}"\n')
    old = SigningKey.generate()
    old.save(tmp_path / "key.pem", "from-a-file")
    code, out = run("--config", str(config), "keys", "rotate", env={"LERCONNECT_KEY_PASSPHRASE": ""})
    assert code == 0, out
    new = SigningKey.load(tmp_path / "key.pem", "from-a-file")
    assert new.public_key_multibase != old.public_key_multibase
    (archived,) = tmp_path.glob("key.*.retired.pem")
    assert SigningKey.load(archived, "from-a-file").public_key_multibase == old.public_key_multibase
    assert (tmp_path / "key.pem.retired").read_text().split() == [old.public_key_multibase]
    assert not list(tmp_path.glob(".key.pem.new*"))


def test_a_failed_rotation_leaves_the_current_key_in_place(tmp_path: Path) -> None:
    config = tmp_path / "lerconnect.toml"
    config.write_text('[issuer]\nkey_file = "keys/key.pem"\n')
    old = SigningKey.generate()
    old.save(tmp_path / "keys" / "key.pem", "pw-1234")
    (tmp_path / "keys" / ".key.pem.new").mkdir()  # the staging name is taken: writing the new key fails
    code, _ = run("--config", str(config), "keys", "rotate", env={"LERCONNECT_KEY_PASSPHRASE": "pw-1234"})
    assert code != 0
    assert SigningKey.load(tmp_path / "keys" / "key.pem", "pw-1234").public_key_multibase == old.public_key_multibase
    assert not list((tmp_path / "keys").glob("*.retired*"))


def test_keys_are_encrypted_with_scrypt_and_old_pbkdf2_keys_still_load(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = key.save(tmp_path / "new.pem", "pw-1234")
    der = base64.b64decode("".join(path.read_text().splitlines()[1:-1]))
    assert SCRYPT_OID in der and PBKDF2_OID not in der  # PBES2 with scrypt, not PBKDF2
    assert SigningKey.load(path, "pw-1234").public_key_multibase == key.public_key_multibase
    legacy = tmp_path / "legacy.pem"  # what lerconnect wrote before: PBKDF2 with 2,048 rounds
    legacy.write_bytes(
        key._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw-1234"),
        )
    )
    assert PBKDF2_OID in base64.b64decode("".join(legacy.read_text().splitlines()[1:-1]))
    assert SigningKey.load(legacy, "pw-1234").public_key_multibase == key.public_key_multibase


def test_configuration_problems_of_the_issuer_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "lerconnect.toml"
    config.write_text('[issuer]\nkey_file = "key.pem"\n')
    code, out = run("--config", str(config), "keys", "show", env={"LERCONNECT_KEY_PASSPHRASE": "pw-1234"})
    assert code == 2 and "no signing key at" in out
    SigningKey.generate().save(tmp_path / "key.pem", "pw-1234")
    code, out = run("--config", str(config), "keys", "show", env={"LERCONNECT_KEY_PASSPHRASE": ""})
    assert code == 2 and "LERCONNECT_KEY_PASSPHRASE is not set" in out
    config.write_text('[issuer]\nkey_file = "key.pem"\ndid_method = "web"\n')
    code, out = run("--config", str(config), "keys", "show", env={"LERCONNECT_KEY_PASSPHRASE": "pw-1234"})
    assert code == 2 and "[issuer].domain is not set" in out
