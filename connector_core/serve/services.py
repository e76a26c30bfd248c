"""What the routes need, built once per app: settings, store, the issuer's keys and signing service,
the status folder, the CSRF signer and the rate limiter.

Routers get a `Services` and take what they use; tests build one around a store of their own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connector_core.config import ConfigError, IssuerSettings, ServeSettings, Settings
from connector_core.issuer import Canonicalizer, KeyRing
from connector_core.issuing import IssuingService, contexts_canonicalizer, load_key_ring, published_status_dir
from connector_core.serve.security import Csrf, RateLimiter
from connector_core.serve.verifying import Verifier
from connector_core.store import Store


@dataclass
class Services:
    """One app's shared parts. `issuing` signs with the configured key (loaded at start-up)."""

    settings: Settings
    store: Store
    hook: Any = None
    issuing: IssuingService | None = None
    csrf: Csrf = field(init=False)
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        secret = self.serve.secret_key.get_secret_value().encode() if self.serve.secret_key else None
        self.csrf = Csrf(secret or secrets.token_bytes(32), secure=self.https)
        self.limiter = RateLimiter(self.serve.rate_limit_per_minute)

    @classmethod
    def from_settings(cls, settings: Settings, store: Store, hook: Any = None) -> Services:
        """Load the signing key now (a wrong passphrase fails start-up, not the first request)."""
        issuing = None
        if settings.issuer is not None:
            settings.require("issuer")
            base = settings.path.parent if settings.path else Path.cwd()
            ring = load_key_ring(settings.issuer, base)
            issuing = IssuingService(store, settings.issuer, ring, hook=hook, base_dir=base)
        settings.require("serve")
        return cls(settings, store, hook, issuing)

    @property
    def serve(self) -> ServeSettings:
        return self.settings.serve

    @property
    def https(self) -> bool:
        return urlsplit(self.serve.public_base_url).scheme == "https"

    @property
    def base_dir(self) -> Path:
        return self.settings.path.parent if self.settings.path else Path.cwd()

    def issuer(self) -> IssuingService:
        """The signing service; a clear error where the config has no [issuer]."""
        if self.issuing is None:
            raise ConfigError("the config has no [issuer] table: add one (see `lerconnect init`) to serve the issuer")
        return self.issuing

    @property
    def issuer_settings(self) -> IssuerSettings:
        return self.issuer().settings

    @property
    def ring(self) -> KeyRing:
        return self.issuer().ring

    @property
    def status_dir(self) -> Path:
        return published_status_dir(self.issuer_settings, self.issuer().base_dir)

    @cached_property
    def canonicalizer(self) -> Canonicalizer | None:
        """The issuer's canonicalizer (pinned contexts plus [issuer].contexts_dir), None for the default."""
        if self.issuing is None:
            return None
        return self.issuing.canonicalizer or contexts_canonicalizer(self.issuer_settings.contexts_dir, self.base_dir)

    @cached_property
    def verifier(self) -> Verifier:
        """Verifies with this issuer's status lists and keys; shared by the VC-API routes and the page."""
        folder = self.serve.schemas_dir
        schemas = None if folder is None else folder if folder.is_absolute() else self.base_dir / folder
        return Verifier(self.issuing, schemas_dir=schemas, canonicalizer=self.canonicalizer)

    def public_url(self, path: str) -> str:
        """An absolute URL of this service as the public reaches it."""
        return self.serve.public_base_url.rstrip("/") + "/" + path.lstrip("/")
