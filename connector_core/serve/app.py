"""The FastAPI application: routers from one module per job, behind the body limit, the security
headers and the access log, with every error answered as ProblemDetails."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from connector_core.config import Settings
from connector_core.serve import problems
from connector_core.serve.access import AccessLog
from connector_core.serve.limits import BodyLimit
from connector_core.serve.security import SecurityHeaders
from connector_core.serve.services import Services
from connector_core.store import Store

STATIC = Path(__file__).parent / "static"

ROUTERS = (
    "connector_core.serve.vcapi_verify",
    "connector_core.serve.verify_page",
    "connector_core.serve.oauth",
    "connector_core.serve.issuer_api",
    "connector_core.serve.claims",
    "connector_core.serve.exchanges",
    "connector_core.serve.oid4vci",
    "connector_core.serve.public",
)
"""Modules whose `router` (or `make_router(services)`) the app includes, in this order. `public`
stays last: its status-list route may sit at the root when status_base_url has no path."""


def _router(module_name: str, services: Services) -> APIRouter:
    module = importlib.import_module(module_name)
    make = getattr(module, "make_router", None)
    return make(services) if make is not None else module.router


def create_app(
    settings: Settings,
    store: Store,
    *,
    hook: Any = None,
    services: Services | None = None,
    routers: Iterable[str] = ROUTERS,
) -> FastAPI:
    """The web service for `settings` on `store` (`services` to share or replace its parts)."""
    services = services or Services.from_settings(settings, store, hook)
    app = FastAPI(
        title="lerconnect",
        summary="Issuer, verifier and status lists of Learning and Employment Records",
        docs_url=None,  # the docs page would need inline scripts, which the CSP forbids
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.services = services
    problems.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for name in routers:
        app.include_router(_router(name, services))
    app.add_middleware(BodyLimit, max_bytes=services.serve.max_body_bytes)
    app.add_middleware(SecurityHeaders, https=services.https)
    app.add_middleware(problems.ContainErrors)  # outside the others: their failures are contained too
    if services.serve.access_log:
        app.add_middleware(AccessLog)
    return app
