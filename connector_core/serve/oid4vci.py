"""OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow, `ldp_vc`.

Metadata at `/.well-known/openid-credential-issuer` (and the authorization server's at
`/.well-known/oauth-authorization-server`: this issuer is its own), the token endpoint trading a
single-use pre-authorized code (and tx_code when asked) for a short access token, the nonce
endpoint, and the credential endpoint checking a `jwt` proof of possession per credential. Errors
are ProblemDetails carrying the OAuth `error` / `error_description` members wallets read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connector_core.delivery import tokens, wallets
from connector_core.delivery.handover import NothingToHandOver, hand_over
from connector_core.delivery.holder import HolderError, verify_proof_jwt
from connector_core.serve.exchanges import json_body
from connector_core.serve.problems import Problem, own
from connector_core.serve.services import Services
from connector_core.store import claims as claim_store

NO_STORE = {"Cache-Control": "no-store"}
ACCESS_SECONDS = 600
NONCE_SECONDS = 300


def oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> Problem:
    """A ProblemDetails that is also an OAuth 2.0 / OID4VCI error response (`error`, `error_description`)."""
    return Problem(
        status,
        error.replace("_", " ").capitalize(),
        description,
        type=own("oid4vci-" + error),
        headers=headers,
        extra={"error": error, "error_description": description},
    )


def make_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["OpenID4VCI"])
    store = services.store
    issuer_url = services.serve.public_base_url.rstrip("/")

    @router.get("/.well-known/openid-credential-issuer", name="oid4vci_metadata")
    def metadata() -> JSONResponse:
        name = services.settings.issuer.name if services.settings.issuer else "lerconnect"
        return JSONResponse(wallets.issuer_metadata(issuer_url, name), headers={"Cache-Control": "public, max-age=300"})

    @router.get("/.well-known/oauth-authorization-server", name="oauth_metadata")
    def authorization_server() -> JSONResponse:
        body = wallets.authorization_server_metadata(issuer_url)
        return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})

    @router.post(wallets.OID4VCI_PATH + "/token", name="oid4vci_token")
    async def token(request: Request) -> JSONResponse:
        """The pre-authorized code grant (OID4VCI 1.0 §6): one code, one access token."""
        services.limiter.check(request, "oid4vci-token")
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise oauth_error(400, "invalid_request", "send the token request as application/x-www-form-urlencoded")
        form = await request.form()
        if form.get("grant_type") != wallets.PRE_AUTHORIZED_GRANT:
            raise oauth_error(400, "unsupported_grant_type", f"grant_type must be {wallets.PRE_AUTHORIZED_GRANT}")
        code = form.get("pre-authorized_code")
        if not isinstance(code, str) or not code:
            raise oauth_error(400, "invalid_request", "pre-authorized_code is required")
        offer = claim_store.live_offer(store, "oid4vci", tokens.digest(code))
        if offer is None:
            raise oauth_error(400, "invalid_grant", "the pre-authorized code is unknown, used or expired")
        if offer.tx_code_hash is not None:
            given = form.get("tx_code")
            if not isinstance(given, str) or not tokens.same(offer.tx_code_hash, given):
                raise oauth_error(
                    400, "invalid_grant", "tx_code is missing or wrong: type the code shown on the claim page"
                )
        access, access_hash = tokens.new_token()
        expires = datetime.now(UTC) + timedelta(seconds=ACCESS_SECONDS)
        if not claim_store.use_offer(store, offer.id, access_token_hash=access_hash, access_expires_at=expires):
            raise oauth_error(400, "invalid_grant", "the pre-authorized code was used a moment ago")
        rows = claim_store.live_of(store, offer.learner_key, offer.credential_ids)
        details: dict[str, list[str]] = {}
        for row in rows:
            details.setdefault(wallets.CONFIGURATION_OF_KIND[row.kind], []).append(row.id)
        body = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ACCESS_SECONDS,
            "authorization_details": [
                {"type": "openid_credential", "credential_configuration_id": name, "credential_identifiers": ids}
                for name, ids in sorted(details.items())
            ],
        }
        return JSONResponse(body, headers=NO_STORE)

    @router.post(wallets.OID4VCI_PATH + "/nonce", name="oid4vci_nonce")
    def nonce(request: Request) -> JSONResponse:
        """A fresh c_nonce (OID4VCI 1.0 §7): single use, five minutes."""
        services.limiter.check(request, "oid4vci-nonce")
        value, value_hash = tokens.new_token()
        claim_store.add_nonce(store, value_hash, datetime.now(UTC) + timedelta(seconds=NONCE_SECONDS))
        return JSONResponse({"c_nonce": value}, headers=NO_STORE)

    def offer_of(request: Request) -> Any:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        offer = claim_store.offer_by_access_token(store, tokens.digest(value)) if scheme.lower() == "bearer" else None
        if offer is None:
            raise oauth_error(
                401,
                "invalid_token",
                "a valid Bearer access token from the token endpoint is required",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return offer

    def wanted(request_body: dict[str, Any], offer: Any) -> list[str]:
        """The credential ids a request asks for: one by `credential_identifier`, or a configuration's."""
        rows = claim_store.live_of(store, offer.learner_key, offer.credential_ids)
        identifier = request_body.get("credential_identifier")
        configuration = request_body.get("credential_configuration_id")
        if (identifier is None) == (configuration is None):
            raise oauth_error(
                400,
                "invalid_credential_request",
                "give exactly one of credential_identifier or credential_configuration_id",
            )
        if identifier is not None:
            if not isinstance(identifier, str) or identifier not in {r.id for r in rows}:
                raise oauth_error(
                    400, "unknown_credential_identifier", "credential_identifier is not one of this token's"
                )
            return [identifier]
        if configuration not in wallets.CONFIGURATIONS:
            raise oauth_error(
                400,
                "unknown_credential_configuration",
                f"credential_configuration_id must be one of {', '.join(wallets.CONFIGURATIONS)}",
            )
        kind = wallets.CONFIGURATIONS[configuration]["kind"]
        return [r.id for r in rows if r.kind == kind]

    def proof_jwt(request_body: dict[str, Any]) -> str:
        proofs = request_body.get("proofs")
        if isinstance(proofs, dict) and set(proofs) == {"jwt"} and isinstance(proofs["jwt"], list) and proofs["jwt"]:
            if len(proofs["jwt"]) != 1:
                raise oauth_error(400, "invalid_proof", "send one proof: every credential is bound to the same key")
            return proofs["jwt"][0]
        raise oauth_error(400, "invalid_proof", 'proofs must be {"jwt": ["<proof JWT>"]} (OID4VCI 1.0 §8.2)')

    @router.post(wallets.OID4VCI_PATH + "/credential", name="oid4vci_credential")
    async def credential(request: Request) -> JSONResponse:
        """The credential endpoint (OID4VCI 1.0 §8): the asked credentials, bound to the proof's key."""
        services.limiter.check(request, "oid4vci-credential")
        offer = offer_of(request)
        request_body = await json_body(request)
        if not isinstance(request_body, dict):
            raise oauth_error(400, "invalid_credential_request", "the credential request must be a JSON object")
        ids = wanted(request_body, offer)
        try:
            holder = verify_proof_jwt(
                proof_jwt(request_body),
                audience=issuer_url,
                nonce_ok=lambda n: claim_store.use_nonce(store, tokens.digest(n)),
            )
        except HolderError as exc:
            raise oauth_error(400, "invalid_nonce" if "nonce" in str(exc) else "invalid_proof", str(exc)) from None
        try:
            documents = hand_over(services.issuer(), offer.id, offer.learner_key, ids, holder)
        except NothingToHandOver as exc:
            raise oauth_error(400, "invalid_credential_request", str(exc)) from None
        return JSONResponse({"credentials": [{"credential": d} for d in documents]}, headers=NO_STORE)

    return router
