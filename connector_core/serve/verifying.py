"""Verification as the service does it, for the VC-API routes and the verification page alike.

Status lists of this issuer are read from `[issuer].status_dir` (what this service serves), others
are fetched over https only, from public addresses; keys come from did:key, or from this
issuer's own did:web key ring (no DID of another issuer is fetched); schemas are the pinned 1EdTech
files in `[serve].schemas_dir`. JSON-LD contexts are never fetched: an unknown one fails the proof.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connector_core.issuer import (
    Canonicalizer,
    Check,
    IssuerError,
    KeyResolutionError,
    VerificationResult,
    verify_credential,
)
from connector_core.issuer.proofs import HOLDER_SUITES, controller_of, verify_proofs
from connector_core.issuer.schemas import PinnedSchemas
from connector_core.issuer.status import list_path
from connector_core.issuer.status_fetch import HttpStatusLists
from connector_core.issuing import IssuingService, published_status_dir

AUTHENTICATION = "authentication"
log = logging.getLogger("lerconnect.serve")


class OwnStatusLists:
    """This issuer's published lists, read from status_dir (re-read when a file changes)."""

    def __init__(self, issuing: IssuingService | None) -> None:
        self.issuing = issuing
        self.cache: dict[Path, tuple[tuple[int, int], Mapping]] = {}
        self.lock = threading.Lock()

    def base(self) -> str | None:
        return self.issuing.settings.status_base_url.rstrip("/") if self.issuing is not None else None

    def owns(self, url: str) -> bool:
        base = self.base()
        return base is not None and isinstance(url, str) and url.startswith(base + "/")

    def __call__(self, url: str) -> Mapping:
        assert self.issuing is not None  # owns(url) was asked first
        path = list_path(published_status_dir(self.issuing.settings, self.issuing.base_dir), self.base() or "", url)
        try:
            stat = path.stat()
        except OSError:
            raise LookupError(f"status list {url} has not been published by this issuer") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self.lock:
            cached = self.cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        document = json.loads(path.read_bytes())
        with self.lock:
            self.cache[path] = (stamp, document)
        return document


def public_https(url: str) -> None:
    """Refuse (LookupError) a URL this public service must not fetch for a stranger: anything but https
    to a host whose every address is public. Otherwise a posted credential could make the server
    call into its own network (server-side request forgery)."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "https" or not parts.hostname:
        raise LookupError(f"refusing to fetch {url!r}: other issuers' status lists are fetched over https only")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise LookupError(f"cannot resolve {parts.hostname}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise LookupError(f"refusing to fetch {url}: {parts.hostname} is a private or local address")


class StatusResolver:
    """Own lists from disk, others over https from public hosts; one per request (its cache dies with it)."""

    def __init__(self, own: OwnStatusLists) -> None:
        self.own = own
        self.http = HttpStatusLists(timeout=10)

    def fetch(self, url: str) -> Mapping:
        public_https(url)
        return self.http(url)

    def __call__(self, url: str) -> Mapping:
        return self.own(url) if self.own.owns(url) else self.fetch(url)


@dataclass
class PresentationResult:
    """The presentation's own proof checks and the result of each credential it carries."""

    checks: list[Check] = field(default_factory=list)
    credentials: list[VerificationResult] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return all(c.passed is not False for c in self.checks) and all(r.verified for r in self.credentials)

    def failures(self) -> list[str]:
        own = [f"presentation: {c.name}: {c.message}" for c in self.checks if c.passed is False]
        return own + [f for r in self.credentials for f in r.failures()]


class Verifier:
    """Verifies credentials and presentations with this service's resolvers."""

    def __init__(
        self, issuing: IssuingService | None, *, schemas_dir: Path | None, canonicalizer: Canonicalizer | None
    ) -> None:
        self.issuing = issuing
        self.own_lists = OwnStatusLists(issuing)
        self.schemas = PinnedSchemas([schemas_dir] if schemas_dir else [])
        self.canonicalizer = canonicalizer

    def keys(self, verification_method: str) -> bytes | str:
        """Keys of this issuer's did:web ring; any other non-did:key method is not resolved (no fetch)."""
        if self.issuing is not None and controller_of(verification_method) == self.issuing.ring.did:
            return self.issuing.ring.resolve(verification_method)
        raise KeyResolutionError(
            f"{verification_method} is not a did:key and not this issuer's key; this service fetches no DID documents"
        )

    def _key_resolver(self) -> Any:
        # None where only did:key can occur: the status list check is then cached per list content
        web = self.issuing is not None and self.issuing.settings.did_method == "web"
        return self.keys if web else None

    def credential(self, document: Mapping, *, now: datetime | None = None) -> VerificationResult:
        try:
            return verify_credential(
                document,
                status_resolver=StatusResolver(self.own_lists),
                key_resolver=self._key_resolver(),
                schema_resolver=self.schemas,
                canonicalizer=self.canonicalizer,
                now=now,
            )
        except Exception as exc:  # a stranger's document: whatever it breaks, it is not verified
            return _unverifiable(document, exc)

    def presentation(self, document: Mapping, *, challenge: str | None, domain: str | None) -> PresentationResult:
        """The holder's authentication proof (with the expected challenge and domain; eddsa-rdfc-2022 or
        Ed25519Signature2020, as wallets sign), then each credential (this issuer's suite only)."""
        result = PresentationResult()
        result.checks.append(self._presentation_proof(document, challenge, domain))
        inner = document.get("verifiableCredential") or []
        for credential in inner if isinstance(inner, list) else [inner]:
            if not isinstance(credential, Mapping):
                failed = VerificationResult(None, [Check("structure", False, "a credential must be a JSON object")])
                result.credentials.append(failed)
                continue
            result.credentials.append(self.credential(credential))
        return result

    def _presentation_proof(self, document: Mapping, challenge: str | None, domain: str | None) -> Check:
        proofs = document.get("proof")
        listed = proofs if isinstance(proofs, list) else [proofs] if proofs is not None else []
        if not listed:
            return Check("proof", False, "the presentation has no proof")
        for proof in listed:
            if not isinstance(proof, Mapping):
                return Check("proof", False, "a proof must be a JSON object")
            if challenge is not None and proof.get("challenge") != challenge:
                return Check("proof", False, "the proof's challenge is not the one expected (options.challenge)")
            if domain is not None and not _domain_matches(proof.get("domain"), domain):
                return Check("proof", False, "the proof's domain is not the one expected (options.domain)")
            holder = document.get("holder")
            holder = holder.get("id") if isinstance(holder, Mapping) else holder
            method = proof.get("verificationMethod")
            if holder is not None and isinstance(method, str) and controller_of(method) != holder:
                return Check("proof", False, f"the proof is by {controller_of(method)}, not by the holder {holder}")
        try:
            results = verify_proofs(
                document,
                key_resolver=self._key_resolver(),
                purpose=AUTHENTICATION,
                canonicalizer=self.canonicalizer,
                check_issuer=False,
                suites=HOLDER_SUITES,
            )
        except Exception as exc:  # as above: any failure on this input means not verified
            return Check("proof", False, _reason(exc))
        bad = [r for r in results if not r.verified]
        if bad:
            return Check("proof", False, "; ".join(r.message for r in bad))
        return Check("proof", True, "; ".join(r.message for r in results))


def _reason(exc: Exception) -> str:
    if not isinstance(exc, IssuerError | RecursionError):
        log.warning("verification stopped on %s (reported to the caller as a failed check)", type(exc).__name__)
    return str(exc) or type(exc).__name__


def _unverifiable(document: Any, exc: Exception) -> VerificationResult:
    result = VerificationResult(document.get("id") if isinstance(document, Mapping) else None)
    result.checks.append(Check("verify", False, _reason(exc)))
    return result


def _domain_matches(value: Any, expected: str) -> bool:
    return value == expected or (isinstance(value, list) and expected in value)


def problem_details(failures: list[str]) -> list[dict[str, str]]:
    """VC-API `problemDetails`: one ProblemDetails object per failed check."""
    return [
        {"type": "https://www.w3.org/ns/credentials#VERIFICATION_ERROR", "title": "Check failed", "detail": failure}
        for failure in failures
    ]


def as_results(result: VerificationResult) -> dict[str, Any]:
    """A result as JSON: each check (passed true/false/null and the message), embedded ones nested."""
    return {
        "id": result.id,
        "verified": result.verified,
        "checks": [{"check": c.name, "passed": c.passed, "message": c.message} for c in result.checks],
        "embedded": [as_results(e) for e in result.embedded],
    }
