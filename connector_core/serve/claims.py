"""The claim page: a learner opens their claim link, sees their records, downloads them or adds them to a wallet.

A claim link's GET only shows a button (mail scanners that follow links do not spend it); the
button's POST spends the token once and opens a short session held in an HttpOnly cookie, whose
hash alone is stored. Every page after that shows only the session's own learner's credentials.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from connector_core.delivery import cards, tokens
from connector_core.delivery.handover import make_offers
from connector_core.serve.pages import render
from connector_core.serve.problems import Problem, own
from connector_core.serve.security import set_cookie
from connector_core.serve.services import Services
from connector_core.store import claims as claim_store

NO_STORE = {"Cache-Control": "no-store"}
GONE = {
    "used": "This claim link has already been used.",
    "expired": "This claim link has expired.",
    "unknown": "This claim link is not valid.",
}


def session_cookie(services: Services) -> str:
    return "__Host-lerconnect-claim" if services.https else "lerconnect-claim"


def make_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["claim"], include_in_schema=False)
    store = services.store
    delivery = services.settings.delivery
    cookie = session_cookie(services)

    def page(request: Request, name: str, status: int = 200, **values) -> HTMLResponse:
        return render(request, services, name, values, status)

    def gone(request: Request, state: str) -> HTMLResponse:
        status = 404 if state == "unknown" else 410
        return page(request, "claim_gone.html", status, message=GONE[state])

    def learner_of(request: Request) -> str:
        value = request.cookies.get(cookie)
        learner = claim_store.session_learner(store, tokens.digest(value)) if value else None
        if learner is None:
            raise Problem(
                401,
                "Not signed in",
                "open the claim link from your message again (a claim page session lasts "
                f"{delivery.session_minutes if delivery else 30:g} minutes)",
                type=own("claim-session"),
            )
        return learner

    @router.post("/claim", name="claim_redeem")
    def claim_redeem(request: Request, token: str = Form(..., max_length=200), csrf_token: str = Form("")) -> Response:
        """Spend the claim link and open the learner's session."""
        services.limiter.check(request, "claim")
        services.csrf.check(request, csrf_token)
        minutes = delivery.session_minutes if delivery else 30
        session_token, session_hash = tokens.new_token()
        expires = datetime.now(UTC) + timedelta(minutes=minutes)
        learner = claim_store.redeem(store, tokens.digest(token), session_hash, expires)
        if learner is None:
            return gone(request, claim_store.link_state(store, tokens.digest(token)))
        response = RedirectResponse("/claim/records", status_code=303, headers=NO_STORE)
        set_cookie(response, cookie, session_token, secure=services.https, max_age=int(minutes * 60))
        return response

    @router.get("/claim/records", response_class=HTMLResponse, name="claim_records")
    def claim_records(request: Request) -> HTMLResponse:
        """The learner's credentials as cards, the CLR as a transcript, downloads and wallet offers."""
        learner = learner_of(request)
        services.limiter.check(request, "claim-page")
        rows = claim_store.live_credentials(store, learner)
        person = claim_store.learner(store, learner)
        achievements = [cards.card(r.document) for r in rows if r.kind == "achievement"]
        clr = next((r for r in rows if r.kind == "clr"), None)
        terms = cards.transcript(clr.document) if clr else []
        offers = None
        if rows and services.issuing is not None:
            offers = make_offers(
                services.issuer(),
                services.serve.public_base_url,
                learner,
                rows,
                minutes=delivery.offer_minutes if delivery else 15,
                tx_code=bool(delivery and delivery.tx_code),
            )
        return page(
            request,
            "claim_records.html",
            given_name=person.given_name if person else None,
            cards=achievements,
            clr=clr,
            terms=terms,
            total_credits=cards.total_credits(terms),
            offers=offers,
            offer_minutes=delivery.offer_minutes if delivery else 15,
        )

    @router.get("/claim/download/{credential_id}", name="claim_download")
    def claim_download(credential_id: str, request: Request) -> Response:
        """One of the learner's own credentials as a JSON file."""
        learner = learner_of(request)
        (row,) = claim_store.live_of(store, learner, [credential_id]) or (None,)
        if row is None:
            raise Problem(404, "Not found", "you have no live credential with this id", type=own("not-found"))
        name = "".join(c if c.isalnum() else "-" for c in (row.document.get("name") or row.kind))[:60]
        body = json.dumps(row.document, indent=2, ensure_ascii=False).encode("utf-8")
        headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{name}.json"'}
        return Response(body, media_type="application/ld+json", headers=headers)

    @router.post("/claim/sign-out", name="claim_sign_out")
    def claim_sign_out(request: Request, csrf_token: str = Form("")) -> HTMLResponse:
        services.csrf.check(request, csrf_token)
        value = request.cookies.get(cookie)
        if value:
            claim_store.end_session(store, tokens.digest(value))
        response = page(request, "claim_gone.html", message="You are signed out. Your records are still yours.")
        response.delete_cookie(cookie, path="/")
        return response

    @router.get("/claim/{token}", response_class=HTMLResponse, name="claim_open")
    def claim_open(token: str, request: Request) -> HTMLResponse:
        """The landing page of a claim link: a button, so that merely fetching the link spends nothing.

        Registered last: `/claim/records` and the others are not tokens."""
        services.limiter.check(request, "claim")
        state = claim_store.link_state(store, tokens.digest(token))
        if state != "usable":
            return gone(request, state)
        return page(request, "claim_open.html", token=token)

    return router
