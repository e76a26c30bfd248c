import stat

import pytest
from issuer_standards import load_json

from connector_core.issuer import KeyFileError, KeyRing, SigningKey, did_web
from connector_core.issuer.keys import did_web_url

SEED = bytes(range(32))


def test_w3c_multibase_keypair():
    pair = load_json("vectors", "vc-di-eddsa", "keyPair.json")
    key = SigningKey.from_multibase(pair["privateKeyMultibase"])
    assert key.public_key_multibase == pair["publicKeyMultibase"]
    assert key.private_key_multibase() == pair["privateKeyMultibase"]
    assert key.verification_method == f"did:key:{pair['publicKeyMultibase']}#{pair['publicKeyMultibase']}"


def test_1edtech_seed_then_public_and_64_byte_multibase():
    pair = load_json("vectors", "ob-v3p0-eddsa-rdfc-2022", "keypair.json")
    key = SigningKey.from_secret_bytes(bytes.fromhex(pair["privateKeyHex_seedThenPublic"]))
    assert key.public_key_multibase == pair["publicKeyMultibase"]
    assert key.public_bytes.hex() == pair["publicKeyHex"]
    assert SigningKey.from_multibase(pair["secretKeyMultibase"]).public_key_multibase == pair["publicKeyMultibase"]


def test_secret_bytes_must_match_public_half():
    with pytest.raises(KeyFileError, match="does not match"):
        SigningKey.from_secret_bytes(SEED + bytes(32))


def test_repr_has_no_private_material():
    key = SigningKey.from_seed(SEED)
    text = repr(key) + repr(key.bind("did:web:example.edu")) + repr(KeyRing("did:web:example.edu", key))
    assert key.private_key_multibase() not in text and SEED.hex() not in text
    assert key.public_key_multibase in repr(key)


def test_save_load_roundtrip_mode_0600(tmp_path):
    key = SigningKey.from_seed(SEED)
    path = key.save(tmp_path / "keys" / "issuer.pem", "correct horse")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    assert SigningKey.load(path, "correct horse").public_key_multibase == key.public_key_multibase


def test_wrong_passphrase_names_file_and_fix(tmp_path):
    key = SigningKey.from_seed(SEED)
    path = key.save(tmp_path / "issuer.pem", "right")
    with pytest.raises(KeyFileError) as err:
        SigningKey.load(path, "wrong")
    assert str(path) in str(err.value) and "passphrase" in str(err.value)
    assert key.private_key_multibase() not in str(err.value)
    with pytest.raises(KeyFileError, match="encrypted"):
        SigningKey.load(path, None)


def test_refuses_plaintext_unless_asked(tmp_path):
    key = SigningKey.from_seed(SEED)
    with pytest.raises(KeyFileError, match="unencrypted"):
        key.save(tmp_path / "k.pem", None)
    path = key.save(tmp_path / "k.pem", None, insecure_plaintext=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.load(path, None).public_key_multibase == key.public_key_multibase


def test_did_web_document_keeps_retired_keys():
    did = did_web("example.edu:8443", "issuers", "1")
    assert did == "did:web:example.edu%3A8443:issuers:1"
    assert did_web_url(did) == "https://example.edu:8443/issuers/1/did.json"
    assert did_web_url("did:web:example.edu") == "https://example.edu/.well-known/did.json"
    old, new = SigningKey.from_seed(SEED), SigningKey.from_seed(bytes(32))
    ring = KeyRing(did, old).rotate(new)
    doc = ring.did_document()
    ids = [vm["id"] for vm in doc["verificationMethod"]]
    assert ids == [f"{did}#{new.public_key_multibase}", f"{did}#{old.public_key_multibase}"]
    assert doc["assertionMethod"] == ids and doc["authentication"] == ids[:1]
    assert ring.resolve(f"{did}#{old.public_key_multibase}") == old.public_bytes
    assert ring.signer.verification_method == ids[0]
