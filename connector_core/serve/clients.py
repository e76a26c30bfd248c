"""OAuth 2.0 client credentials for the issuer API: register clients, check secrets, mint and read
bearer tokens. No web framework here, so the CLI can use it without loading one."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from connector_core.delivery import tokens
from connector_core.store import Store
from connector_core.store import serve_clients as client_store
from connector_core.store.serve_clients import Grant
from connector_core.store.tables import ServeClientRow

SCOPES = ("issue", "status")
"""`issue`: POST /credentials/issue; `status`: POST /credentials/status."""
_UNKNOWN = tokens.digest("no such client")  # compared against when the client id is unknown: same timing


class ClientError(ValueError):
    """A registration request that cannot be honoured (unknown scope, empty name)."""


def register(store: Store, name: str, scopes: Iterable[str]) -> tuple[str, str]:
    """A new client: (client_id, client_secret). The secret is shown once and stored only as a digest."""
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown or not wanted:
        raise ClientError(f"scopes must be among {', '.join(SCOPES)} (at least one); got {', '.join(wanted) or 'none'}")
    if not name.strip():
        raise ClientError("give the client a name that says which campus system it is")
    client_id = "lc_" + secrets.token_urlsafe(12)
    secret, digest = tokens.new_token()
    client_store.add_client(store, client_id, name.strip(), digest, wanted)
    return client_id, secret


def authenticate(store: Store, client_id: str, secret: str) -> ServeClientRow | None:
    """The live client whose secret this is, compared in constant time; None otherwise."""
    row = client_store.client(store, client_id)
    expected = row.secret_digest if row is not None else _UNKNOWN
    return row if tokens.same(expected, secret) and row is not None else None


def mint_token(store: Store, client: ServeClientRow, scopes: Iterable[str], ttl_seconds: int) -> tuple[str, datetime]:
    """A bearer token for `scopes` (a subset of the client's), valid `ttl_seconds`; only its digest is kept."""
    token, digest = tokens.new_token()
    expires = client_store.add_token(store, digest, client.id, scopes, timedelta(seconds=ttl_seconds))
    return token, expires


def token_grant(store: Store, token: str) -> Grant | None:
    """What a presented bearer token may do; None when it is unknown, expired or its client removed."""
    return client_store.grant(store, tokens.digest(token))
