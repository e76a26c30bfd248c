"""VC-API exchanges for wallets (the Learner Credential Wallet's protocol): DIDAuth, then the bound credentials.

`POST /workflows/claim/exchanges/{id}` with an empty body answers the DIDAuthentication request;
with a DIDAuth presentation (`{"verifiablePresentation": …}`, or the bare presentation LCW's deep
link flow posts) it answers `{"verifiablePresentation": {…, "verifiableCredential": [bound copies]}}`.
The exchange id is a bearer secret (stored hashed), the exchange single-use and expiring.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connector_core.delivery import tokens, wallets
from connector_core.delivery.handover import NothingToHandOver, hand_over
from connector_core.delivery.holder import HolderError, verify_didauth
from connector_core.issuer.jsonld import VC_V2
from connector_core.serve.problems import PARSING_ERROR, Problem, bad_request, own
from connector_core.serve.services import Services
from connector_core.store import claims as claim_store

NO_STORE = {"Cache-Control": "no-store"}


async def json_body(request: Request) -> Any:
    """The request's JSON (None when empty); a 400 ProblemDetails when it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request(
            "the body is not valid JSON: send a JSON object with Content-Type application/json", type=PARSING_ERROR
        ) from None


def presentation_of(body: Any) -> Any:
    """The presentation a wallet posted, wrapped (VC-API) or bare (LCW deep link); None asks for the request."""
    if body is None or body == {}:
        return None
    if not isinstance(body, dict):
        raise bad_request('the body must be a JSON object: {} to start, or {"verifiablePresentation": …}')
    return body.get("verifiablePresentation", body if "proof" in body or "holder" in body else None)


def make_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["wallet exchanges"])
    domain = wallets.domain_of(services.serve.public_base_url)

    @router.post(wallets.EXCHANGE_PATH + "{exchange_id}", name="exchange")
    async def exchange(exchange_id: str, request: Request) -> JSONResponse:
        """Participate in a claim exchange: DIDAuth request first, the holder's credentials after."""
        services.limiter.check(request, "exchange")
        body = await json_body(request)
        offer = claim_store.live_offer(services.store, "vcapi", tokens.digest(exchange_id))
        if offer is None:
            raise Problem(
                404,
                "Unknown exchange",
                "this exchange does not exist, was used, or expired: open the claim page for a new QR code",
                type=own("exchange-not-found"),
            )
        presentation = presentation_of(body)
        url = services.public_url(wallets.EXCHANGE_PATH + exchange_id)
        if presentation is None:
            request_body = {"verifiablePresentationRequest": wallets.didauth_request(url, offer.challenge, domain)}
            return JSONResponse(request_body, headers=NO_STORE)
        try:
            holder = verify_didauth(
                presentation, challenge=offer.challenge, domain=domain, canonicalizer=services.canonicalizer
            )
        except HolderError as exc:
            raise Problem(400, "DIDAuth failed", str(exc), type=own("didauth")) from None
        if not claim_store.use_offer(services.store, offer.id, holder=holder):
            raise Problem(
                409, "Exchange already used", "this exchange was completed a moment ago", type=own("exchange-used")
            )
        try:
            documents = hand_over(services.issuer(), offer.id, offer.learner_key, offer.credential_ids, holder)
        except NothingToHandOver as exc:
            raise Problem(410, "Nothing to hand over", str(exc), type=own("exchange-empty")) from None
        presented = {"@context": [VC_V2], "type": ["VerifiablePresentation"], "verifiableCredential": documents}
        return JSONResponse({"verifiablePresentation": presented}, headers=NO_STORE)

    return router
