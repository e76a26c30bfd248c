"""HTML pages: Jinja2 templates (autoescaped), each carrying a CSRF token in its forms and cookie.

No inline script or style anywhere (the CSP forbids both): behaviour is in /static/*.js.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from connector_core.serve.services import Services

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def render(request: Request, services: Services, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """Render `name` with the request's CSRF token (as `csrf_field`, `csrf_token`); pages are never cached."""
    token = services.csrf.token(request)
    response = templates.TemplateResponse(
        request,
        name,
        {**context, "csrf_field": services.csrf.FIELD, "csrf_token": token, "issuer_name": _issuer_name(services)},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
    services.csrf.attach(response, token)
    return response


def _issuer_name(services: Services) -> str:
    return services.issuer_settings.name if services.issuing is not None else "lerconnect"
