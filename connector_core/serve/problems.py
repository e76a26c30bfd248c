"""Every error as RFC 9457 ProblemDetails (`application/problem+json`), never a stack trace.

Bad input is the caller's fault and answered 400 (malformed JSON, wrong types, unknown contexts,
oversize bodies); the detail names the field and the fix but never echoes the input, which may
carry a learner's personal data. An unexpected failure is a 500 ProblemDetails, logged by type only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector_core.serve.access import route_of

log = logging.getLogger("lerconnect.serve")

MEDIA_TYPE = "application/problem+json"
VC = "https://www.w3.org/ns/credentials#"
PARSING_ERROR = VC + "PARSING_ERROR"  # VC Data Model 2.0 §7.1 problem types
MALFORMED_VALUE_ERROR = VC + "MALFORMED_VALUE_ERROR"
CRYPTOGRAPHIC_SECURITY_ERROR = VC + "CRYPTOGRAPHIC_SECURITY_ERROR"
OWN = "urn:lerconnect:problem:"


def own(slug: str) -> str:
    """A problem type of ours (no such registry exists for them): `urn:lerconnect:problem:<slug>`."""
    return OWN + slug


class Problem(Exception):
    """Raise from a route: answered as ProblemDetails with this status, title and detail."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type: str | None = None,  # the RFC 9457 member name
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.type = type or own(title.lower().replace(" ", "-"))
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        return {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail, **self.extra}


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.body(), status_code=problem.status, headers=problem.headers, media_type=MEDIA_TYPE)


def bad_request(detail: str, *, type: str = MALFORMED_VALUE_ERROR, title: str = "Bad request") -> Problem:
    return Problem(400, title, detail, type=type)


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "the request body"


def validation_detail(errors: list[Mapping[str, Any]]) -> tuple[str, str]:
    """(problem type, detail) of FastAPI's validation errors: field and what is expected, no input echoed."""
    if any(e.get("type") == "json_invalid" for e in errors):
        first = next(e for e in errors if e.get("type") == "json_invalid")
        where = (first.get("ctx") or {}).get("error", "")
        return (
            PARSING_ERROR,
            f"the body is not valid JSON ({where}): send a JSON object with Content-Type application/json",
        )
    parts = []
    for error in errors[:10]:
        message = "is required but missing" if error.get("type") == "missing" else str(error.get("msg", "")).lower()
        parts.append(f"{_where(tuple(error.get('loc', ())))} {message}")
    return MALFORMED_VALUE_ERROR, "; ".join(parts)


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    kind, detail = validation_detail(list(exc.errors()))
    return problem_response(Problem(400, "Invalid request body", detail, type=kind))


_HTTP_TITLES = {404: "Not found", 405: "Method not allowed", 400: "Bad request", 401: "Unauthorized"}


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = _HTTP_TITLES.get(exc.status_code, "HTTP error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404:
        detail = f"nothing is served at {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(Problem(exc.status_code, title, detail, headers=exc.headers))


class ContainErrors:
    """An unexpected exception answered here: a 500 ProblemDetails, logged by type and route only.

    Why not an exception handler: Starlette's outermost middleware re-raises after calling one, and
    uvicorn then logs "Exception in ASGI application" with the traceback and the message, which may
    quote a body's personal data. Caught here, the exception goes no further.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def noting(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting)
        except Exception as exc:
            log.error("internal error on %s %s: %s", scope.get("method"), route_of(scope), type(exc).__name__)
            if not started:  # else the client sees the response cut short
                failed = Problem(500, "Internal error", "the server failed; the error is logged by type")
                await problem_response(failed)(scope, receive, send)


def install(app: FastAPI) -> None:
    """Answer the errors routes raise as ProblemDetails (unexpected ones: `ContainErrors`, in `create_app`)."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
