"""Bearer secrets (claim links, cookies, wallet codes, API client secrets and tokens): 32 random
bytes out, only their SHA-256 kept, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def digest(token: str) -> str:
    """The stored form of a token: hex SHA-256 (a token has 256 bits of entropy, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """(token for the learner or wallet, hash for the store)."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def same(stored_hash: str, token: str) -> bool:
    """Constant-time check of a presented token against a stored hash."""
    return hmac.compare_digest(stored_hash.encode("ascii"), digest(token).encode("ascii"))


def numeric_code(length: int = 6) -> str:
    """A transaction code a person types (OID4VCI tx_code)."""
    return "".join(secrets.choice("0123456789") for _ in range(length))
