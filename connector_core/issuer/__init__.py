"""The shared issuer: Ed25519 keys, offline JSON-LD, eddsa-rdfc-2022 proofs, status lists, OB/CLR.

It knows nothing of sources or storage: records in, signed credentials out.
"""

from .errors import (
    CanonicalizationLimitError,
    ContextIntegrityError,
    ContextNotAllowed,
    IssuerError,
    KeyFileError,
    KeyResolutionError,
    ProofError,
    StatusListError,
    UnsafeDocumentError,
)
from .fastpath import Canonicalizer
from .jsonld import DocumentLoader, canonicalize_reference
from .keys import BoundKey, KeyRing, Signer, SigningKey, did_web
from .limits import CanonLimits
from .proofs import sign_credential, sign_many, verify_proofs
from .verify import Check, VerificationResult, verify_credential

__all__ = [
    "BoundKey",
    "CanonLimits",
    "CanonicalizationLimitError",
    "Canonicalizer",
    "Check",
    "ContextIntegrityError",
    "ContextNotAllowed",
    "DocumentLoader",
    "IssuerError",
    "KeyFileError",
    "KeyResolutionError",
    "KeyRing",
    "ProofError",
    "Signer",
    "SigningKey",
    "StatusListError",
    "UnsafeDocumentError",
    "VerificationResult",
    "canonicalize_reference",
    "did_web",
    "sign_credential",
    "sign_many",
    "verify_credential",
    "verify_proofs",
]
