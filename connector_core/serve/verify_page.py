"""The verification page: anyone drops or pastes a credential (or a CLR) and reads, in plain words,
who issued it, to whom, what it says and what each check found.

The page works without script (a file field and a text box, posted as a form); /static/verify.js
adds drag and drop. Nothing posted is logged or kept.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from connector_core.serve.explain import check_lines, summarize
from connector_core.serve.pages import render
from connector_core.serve.services import Services


def _parse(text: str) -> tuple[dict | None, str | None]:
    """The posted credential as a JSON object, or why it is not one (in words a person can act on)."""
    if not text.strip():
        return None, "Nothing was given: choose a credential file, drop one on the page, or paste its text."
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None, "This is not a credential file: its text is not JSON. Choose the .json file you were given."
    if not isinstance(document, dict):
        return None, "This is not a credential: a credential is a JSON object ({ … })."
    return document, None


def make_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["pages"])

    @router.get("/verify", response_class=HTMLResponse, name="verify_page")
    def verify_form(request: Request) -> HTMLResponse:
        """The empty form."""
        return render(request, services, "verify.html", {})

    @router.post("/verify", response_class=HTMLResponse, name="verify_page_post")
    async def verify_posted(
        request: Request,
        csrf_token: Annotated[str | None, Form()] = None,
        credential: Annotated[str | None, Form()] = None,
        file: Annotated[UploadFile | None, Form()] = None,
    ) -> HTMLResponse:
        """The posted credential, verified and explained (the form again, with a message, when it is not one)."""
        services.csrf.check(request, csrf_token)
        services.limiter.check(request, "verify")
        text = credential or ""
        if file is not None and file.filename:
            raw = await file.read()
            text = raw.decode("utf-8", errors="replace")
        document, problem = _parse(text)
        if document is None:
            return render(request, services, "verify.html", {"error": problem, "pasted": credential or ""}, 400)
        result = await _verify(services, document)
        context = {"summary": summarize(document), "checks": check_lines(result), "verified": result.verified}
        return render(request, services, "verify.html", context)

    return router


async def _verify(services: Services, document: dict):
    from starlette.concurrency import run_in_threadpool  # signature checks are CPU work: off the event loop

    return await run_in_threadpool(services.verifier.credential, document)
