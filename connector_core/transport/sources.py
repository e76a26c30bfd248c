"""Base classes for sources that talk to a system over REST or SOAP: the client comes from the config.

A plugin's `Config` extends `RestConfig` (or `SoapConfig`) and its `Source` extends `RestSource`
(or `SoapSource`); the common keys (base URL, secret, TLS verification, timeout, concurrency,
retry allowance, page limit) build the client, and the plugin says only what is its system's own:
how a throttled answer looks, how to word an error, which budget header to watch.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import requests
from pydantic import Field, SecretStr, field_validator
from requests.auth import AuthBase

from connector_core.source import Source, SourceConfig, SourceError
from connector_core.transport.auth import BasicAuth, BearerAuth, QueryTokenAuth
from connector_core.transport.ratelimit import RateLimitWatcher, shared_budget
from connector_core.transport.rest import RestClient
from connector_core.transport.retry import Backoff, RetryPolicy

if TYPE_CHECKING:
    from connector_core.transport.soap import Fault, SoapClient


class RemoteConfig(SourceConfig):
    """The keys every networked source has."""

    base_url: str
    """The system's root URL, e.g. `https://school.example.edu`."""
    verify_tls: bool = True
    """Verify the server's certificate (a campus CA: set REQUESTS_CA_BUNDLE to its bundle)."""
    timeout_seconds: float = Field(default=60.0, gt=0)
    """The most one request may take, connecting and reading the whole answer included."""
    max_concurrency: int = Field(default=4, ge=1, le=16)
    """Requests in flight at once, where the source reads in parallel."""
    max_wait_seconds: float = Field(default=600.0, ge=0)
    """The most a run waits in all on answers that say "retry after N seconds"."""

    @field_validator("base_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        value = value.rstrip("/")
        if not re.match(r"^https?://[^/]+", value):
            raise ValueError(f"base_url {value!r} must start with https://, e.g. https://school.example.edu")
        return value


class RestConfig(RemoteConfig):
    """A REST source: a bearer `token`, or `username` and `password` for HTTP Basic."""

    token: SecretStr | None = None
    """A bearer token (write "${VAR}" or "file:PATH", never the value)."""
    username: str | None = None
    """For HTTP Basic, with `password`, when the system has no tokens."""
    password: SecretStr | None = None
    """The HTTP Basic password (write "${VAR}" or "file:PATH")."""
    max_pages: int = Field(default=10_000, ge=1)
    """The most pages one list endpoint may return in a run: a next link that never ends is an error."""


class _Remote(Source):
    config: RemoteConfig
    user_agent: ClassVar[str] = "lerconnect"
    max_retries: ClassVar[int] = 5
    backoff: ClassVar[Backoff] = Backoff()
    client_attribute: ClassVar[str]
    """The cached property that holds the client (`rest`, `soap`): counted and closed here."""

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_retries=self.max_retries, backoff=self.backoff, max_wait=self.config.max_wait_seconds)

    @property
    def requests_made(self) -> int:
        """Requests this source has sent (benchmarks and tests count them); 0 before the first."""
        client = self.__dict__.get(self.client_attribute)
        return client.requests_made if client is not None else 0

    def close(self) -> None:
        client = self.__dict__.get(self.client_attribute)
        if client is not None:
            client.close()


class RestSource(_Remote):
    """A source over REST; `self.rest` is its `RestClient`, built on first use, closed with the source.

    Override `is_throttled`, `classify_error`, `rate_limit`, `auth` or the class settings where
    the system differs from the usual.
    """

    Config: ClassVar[type[SourceConfig]] = RestConfig
    config: RestConfig
    client_attribute: ClassVar[str] = "rest"
    auth_scheme: ClassVar[str] = "Bearer"
    token_param: ClassVar[str | None] = None
    """Send the token in this query parameter instead of the Authorization header."""

    def is_throttled(self, response: requests.Response) -> bool:
        """Whether an answer other than 429 means "slow down" (some systems throttle with a 403)."""
        return False

    def classify_error(self, response: requests.Response, endpoint: str) -> SourceError | None:
        """The system's own wording of an HTTP error, or None for the default mapping."""
        return None

    def rate_limit(self) -> RateLimitWatcher | None:
        return None

    def auth(self) -> AuthBase | None:
        config = self.config
        if config.token is not None:
            if self.token_param:
                return QueryTokenAuth(self.token_param, config.token)
            return BearerAuth(config.token, self.auth_scheme)
        if config.username and config.password is not None:
            return BasicAuth(config.username, config.password)
        return None

    @cached_property
    def rest(self) -> RestClient:
        config = self.config
        return RestClient(
            config.base_url,
            auth=self.auth(),
            timeout=config.timeout_seconds,
            verify=config.verify_tls,
            user_agent=self.user_agent,
            retry=self.retry_policy(),
            max_pages=config.max_pages,
            is_throttled=self.is_throttled,
            classify_error=self.classify_error,
            rate_limit=shared_budget(self.rate_limit(), self.context.name),
            pool_size=config.max_concurrency + 2,
        )


class SoapConfig(RemoteConfig):
    """A SOAP source: WS-Security UsernameToken credentials, and where the WSDL comes from."""

    username: str
    password: SecretStr
    wsdl: str | None = None
    """A local WSDL file (relative to the config file) or a URL on the system; default: the system's own."""
    max_concurrency: int = Field(default=1, ge=1, le=16)


class SoapSource(_Remote):
    """A source over SOAP; `self.soap` is its `SoapClient` on the WSDL's `binding`.

    Set `binding` (the binding's QName) and `wsdl_version`; override `endpoint`, `soap_username`
    or `classify_fault` where the system needs it.
    """

    Config: ClassVar[type[SourceConfig]] = SoapConfig
    config: SoapConfig
    client_attribute: ClassVar[str] = "soap"
    binding: ClassVar[str]
    wsdl_version: ClassVar[str] = ""
    max_retries: ClassVar[int] = 3

    def endpoint(self) -> str:
        """The address operations are posted to."""
        return self.config.base_url

    def wsdl_location(self) -> str:
        return self.resolve_wsdl(self.config.wsdl, self.endpoint())

    def resolve_wsdl(self, wsdl: str | None, endpoint: str) -> str:
        """A configured WSDL (a URL, or a file relative to the config), else `endpoint?wsdl`."""
        if wsdl is None:
            return f"{endpoint}?wsdl"
        if "://" in wsdl:
            return wsdl
        path = Path(wsdl)
        return str(path if path.is_absolute() else self.context.base_dir / path)

    def soap_username(self) -> str:
        return self.config.username

    def classify_fault(self, fault: Fault) -> type[SourceError] | None:
        """The kind of error a fault is (`SourceUnavailable`: transient, retried), or None for SourceError."""
        return None

    @cached_property
    def soap(self) -> SoapClient:
        return self.soap_client(self.wsdl_location(), self.endpoint(), self.binding, self.wsdl_version)

    def soap_client(self, wsdl: str, address: str, binding: str, version: str) -> SoapClient:
        """A `SoapClient` on `binding` at `address` with this source's credentials, TLS, timeout and retries."""
        from connector_core.transport.soap import SoapClient

        config = self.config
        return SoapClient(
            wsdl,
            address=address,
            binding=binding,
            version=version,
            username=self.soap_username(),
            password=config.password,
            timeout=config.timeout_seconds,
            verify=config.verify_tls,
            user_agent=self.user_agent,
            retry=self.retry_policy(),
            classify_fault=self.classify_fault,
        )
