"""A learner's wallet in tests: a holder key that signs presentations (DIDAuth, VC-API and OID4VCI
flows), with proof purpose `authentication` and the verifier's challenge and domain in the proof.

`Holder` signs Data Integrity eddsa-rdfc-2022 under VC 2.0; `Ed25519Signature2020Holder` signs as
the DCC Learner Credential Wallet does (VC 1.1 context plus the suite's context, Ed25519Signature2020
proof), so the exchange is tested against the presentations that wallet really sends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

import base58

from connector_core.issuer import SigningKey
from connector_core.issuer.fastpath import default_canonicalizer
from connector_core.issuer.jsonld import ED25519_2020, VC_V1, VC_V2
from connector_core.issuer.proofs import format_created, proof_options


@dataclass
class Holder:
    """A did:key holder; `present` signs a presentation of `credentials` for one challenge and domain."""

    key: SigningKey = field(default_factory=SigningKey.generate)
    contexts: ClassVar[tuple[str, ...]] = (VC_V2,)

    @property
    def did(self) -> str:
        return self.key.did_key

    def options(self, created: str) -> dict:
        """The proof options before challenge and domain: the suite's type, key, time and purpose."""
        return proof_options(self.key.verification_method, created, "authentication")

    def present(
        self,
        credentials: Iterable[Mapping] = (),
        *,
        challenge: str | None,
        domain: str | None,
        created: datetime | None = None,
    ) -> dict:
        presentation: dict = {
            "@context": list(self.contexts),
            "type": ["VerifiablePresentation"],
            "holder": self.did,
        }
        listed = list(credentials)
        if listed:
            presentation["verifiableCredential"] = listed
        options = self.options(format_created(created or datetime.now(UTC)))
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


@dataclass
class Ed25519Signature2020Holder(Holder):
    """The Learner Credential Wallet's signing: VC 1.1 and ed25519-2020 contexts, Ed25519Signature2020."""

    contexts: ClassVar[tuple[str, ...]] = (VC_V1, ED25519_2020)

    def options(self, created: str) -> dict:
        return {
            "type": "Ed25519Signature2020",
            "created": created,
            "verificationMethod": self.key.verification_method,
            "proofPurpose": "authentication",
        }
