"""A learner's wallet in tests: a holder key that signs presentations (DIDAuth, VC-API and OID4VCI
flows), with proof purpose `authentication` and the verifier's challenge and domain in the proof."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import base58

from connector_core.issuer import SigningKey
from connector_core.issuer.fastpath import default_canonicalizer
from connector_core.issuer.jsonld import VC_V2
from connector_core.issuer.proofs import format_created, proof_options


@dataclass
class Holder:
    """A did:key holder; `present` signs a presentation of `credentials` for one challenge and domain."""

    key: SigningKey = field(default_factory=SigningKey.generate)

    @property
    def did(self) -> str:
        return self.key.did_key

    def present(self, credentials: Iterable[Mapping] = (), *, challenge: str | None, domain: str | None) -> dict:
        presentation: dict = {
            "@context": [VC_V2],
            "type": ["VerifiablePresentation"],
            "holder": self.did,
        }
        listed = list(credentials)
        if listed:
            presentation["verifiableCredential"] = listed
        options = proof_options(self.key.verification_method, format_created(datetime.now(UTC)), "authentication")
        if challenge is not None:
            options["challenge"] = challenge
        if domain is not None:
            options["domain"] = domain
        canon = default_canonicalizer()
        digest = b"".join(
            hashlib.sha256(canon.canonicalize(part).encode()).digest()
            for part in ({**options, "@context": presentation["@context"]}, presentation)
        )
        signature = "z" + base58.b58encode(self.key.sign(digest)).decode("ascii")
        return {**presentation, "proof": {**options, "proofValue": signature}}
