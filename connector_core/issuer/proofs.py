"""Data Integrity proofs with cryptosuite eddsa-rdfc-2022 (W3C vc-di-eddsa §3.3): sign and verify.

hashData = SHA-256(canonical proof config) ‖ SHA-256(canonical document); Ed25519 over it;
proofValue = `z` + base58btc(signature). The proof config hash depends only on the key, purpose,
`created` and the @context list, so a batch computes it once.

Verification also knows the older Ed25519Signature2020 suite (W3C CCG di-eddsa-2020), because the
Learner Credential Wallet signs its DIDAuth presentations with it. Its hashData is built the same
way (URDNA2015 = RDFC-1.0 of the proof options without proofValue under the document's @context,
and of the document without proof; SHA-256 of each, options first); only the proof's `type` (and
the absence of a `cryptosuite`) tell them apart. Callers choose which suites they accept: this
issuer's credentials are eddsa-rdfc-2022 only, holders' presentations may use either.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import base58

from .errors import IssuerError, KeyResolutionError, ProofError
from .fastpath import Canonicalizer, default_canonicalizer
from .jsonld import DATA_INTEGRITY_V2, VC_V2
from .keys import Signer, decode_public_multibase, verify_signature

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
ASSERTION = "assertionMethod"

#: a suite as verify_proofs matches it: (proof type, cryptosuite); Ed25519Signature2020 names none
Suite = tuple[str, str | None]
EDDSA_RDFC_2022: Suite = (PROOF_TYPE, CRYPTOSUITE)
ED25519_SIGNATURE_2020: Suite = ("Ed25519Signature2020", None)
#: what a holder may sign a presentation with (DIDAuth, /presentations/verify)
HOLDER_SUITES: tuple[Suite, ...] = (EDDSA_RDFC_2022, ED25519_SIGNATURE_2020)

#: verification method -> Ed25519 public key (32 raw bytes or a `z6Mk…` multibase string)
KeyResolver = Callable[[str], bytes | str]


def format_created(created: datetime | None) -> str:
    """XML Schema dateTimeStamp in UTC, second precision (what wallets and suites expect)."""
    when = created or datetime.now(UTC)
    if when.tzinfo is None:
        raise ProofError("created must be timezone-aware (e.g. datetime.now(UTC)); a naive time is ambiguous")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def secured_context(document: Mapping) -> Any:
    """The document's @context, plus Data Integrity v2 when neither it nor VC 2.0 is present."""
    ctx = document.get("@context")
    items = ctx if isinstance(ctx, list) else [ctx]
    if VC_V2 in items or DATA_INTEGRITY_V2 in items:
        return ctx
    return [*items, DATA_INTEGRITY_V2]


def proof_options(verification_method: str, created: str, purpose: str = ASSERTION) -> dict:
    return {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": purpose,
    }


def _hash(nquads: str) -> bytes:
    return hashlib.sha256(nquads.encode("utf-8")).digest()


def _split(document: Mapping) -> tuple[dict, list]:
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    existing = document.get("proof")
    proofs = [] if existing is None else list(existing) if isinstance(existing, list) else [existing]
    return unsecured, proofs


def sign_many(
    documents: Iterable[Mapping],
    key: Signer,
    *,
    created: datetime | None = None,
    canonicalizer: Canonicalizer | None = None,
) -> list[dict]:
    """Sign a batch with one key and one `created`; the proof config is canonicalized once per @context."""
    canon = canonicalizer or default_canonicalizer()
    stamp = format_created(created)
    options = proof_options(key.verification_method, stamp)
    config_hashes: dict[str, bytes] = {}
    out = []
    for document in documents:
        unsecured, proofs = _split(document)
        ctx = secured_context(unsecured)
        unsecured["@context"] = ctx
        ctx_key = repr(ctx)
        proof_hash = config_hashes.get(ctx_key)
        if proof_hash is None:
            proof_hash = config_hashes[ctx_key] = _hash(canon.canonicalize({**options, "@context": ctx}))
        data = proof_hash + _hash(canon.canonicalize(unsecured))
        proof = {**options, "proofValue": "z" + base58.b58encode(key.sign(data)).decode("ascii")}
        out.append({**unsecured, "proof": [*proofs, proof] if proofs else proof})
    return out


def sign_credential(
    document: Mapping,
    key: Signer,
    *,
    created: datetime | None = None,
    canonicalizer: Canonicalizer | None = None,
) -> dict:
    """Return a copy of `document` with an eddsa-rdfc-2022 proof added (a proof set if one exists)."""
    return sign_many([document], key, created=created, canonicalizer=canonicalizer)[0]


@dataclass(frozen=True)
class ProofResult:
    """Outcome of checking one proof; `message` says what failed and why."""

    verified: bool
    verification_method: str | None
    message: str


def resolve_did_key(verification_method: str) -> bytes:
    """did:key:z6Mk…#z6Mk… resolves offline to its own Ed25519 Multikey."""
    did, _, fragment = verification_method.partition("#")
    multibase = did.removeprefix("did:key:")
    if fragment and fragment != multibase:
        raise KeyResolutionError(f"{verification_method}: fragment must repeat the did:key value")
    return decode_public_multibase(multibase)


def controller_of(verification_method: str) -> str:
    return verification_method.partition("#")[0]


def issuer_id(document: Mapping) -> str | None:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, Mapping) else issuer


def verify_proofs(
    document: Mapping,
    *,
    key_resolver: KeyResolver | None = None,
    purpose: str = ASSERTION,
    canonicalizer: Canonicalizer | None = None,
    check_issuer: bool = True,
    suites: tuple[Suite, ...] = (EDDSA_RDFC_2022,),
) -> list[ProofResult]:
    """Check every proof on `document` (a proof set); an empty list means there was no proof.

    `check_issuer=False` skips the issuer-is-key-controller rule (only for bare Data Integrity tests).
    `suites` are the proof suites accepted; a proof of any other fails.
    """
    if not isinstance(document, Mapping):
        return [ProofResult(False, None, "document is not a JSON object")]
    canon = canonicalizer or default_canonicalizer()
    unsecured, proofs = _split(document)
    return [_verify_one(unsecured, p, key_resolver, purpose, canon, check_issuer, suites) for p in proofs]


def _verify_one(
    unsecured: dict,
    proof: Any,
    key_resolver: KeyResolver | None,
    purpose: str,
    canon: Canonicalizer,
    check_issuer: bool,
    suites: tuple[Suite, ...],
) -> ProofResult:
    if not isinstance(proof, Mapping):
        return ProofResult(False, None, "proof is not a JSON object")
    vm = proof.get("verificationMethod")
    missing = [k for k in ("type", "verificationMethod", "proofPurpose", "proofValue") if not proof.get(k)]
    if missing:
        return ProofResult(False, vm, f"proof lacks {', '.join(missing)}")
    if (proof["type"], proof.get("cryptosuite")) not in suites:
        accepted = " or ".join("/".join(n for n in suite if n) for suite in suites)
        return ProofResult(
            False,
            vm,
            f"unsupported proof {proof['type']}/{proof.get('cryptosuite')}; only {accepted} is verified here",
        )
    if proof["proofPurpose"] != purpose:
        return ProofResult(False, vm, f"proofPurpose is {proof['proofPurpose']!r}, expected {purpose!r}")
    issuer = issuer_id(unsecured)
    if check_issuer and issuer is not None and issuer != controller_of(vm):
        return ProofResult(False, vm, f"issuer {issuer} is not the controller of key {vm}")
    value = proof["proofValue"]
    try:
        if not value.startswith("z"):
            raise ValueError("proofValue must be multibase base58btc ('z…')")
        signature = base58.b58decode(value[1:])
        if len(signature) != 64:
            raise ValueError(f"signature is {len(signature)} bytes, expected 64")
        public = _resolve(vm, key_resolver)
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        config["@context"] = unsecured.get("@context")
        data = _hash(canon.canonicalize(config)) + _hash(canon.canonicalize(unsecured))
    except (IssuerError, ValueError) as exc:
        return ProofResult(False, vm, str(exc))
    if not verify_signature(public, signature, data):
        return ProofResult(False, vm, "signature does not match: the credential was changed or signed by another key")
    return ProofResult(True, vm, f"signature verified with {vm}")


def _resolve(vm: str, key_resolver: KeyResolver | None) -> bytes:
    if vm.startswith("did:key:"):
        return resolve_did_key(vm)
    if key_resolver is None:
        raise KeyResolutionError(f"no key resolver for {vm}; only did:key resolves without one")
    key = key_resolver(vm)
    return decode_public_multibase(key) if isinstance(key, str) else bytes(key)
