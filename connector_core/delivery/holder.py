"""The wallet holder's side of a hand-over: who they are (DIDAuth, OID4VCI proof JWT) and their bound copy.

A bound copy is the stored credential with `credentialSubject.id` set to the holder's DID, a new
id, and a fresh proof made at hand-over; its `credentialStatus` is the original's, so revoking
the original revokes every copy.
"""

from __future__ import annotations

import base64
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import jwt

from connector_core.issuer import Canonicalizer, IssuerError, Signer, sign_credential, verify_proofs
from connector_core.issuer.keys import decode_public_multibase
from connector_core.issuer.proofs import HOLDER_SUITES

AUTHENTICATION = "authentication"
PROOF_JWT_TYPE = "openid4vci-proof+jwt"
JWT_ALGORITHMS = ("EdDSA", "ES256")
_BOUND = uuid.UUID("0f3b7e0c-4a55-5d43-9b7e-686f6c646572")


class HolderError(ValueError):
    """The wallet's proof of who it is does not hold; the message says which part and why."""


def _did_key_public(did: str) -> bytes:
    if not did.startswith("did:key:z6Mk"):
        raise HolderError(f"holder {did!r} is not an Ed25519 did:key (did:key:z6Mk…), the DID this issuer resolves")
    try:
        return decode_public_multibase(did.removeprefix("did:key:"))
    except IssuerError as exc:
        raise HolderError(f"holder {did!r}: {exc}") from None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def verify_didauth(
    presentation: Any, *, challenge: str, domain: str, canonicalizer: Canonicalizer | None = None
) -> str:
    """The holder DID of a DIDAuth presentation signed for `challenge` and `domain`, or HolderError.

    The proof has purpose `authentication` and is by a key of the holder's did:key (W3C VP Request
    Spec, "DID Authentication"): a Data Integrity eddsa-rdfc-2022 proof, or an Ed25519Signature2020
    one under the VC 1.1 context, as the Learner Credential Wallet signs. The challenge must match;
    the domain must match when the proof names one (LCW's deep-link flow signs none).
    """
    if not isinstance(presentation, Mapping):
        raise HolderError("verifiablePresentation must be a JSON object")
    types = presentation.get("type")
    if "VerifiablePresentation" not in (types if isinstance(types, list) else [types]):
        raise HolderError("verifiablePresentation.type must include VerifiablePresentation")
    holder = presentation.get("holder")
    holder = holder.get("id") if isinstance(holder, Mapping) else holder
    if not isinstance(holder, str) or not holder.startswith("did:"):
        raise HolderError("verifiablePresentation.holder must be the wallet's DID")
    _did_key_public(holder)
    proof = presentation.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, Mapping):
        raise HolderError("verifiablePresentation.proof must be one proof object")
    if not isinstance(proof.get("challenge"), str) or not _same(proof["challenge"], challenge):
        raise HolderError("the proof's challenge is not this exchange's: sign the challenge of the request received")
    if proof.get("domain") is not None and proof["domain"] != domain:  # LCW's deep-link flow names none
        raise HolderError(f"the proof's domain must be {domain!r}, the domain of the request")
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or method.partition("#")[0] != holder:
        raise HolderError("the proof's verificationMethod is not a key of the holder DID")
    try:
        results = verify_proofs(presentation, purpose=AUTHENTICATION, canonicalizer=canonicalizer, suites=HOLDER_SUITES)
    except IssuerError as exc:
        raise HolderError(f"the presentation cannot be checked: {exc}") from None
    if not results or not all(r.verified for r in results):
        raise HolderError("; ".join(r.message for r in results) or "the presentation has no proof")
    return holder


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def did_jwk(jwk: Mapping[str, Any]) -> str:
    """`did:jwk` of a public JWK (its members only, no private part), as OID4VCI `jwk` binding uses."""
    if "d" in jwk:
        raise HolderError("the proof's jwk holds a private key: send the public key only")
    public = {k: jwk[k] for k in ("crv", "kty", "x", "y") if k in jwk}
    return "did:jwk:" + _b64url(json.dumps(public, separators=(",", ":"), sort_keys=True).encode())


def verify_proof_jwt(token: Any, *, audience: str, nonce_ok: Any, max_age_seconds: int = 300) -> str:
    """The holder DID of an OID4VCI 1.0 `jwt` proof, or HolderError.

    Checks: typ `openid4vci-proof+jwt`; alg EdDSA or ES256; a key by `kid` (did:key) or `jwk`;
    the signature; `aud` is this issuer; `iat` recent; `nonce` accepted by `nonce_ok` (single use).
    """
    if not isinstance(token, str) or token.count(".") != 2:
        raise HolderError("proofs.jwt must hold compact JWT strings")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise HolderError(f"the proof JWT header is unreadable: {exc}") from None
    if header.get("typ") != PROOF_JWT_TYPE:
        raise HolderError(f"the proof JWT's typ must be {PROOF_JWT_TYPE!r}")
    if header.get("alg") not in JWT_ALGORITHMS:
        raise HolderError(f"the proof JWT's alg must be one of {', '.join(JWT_ALGORITHMS)}")
    if ("kid" in header) == ("jwk" in header):
        raise HolderError("the proof JWT header needs exactly one of kid (a did:key URL) or jwk")
    if "kid" in header:
        holder = str(header["kid"]).partition("#")[0]
        public: Any = jwt.PyJWK(
            {"kty": "OKP", "crv": "Ed25519", "x": _b64url(_did_key_public(holder))}, algorithm="EdDSA"
        ).key
    else:
        if not isinstance(header["jwk"], Mapping):
            raise HolderError("the proof JWT's jwk must be a JSON object")
        holder = did_jwk(header["jwk"])
        try:
            public = jwt.PyJWK(dict(header["jwk"]), algorithm=header["alg"]).key
        except jwt.PyJWTError as exc:
            raise HolderError(f"the proof JWT's jwk is not a usable {header['alg']} key: {exc}") from None
    try:
        claims = jwt.decode(
            token, public, algorithms=[header["alg"]], audience=audience, options={"require": ["aud", "iat"]}
        )
    except jwt.InvalidAudienceError:
        raise HolderError(f"the proof JWT's aud must be the credential issuer {audience!r}") from None
    except jwt.PyJWTError as exc:
        raise HolderError(f"the proof JWT does not verify: {exc}") from None
    age = datetime.now(UTC).timestamp() - float(claims["iat"])
    if age > max_age_seconds or age < -60:
        raise HolderError(f"the proof JWT's iat is not within the last {max_age_seconds} s: sign a fresh proof")
    if not isinstance(claims.get("nonce"), str) or not nonce_ok(claims["nonce"]):
        raise HolderError("the proof JWT's nonce is missing, used or expired: get a fresh c_nonce and sign again")
    return holder


def bound_id(original_id: str, holder: str) -> str:
    """The bound copy's id: the same holder gets the same id again (hand-over twice, one identity)."""
    return f"urn:uuid:{uuid.uuid5(_BOUND, original_id + chr(31) + holder)}"


def bind(
    document: Mapping[str, Any],
    holder: str,
    signer: Signer,
    *,
    canonicalizer: Canonicalizer | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """`document` re-bound to `holder` and signed now; status entry, achievement and result unchanged."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    subject = {"id": holder, **{k: v for k, v in dict(unsigned["credentialSubject"]).items() if k != "id"}}
    unsigned.update(
        id=bound_id(str(document["id"]), holder),
        credentialSubject=subject,
        validFrom=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return sign_credential(unsigned, signer, created=moment, canonicalizer=canonicalizer)
