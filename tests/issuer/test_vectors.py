"""Every published vector, byte for byte: canonical forms, hashes, signature, proofValue."""

import hashlib
from datetime import datetime

import base58
import pytest
from issuer_standards import load_json, standards_path

from connector_core.issuer import SigningKey, canonicalize_reference, sign_credential, verify_proofs

W3C = ("vc-di-eddsa", "eddsa-rdfc-2022")


def _text(*parts):
    return standards_path(*parts).read_text(encoding="utf-8")


def _created(proof):
    return datetime.fromisoformat(proof["created"].replace("Z", "+00:00"))


def test_w3c_vector_byte_for_byte(loader, canon):
    unsigned = load_json("vectors", "vc-di-eddsa", "unsigned.json")
    config = load_json("vectors", *W3C, "proofConfigDataInt.json")
    doc_nq, proof_nq = (
        _text("vectors", *W3C, "canonDocDataInt.txt"),
        _text("vectors", *W3C, "proofCanonDataInt.txt"),
    )
    for canonicalize in (lambda d: canonicalize_reference(d, loader), canon.canonicalize):
        assert canonicalize(unsigned) == doc_nq
        assert canonicalize(config) == proof_nq
    assert hashlib.sha256(doc_nq.encode()).hexdigest() == _text("vectors", *W3C, "docHashDataInt.txt").strip()
    assert hashlib.sha256(proof_nq.encode()).hexdigest() == _text("vectors", *W3C, "proofHashDataInt.txt").strip()
    key = SigningKey.from_multibase(load_json("vectors", "vc-di-eddsa", "keyPair.json")["privateKeyMultibase"])
    signed = sign_credential(unsigned, key, created=_created(config), canonicalizer=canon)
    expected = load_json("vectors", *W3C, "signedDataInt.json")
    assert signed["proof"]["proofValue"] == _text("vectors", *W3C, "sigBTC58DataInt.txt").strip()
    assert signed == expected
    assert [r.verified for r in verify_proofs(expected, canonicalizer=canon, check_issuer=False)] == [True]
    # the W3C vector's issuer is not the did:key controller, which VC verification must refuse
    (result,) = verify_proofs(expected, canonicalizer=canon)
    assert not result.verified and "not the controller" in result.message


@pytest.mark.parametrize("folder", ["ob-v3p0-eddsa-rdfc-2022", "clr-v2p0-eddsa-rdfc-2022"])
def test_1edtech_vector_byte_for_byte(folder, loader, canon):
    credential = load_json("vectors", folder, "credential.json")
    options = load_json("vectors", folder, "proof-options.json")
    expected = load_json("vectors", folder, "expected.json")
    doc_nq, proof_nq = (
        _text("vectors", folder, "document-canon.nq"),
        _text("vectors", folder, "proof-canon.nq"),
    )
    config = {**options, "@context": credential["@context"]}
    for canonicalize in (lambda d: canonicalize_reference(d, loader), canon.canonicalize):
        assert canonicalize(credential) == doc_nq
        assert canonicalize(config) == proof_nq
    assert hashlib.sha256(doc_nq.encode()).hexdigest() == expected["documentHashHex"]
    assert hashlib.sha256(proof_nq.encode()).hexdigest() == expected["proofHashHex"]
    pair = load_json("vectors", folder, "keypair.json")
    key = SigningKey.from_secret_bytes(bytes.fromhex(pair["privateKeyHex_seedThenPublic"]))
    signer = key.bind(pair["controller"])
    assert signer.verification_method == options["verificationMethod"]
    signed = sign_credential(credential, signer, created=_created(options), canonicalizer=canon)
    value = signed["proof"]["proofValue"]
    assert value == expected["proofValue (multibase base58btc, z-prefix)"]
    assert base58.b58decode(value[1:]).hex() == expected["signatureHex"]
    published = load_json("vectors", folder, "signed.json")
    published_proof = published["proof"][0] if isinstance(published["proof"], list) else published["proof"]
    assert published_proof["proofValue"] == value
    resolver = {options["verificationMethod"]: pair["publicKeyMultibase"]}.__getitem__
    assert [r.verified for r in verify_proofs(published, key_resolver=resolver, canonicalizer=canon)] == [True]
