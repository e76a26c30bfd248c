"""Exceptions the issuer raises; each message names the thing at fault and how to fix it."""


class IssuerError(Exception):
    """Base class for every issuer error, so callers can catch one type."""


class KeyFileError(IssuerError):
    """A key file cannot be read or written (wrong passphrase, bad format, unsafe request)."""


class ContextNotAllowed(IssuerError):
    """A document names a JSON-LD context the offline loader does not serve."""


class ContextIntegrityError(IssuerError):
    """An installed context file differs from its pinned SHA-256."""


class UnsafeDocumentError(IssuerError):
    """JSON-LD processing would silently drop part of the document (Data Integrity "safe mode")."""


class ProofError(IssuerError):
    """A proof cannot be created, or is malformed (PROOF_GENERATION_ERROR / PROOF_VERIFICATION_ERROR)."""


class KeyResolutionError(IssuerError):
    """A verification method cannot be resolved to an Ed25519 public key."""


class StatusListError(IssuerError):
    """A status list is malformed, too short, or the index is out of range."""


class CanonicalizationLimitError(IssuerError):
    """A document is too large, too deep, or its blank nodes too symmetric to canonicalize within the work limit."""
