"""What every response and form carries: strict CSP and security headers, CSRF tokens, secure
cookies and a per-client rate limiter. Stored secrets are hashed and compared in `delivery.tokens`.

TLS is the reverse proxy's; cookies are `Secure` (and named `__Host-…`) whenever the public base
URL is https, and HSTS is sent then too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector_core.serve.problems import Problem, own

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-site",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """ASGI middleware adding the security headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in HEADERS.items()]
        if https:
            self.headers.append((b"strict-transport-security", HSTS.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def set_cookie(response: Response, name: str, value: str, *, secure: bool, max_age: int | None = None) -> None:
    """A cookie scripts cannot read, sent only to this site (and only over TLS when `secure`)."""
    response.set_cookie(name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="strict")


class Csrf:
    """Signed double-submit CSRF tokens: a random nonce and its HMAC, in a cookie and in the form.

    A forged form cannot read the cookie, and a cookie planted from a sibling domain fails the HMAC.
    """

    FIELD = "csrf_token"

    def __init__(self, key: bytes, *, secure: bool) -> None:
        self.key = key
        self.secure = secure
        self.cookie = "__Host-lerconnect-csrf" if secure else "lerconnect-csrf"

    def _sign(self, nonce: str) -> str:
        return hmac.new(self.key, nonce.encode(), hashlib.sha256).hexdigest()

    def _valid(self, token: str | None) -> bool:
        if not token or token.count(".") != 1:
            return False
        nonce, mac = token.split(".")
        return hmac.compare_digest(mac.encode(), self._sign(nonce).encode())

    def token(self, request: Request) -> str:
        """The request's token (the cookie's, when valid; else a new one): put it in the form."""
        current = request.cookies.get(self.cookie)
        if self._valid(current):
            return current  # type: ignore[return-value]
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._sign(nonce)}"

    def attach(self, response: Response, token: str) -> None:
        set_cookie(response, self.cookie, token, secure=self.secure)

    def check(self, request: Request, submitted: str | None) -> None:
        """Refuse (403 ProblemDetails) a form whose token is missing, forged or not the cookie's."""
        cookie = request.cookies.get(self.cookie)
        pair = (submitted or "").encode(), (cookie or "").encode()
        if not (self._valid(submitted) and self._valid(cookie) and hmac.compare_digest(*pair)):
            raise Problem(
                403,
                "CSRF check failed",
                "the form's security token is missing or does not match: reload the page and send the form again",
                type=own("csrf"),
            )


class RateLimiter:
    """A token bucket per key (client address and endpoint): `per_minute` steady, that many in a burst."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(per_minute)
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = self.clock()
        with self.lock:
            tokens, then = self.buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens >= 1:
                self.buckets[key] = (tokens - 1, now)
                wait = 0.0
            else:
                self.buckets[key] = (tokens, now)
                wait = (1 - tokens) / self.rate
            if len(self.buckets) > 50_000:  # forget full buckets: they are the default state
                self.buckets = {k: v for k, v in self.buckets.items() if v[0] < self.burst}
        return wait

    def check(self, request: Request, scope: str) -> None:
        """Refuse (429 ProblemDetails, Retry-After) when this client spent its budget for `scope`."""
        client = request.client.host if request.client else "unknown"
        wait = self.allow(f"{scope}|{client}")
        if wait:
            raise Problem(
                429,
                "Too many requests",
                f"this address made too many {scope} requests: wait {wait:.0f} s and try again",
                type=own("rate-limited"),
                headers={"Retry-After": str(max(1, round(wait)))},
            )
