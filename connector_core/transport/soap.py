"""The SOAP client every SOAP source uses: zeep with hardened XML, a cached WSDL, retries and clear faults.

- XML (WSDL and every answer) is parsed with DTDs, entities and network access off: an answer
  carrying an XXE or entity-expansion payload is refused, not expanded.
- The WSDL comes from the configured system (downloaded once into the on-disk cache, one file
  per URL and version) or from a local file, and is parsed once per process: a 5 MB WSDL costs
  its parse once, not once per run. Imports it names may only be files beside it.
- Operations go to the address the plugin gives (`create_service`), since WSDLs downloaded from
  vendor portals often carry a relative address.
- WS-Security UsernameToken (PasswordText); the password never reaches a log line (zeep's own
  request/response logging is bypassed: requests go through the same `Wire` as REST).
- Transport failures and faults the plugin marks transient (`SourceUnavailable`) are retried;
  other faults become `SourceAuthError` / `SourcePermissionError` / `SourceError` by the plugin's
  classifier, with the fault string and detail in the message.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from lxml import etree
from pydantic import SecretStr
from zeep import Client, Settings, Transport
from zeep.exceptions import (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
    Fault,
    TransportError,
    XMLSyntaxError,
)
from zeep.wsdl import Document
from zeep.wsse.username import UsernameToken

from connector_core.source import SourceAuthError, SourceError, SourcePermissionError, SourceUnavailable
from connector_core.transport.retry import RetryPolicy, Transient
from connector_core.transport.wire import Wire, origin

log = logging.getLogger("lerconnect.transport")
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

HARDENED = Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True, xml_huge_tree=False)
FaultClassifier = Callable[[Fault], type[SourceError] | None]
"""A fault -> the kind of error it is (`SourceUnavailable` = transient, retried), or None: SourceError."""

__all__ = ["HARDENED", "Fault", "FaultClassifier", "SoapClient", "load_wsdl", "wsdl_cache_dir"]

_documents: dict[tuple[str, int, int], Document] = {}
_documents_lock = threading.Lock()


def wsdl_cache_dir() -> Path:
    """`LERCONNECT_CACHE_DIR`, else the user's cache folder, + `/wsdl`."""
    user_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lerconnect"
    return Path(os.environ.get("LERCONNECT_CACHE_DIR") or user_cache) / "wsdl"


class _Transport(Transport):
    """zeep's transport, sending through a `Wire` and loading imports only from beside the WSDL."""

    def __init__(self, wire: Wire | None, folder: Path) -> None:
        # not Transport.__init__: it would make its own session, mount file:// on it and log bodies
        self.wire = wire
        self.folder = folder.resolve()
        self.cache = None
        self.session = wire.session if wire else None
        self.load_timeout = self.operation_timeout = wire.timeout if wire else None
        self.logger = log
        self._close_session = False

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> requests.Response:
        if self.wire is None:
            raise SourceError("this WSDL loader sends no requests")
        return self.wire.send("POST", address, data=message, headers=headers)

    def load(self, url: str) -> bytes:
        path = Path(url.removeprefix("file://")).resolve()
        if "://" in url.removeprefix("file://") or not path.is_relative_to(self.folder):
            raise ExternalReferenceForbidden(url)
        return path.read_bytes()


def load_wsdl(path: Path) -> Document:
    """The parsed WSDL at `path`, parsed once per process (keyed by path, size and modification time)."""
    path = path.resolve()
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _documents_lock:
        document = _documents.get(key)
        if document is None:
            try:
                document = Document(str(path), _Transport(None, path.parent), settings=HARDENED)
            except ExternalReferenceForbidden as exc:
                raise SourceError(
                    f"the WSDL {path} refers to {exc.url}: a WSDL may import only files in its own folder"
                ) from None
            except (DTDForbidden, EntitiesForbidden) as exc:
                raise SourceError(f"the WSDL {path} declares a DTD or entities ({exc}); refused") from None
            _documents[key] = document
            log.debug("parsed WSDL %s (%d bytes)", path.name, stat.st_size)
    return document


class SoapClient:
    """One SOAP binding of one system: call operations by name, get zeep's objects back."""

    def __init__(
        self,
        wsdl: str,
        *,
        address: str,
        binding: str,
        version: str = "",
        username: str | None = None,
        password: SecretStr | None = None,
        timeout: float = 60.0,
        verify: bool | str = True,
        user_agent: str = "lerconnect",
        retry: RetryPolicy | None = None,
        classify_fault: FaultClassifier | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.address = address
        self.wire = Wire(address, timeout=timeout, verify=verify, user_agent=user_agent, pool_size=4)
        self.retry = retry or RetryPolicy(max_retries=3)
        self.classify_fault = classify_fault
        path = self._wsdl_file(wsdl, version, cache_dir or wsdl_cache_dir())
        wsse = UsernameToken(username, password.get_secret_value()) if username and password is not None else None
        self.client = Client(
            load_wsdl(path), wsse=wsse, transport=_Transport(self.wire, path.parent), settings=HARDENED
        )
        try:
            self.service = self.client.create_service(binding, address)
        except ValueError:
            known = ", ".join(self.client.wsdl.bindings) or "none"
            raise SourceError(f"the WSDL {path.name} has no binding {binding}; its bindings are {known}") from None

    def __repr__(self) -> str:
        return f"SoapClient({self.address!r})"

    def close(self) -> None:
        self.wire.close()

    @property
    def requests_made(self) -> int:
        return self.wire.requests_made

    def call(self, operation: str, **kwargs: Any) -> Any:
        """Call `operation` with zeep's keyword arguments; retried as the policy says."""
        return self.retry.call(self._call, operation, kwargs)

    def call_xml(self, operation: str, **kwargs: Any) -> etree._Element:
        """Like `call`, but the answer is the body's element as (hardened) lxml, not zeep objects.

        zeep builds the request and reads faults as usual; only the answer's objects are skipped,
        which on a page of hundreds of records costs about a hundred times plain parsing.
        """
        return self.retry.call(self._call, operation, kwargs, True)

    def _wsdl_file(self, wsdl: str, version: str, cache_dir: Path) -> Path:
        """A local file as given; a URL on the system, fetched into the cache unless already there."""
        if "://" not in wsdl:
            path = Path(wsdl)
            if not path.is_file():
                raise SourceError(f"the WSDL file {path} does not exist: check `wsdl` in this source's config")
            return path
        if origin(wsdl) != self.wire.origin:
            raise SourceError(
                f"the WSDL {wsdl} is not on {self.wire.origin}: lerconnect reads a WSDL only from the "
                "configured system or a local file"
            )
        host = re.sub(r"[^A-Za-z0-9.-]", "_", urlsplit(wsdl).netloc)
        digest = hashlib.sha256(wsdl.encode()).hexdigest()[:16]
        path = cache_dir / f"{host}-{digest}-{version or 'unversioned'}.wsdl"
        if not path.is_file():
            response = self.retry.call(self.wire.send, "GET", wsdl)
            if response.status_code != 200:
                raise SourceError(f"GET {urlsplit(wsdl).path}: HTTP {response.status_code} fetching the WSDL")
            cache_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(response.content)
            partial.replace(path)
            log.info("cached WSDL %s as %s", urlsplit(wsdl).path, path)
        return path

    def _send(self, operation: str, kwargs: dict[str, Any], raw: bool) -> Any:
        if not raw:
            return self.service[operation](**kwargs)
        with self.client.settings(raw_response=True):
            response = self.service[operation](**kwargs)
        binding = self.service._binding
        return binding.process_reply(self.client, _BodyElement(binding.get(operation)), response)

    def _call(self, operation: str, kwargs: dict[str, Any], raw: bool = False) -> Any:
        endpoint = f"SOAP {operation}"
        try:
            return self._send(operation, kwargs, raw)
        except Transient as exc:  # from the wire: name the operation, not only the URL path
            raise Transient(f"{endpoint} ({exc.endpoint})", exc.reason, exc.kind, exc.retry_after) from None
        except Fault as fault:
            raise self._fault(fault, endpoint) from None
        except TransportError as exc:
            raise _transport_error(exc, endpoint) from None
        except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
            raise SourceError(
                f"{endpoint}: the answer declares a DTD, entities or an external reference "
                f"({type(exc).__name__}); lerconnect refuses to parse such XML (XXE / entity expansion)"
            ) from None
        except XMLSyntaxError as exc:
            raise Transient(endpoint, f"the answer is not a SOAP envelope ({exc.message[:120]})", "body") from None

    def _fault(self, fault: Fault, endpoint: str) -> Exception:
        kind = (self.classify_fault(fault) if self.classify_fault else None) or SourceError
        raw = fault.detail
        if isinstance(raw, bytes | str):  # zeep hands over a non-XML answer (a gateway's 504 page) as bytes
            raw = None
        detail = " ".join(" ".join(raw.itertext()).split()) if raw is not None else ""
        reason = f"SOAP fault {fault.code or '(no code)'}: {fault.message}" + (f" ({detail[:300]})" if detail else "")
        if issubclass(kind, SourceUnavailable):
            return Transient(endpoint, reason, "server")
        return kind(f"{endpoint}: {reason}")


class _BodyElement:
    """An operation whose reply is the SOAP body's first element: zeep checks status and faults, builds nothing."""

    def __init__(self, operation: Any) -> None:
        self.operation = operation

    def __getattr__(self, name: str) -> Any:
        return getattr(self.operation, name)

    def process_reply(self, document: etree._Element) -> etree._Element:
        body = document.find(f"{{{SOAP_ENV}}}Body")
        answer = next((child for child in body if isinstance(child.tag, str)), None) if body is not None else None
        if answer is None:
            raise XMLSyntaxError("the SOAP answer has no Body element")
        return answer


def _transport_error(exc: TransportError, endpoint: str) -> Exception:
    status = exc.status_code
    if status == 401:
        return SourceAuthError(f"{endpoint}: HTTP 401: the user name or password was refused; check them in config")
    if status == 403:
        return SourcePermissionError(f"{endpoint}: HTTP 403: the account may not call this operation")
    if status == 429 or status >= 500:
        return Transient(endpoint, f"HTTP {status}", "throttled" if status == 429 else "server")
    if status == 200:
        return Transient(endpoint, "the answer is not XML", "body")
    return SourceError(f"{endpoint}: HTTP {status}: {exc.message.splitlines()[0][:200]}")
