"""VC-API verifier routes: `POST /credentials/verify` and `POST /presentations/verify` (public).

Verified: 200 `{"verified": true, "problemDetails": [], ...}`. Not verified: 400 with the same body,
as ProblemDetails (the W3C suites tell the outcomes apart by status code). Bodies are validated
first: malformed JSON or wrong types are a 400 naming the field, before anything is checked.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from connector_core.serve.problems import MEDIA_TYPE, own
from connector_core.serve.services import Services
from connector_core.serve.verifying import as_results, problem_details


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")


class VerifyOptions(_Body):
    returnResults: bool = False  # noqa: N815 - VC-API's member names
    returnProblemDetails: bool = True  # noqa: N815
    returnCredential: bool = False  # noqa: N815
    challenge: str | None = None
    domain: str | None = None


class VerifyCredentialRequest(_Body):
    verifiableCredential: dict[str, Any] = Field(description="a secured credential")  # noqa: N815
    options: VerifyOptions = VerifyOptions()


class VerifyPresentationRequest(_Body):
    verifiablePresentation: dict[str, Any] = Field(description="a secured presentation")  # noqa: N815
    options: VerifyOptions = VerifyOptions()


def _answer(verified: bool, failures: list[str], options: VerifyOptions, extra: dict[str, Any]) -> JSONResponse:
    body: dict[str, Any] = {"verified": verified}
    if options.returnProblemDetails:
        body["problemDetails"] = problem_details(failures)
    body.update(extra)
    if verified:
        return JSONResponse(body, status_code=200)
    failed = {
        "type": own("verification-failed"),
        "title": "Verification failed",
        "status": 400,
        "detail": "; ".join(failures[:5]) or "not verified",
    }
    return JSONResponse({**failed, **body}, status_code=400, media_type=MEDIA_TYPE)


def make_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["verifier"])
    verifier = services.verifier

    @router.post("/credentials/verify", name="verify_credential")
    def verify_credential_route(body: VerifyCredentialRequest, request: Request) -> JSONResponse:
        """Verify one credential: proof, status, validity dates, schema (and, for a CLR, what it embeds)."""
        services.limiter.check(request, "verify")
        result = verifier.credential(body.verifiableCredential)
        extra: dict[str, Any] = {}
        if body.options.returnResults:
            extra["results"] = as_results(result)
        if body.options.returnCredential:
            extra["credential"] = body.verifiableCredential
        return _answer(result.verified, result.failures(), body.options, extra)

    @router.post("/presentations/verify", name="verify_presentation")
    def verify_presentation_route(body: VerifyPresentationRequest, request: Request) -> JSONResponse:
        """Verify a presentation: the holder's authentication proof with challenge and domain, then each credential."""
        services.limiter.check(request, "verify")
        result = verifier.presentation(
            body.verifiablePresentation, challenge=body.options.challenge, domain=body.options.domain
        )
        extra: dict[str, Any] = {}
        if body.options.returnResults:
            extra["results"] = {
                "presentation": [{"check": c.name, "passed": c.passed, "message": c.message} for c in result.checks],
                "credentials": [as_results(r) for r in result.credentials],
            }
        return _answer(result.verified, result.failures(), body.options, extra)

    return router
