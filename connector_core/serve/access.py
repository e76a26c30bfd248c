"""One log line per request: method, route template, status, milliseconds. Never the body, the
query or the concrete path: a claim token or an id in a path would otherwise reach the logs."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("lerconnect.serve.access")


class AccessLog:
    """ASGI middleware logging each HTTP request at INFO (logger `lerconnect.serve.access`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, note)
        finally:
            log.info(
                "%s %s %s %.1f ms", scope["method"], route_of(scope), status, (time.perf_counter() - started) * 1000
            )


def route_of(scope: Scope) -> str:
    """The request's route template (`/claim/{token}`), never its concrete path, for a log line."""
    route = scope.get("route")
    return getattr(route, "path", None) or ("/static/…" if scope["path"].startswith("/static/") else "(no route)")
