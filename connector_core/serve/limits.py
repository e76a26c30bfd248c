"""A cap on request bodies, enforced before any route parses one.

The body is read (at most `max_bytes` of it) and replayed to the app, so an oversize body is refused
with a 400 ProblemDetails whether it announced its length or streamed in chunks, and no route ever
sees a partial one.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector_core.serve.problems import Problem, own, problem_response


class BodyLimit:
    """ASGI middleware: bodies over `max_bytes` get 400 `body-too-large`, nothing else changes."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> Problem:
        return Problem(
            400,
            "Body too large",
            f"the request body is over {self.max_bytes} bytes ([serve].max_body_bytes): send a smaller one",
            type=own("body-too-large"),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await problem_response(self._too_large())(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await problem_response(self._too_large())(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


def _replay(messages: list[Any], receive: Receive) -> Receive:
    """A receive that hands out `messages` first, then waits on the real one (for disconnects)."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
