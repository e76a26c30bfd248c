"""OAuth 2.0 client credentials (RFC 6749 §4.4) for the issuer API: `POST /oauth/token`, and the
bearer check every issuer API route depends on (RFC 6750).

Clients authenticate with HTTP Basic (client_secret_basic) or form fields (client_secret_post).
Errors carry both RFC 6749's `error` and ProblemDetails' members, so OAuth libraries and people
both read them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from connector_core.serve import clients
from connector_core.serve.problems import Problem, own
from connector_core.serve.services import Services
from connector_core.store.serve_clients import Grant


def oauth_error(status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> Problem:
    return Problem(
        status,
        "OAuth error",
        detail,
        type=own(f"oauth-{error.replace('_', '-')}"),
        headers={"Cache-Control": "no-store", **(headers or {})},
        extra={"error": error, "error_description": detail},
    )


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise oauth_error(401, "invalid_client", "the Authorization header is not valid Basic credentials") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise oauth_error(401, "invalid_client", "Basic credentials must be client_id:client_secret")
    return unquote(client_id), unquote(secret)  # RFC 6749 §2.3.1: form-urlencoded before Basic


def bearer(services: Services, scope: str) -> Callable[[Request], Grant]:
    """A dependency: the grant of the request's bearer token, which must carry `scope`."""
    challenge = f'Bearer realm="lerconnect", scope="{scope}"'

    def check(request: Request) -> Grant:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            raise Problem(
                401,
                "Unauthorized",
                f"this endpoint needs an OAuth bearer token with scope {scope!r}: get one at POST /oauth/token",
                type=own("unauthorized"),
                headers={"WWW-Authenticate": challenge},
            )
        grant = clients.token_grant(services.store, header[7:].strip())
        if grant is None:
            raise Problem(
                401,
                "Unauthorized",
                "the bearer token is unknown or expired: get a new one at POST /oauth/token",
                type=own("invalid-token"),
                headers={"WWW-Authenticate": f'{challenge}, error="invalid_token"'},
            )
        if scope not in grant.scopes:
            raise Problem(
                403,
                "Forbidden",
                f"the token's scopes ({', '.join(sorted(grant.scopes))}) do not include {scope!r}",
                type=own("insufficient-scope"),
                headers={"WWW-Authenticate": f'{challenge}, error="insufficient_scope"'},
            )
        return grant

    return check


def make_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["oauth"])
    if services.issuing is None:  # tokens are for the issuer API, which needs an [issuer]
        return router

    @router.post("/oauth/token", name="oauth_token")
    def token(
        request: Request,
        grant_type: Annotated[str, Form()],
        scope: Annotated[str | None, Form()] = None,
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> JSONResponse:
        """An access token for a registered client (`lerconnect serve clients add`)."""
        services.limiter.check(request, "token")
        if grant_type != "client_credentials":
            raise oauth_error(400, "unsupported_grant_type", "only grant_type=client_credentials is supported")
        given = _basic(request.headers.get("authorization"))
        if given is None and client_id and client_secret:
            given = (client_id, client_secret)
        if given is None:
            raise oauth_error(
                401,
                "invalid_client",
                "authenticate with HTTP Basic (client_id:client_secret) or the client_id and client_secret fields",
                {"WWW-Authenticate": 'Basic realm="lerconnect"'},
            )
        client = clients.authenticate(services.store, *given)
        if client is None:
            raise oauth_error(
                401,
                "invalid_client",
                "unknown client or wrong secret",
                {"WWW-Authenticate": 'Basic realm="lerconnect"'},
            )
        wanted = set(scope.split()) if scope else set(client.scopes)
        if not wanted <= set(client.scopes):
            raise oauth_error(
                400, "invalid_scope", f"this client may ask for {', '.join(client.scopes)}; asked for {scope}"
            )
        ttl = services.serve.token_ttl_seconds
        value, _ = clients.mint_token(services.store, client, wanted, ttl)
        body = {"access_token": value, "token_type": "Bearer", "expires_in": ttl, "scope": " ".join(sorted(wanted))}
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    return router
