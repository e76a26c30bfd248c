"""Who is calling a sandbox: bearer tokens and HTTP Basic credentials, checked the way real systems do.

A bad or missing credential gets 401 with `WWW-Authenticate` (what clients use to tell "log in
again" from "you may not"); each system's imitation words the body its own way.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any, TypeVar

from werkzeug.wrappers import Request, Response

T = TypeVar("T")


def bearer_token(request: Request, *, query_param: str | None = None) -> str | None:
    """The `Authorization: Bearer <token>` value, else `?<query_param>=` when the system allows it."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if query_param and request.args.get(query_param):
        return request.args[query_param]
    return None


def grant_for(token: str | None, grants: Mapping[str, T]) -> T | None:
    """What `token` may do, or None when it is unknown (compared in constant time)."""
    if not token:
        return None
    for known, grant in grants.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            return grant
    return None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(username, password) of an `Authorization: Basic` header, or None."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or auth.username is None:
        return None
    return auth.username, auth.password or ""


def basic_ok(request: Request, users: Mapping[str, str]) -> str | None:
    """The username when the Basic credentials match `users` (username -> password), else None."""
    found = basic_credentials(request)
    if found is None or found[0] not in users:
        return None
    return found[0] if hmac.compare_digest(users[found[0]].encode(), found[1].encode()) else None


def unauthorized(body: Any, *, scheme: str = "Bearer", realm: str = "sandbox") -> Response:
    """401 with a JSON body and `WWW-Authenticate: <scheme> realm="<realm>"`."""
    return Response(
        json.dumps(body),
        status=401,
        content_type="application/json",
        headers={"WWW-Authenticate": f'{scheme} realm="{realm}"'},
    )
