"""The only network code for sources: REST and SOAP clients, paginators, rate limits, retries.

A plugin imports what it needs from here. The SOAP names (`SoapClient`, `Fault`) load zeep on
first use only, so a process that talks REST alone never imports it.
"""

from typing import Any

from connector_core.transport.auth import BasicAuth, BearerAuth, QueryTokenAuth
from connector_core.transport.paginators import (
    BodyLinkPaginator,
    CursorPaginator,
    LinkHeaderPaginator,
    OffsetLimitPaginator,
    PageNumberPaginator,
    PageRequest,
    Paginator,
    ResponsePage,
    json_path,
)
from connector_core.transport.parallel import OncePerKey, ordered_map
from connector_core.transport.ratelimit import RateLimitWatcher, RemainingBudgetWatcher
from connector_core.transport.rest import RestClient, default_error, error_summary
from connector_core.transport.retry import Backoff, RetryPolicy, parse_retry_after
from connector_core.transport.sources import RemoteConfig, RestConfig, RestSource, SoapConfig, SoapSource

_SOAP = {"SoapClient", "Fault", "FaultClassifier"}


def __getattr__(name: str) -> Any:
    if name in _SOAP:
        from connector_core.transport import soap

        return getattr(soap, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Backoff",
    "BasicAuth",
    "BearerAuth",
    "BodyLinkPaginator",
    "CursorPaginator",
    "Fault",
    "FaultClassifier",
    "LinkHeaderPaginator",
    "OffsetLimitPaginator",
    "OncePerKey",
    "PageNumberPaginator",
    "PageRequest",
    "Paginator",
    "QueryTokenAuth",
    "RateLimitWatcher",
    "RemainingBudgetWatcher",
    "RemoteConfig",
    "ResponsePage",
    "RestClient",
    "RestConfig",
    "RestSource",
    "RetryPolicy",
    "SoapClient",
    "SoapConfig",
    "SoapSource",
    "default_error",
    "error_summary",
    "json_path",
    "ordered_map",
    "parse_retry_after",
]
