"""Credential verification: proof, validity dates, status, schema; recursive into CLR-embedded credentials.

Each check reports passed / failed / skipped with a message, so a caller (CLI, VC-API route) can
show exactly why a credential does not verify. Fetching is the caller's job: status lists and
schemas come from resolver callables, keys from did:key or a key resolver.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jsonschema import Draft201909Validator

from .errors import IssuerError
from .fastpath import Canonicalizer
from .proofs import KeyResolver, issuer_id, verify_proofs
from .schemas import VALIDATOR_TYPE, SchemaNotInstalled
from .status import ENTRY_TYPE, LIST_CREDENTIAL_TYPE, entry_status

StatusResolver = Callable[[str], Mapping]
SchemaResolver = Callable[[str], Mapping]


@dataclass(frozen=True)
class Check:
    """One verification step. `passed` is None when the step was skipped (message says why)."""

    name: str
    passed: bool | None
    message: str


@dataclass
class VerificationResult:
    """All checks of one credential plus the results of credentials embedded in it."""

    id: str | None
    checks: list[Check] = field(default_factory=list)
    embedded: list[VerificationResult] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return all(c.passed is not False for c in self.checks) and all(e.verified for e in self.embedded)

    def __bool__(self) -> bool:
        return self.verified

    def failures(self) -> list[str]:
        own = [f"{self.id}: {c.name}: {c.message}" for c in self.checks if c.passed is False]
        return own + [f for e in self.embedded for f in e.failures()]


def verify_credential(
    document: Mapping,
    *,
    status_resolver: StatusResolver | None = None,
    key_resolver: KeyResolver | None = None,
    schema_resolver: SchemaResolver | None = None,
    now: datetime | None = None,
    canonicalizer: Canonicalizer | None = None,
) -> VerificationResult:
    """Verify `document` and, for a CLR, every credential in credentialSubject.verifiableCredential."""
    now = now or datetime.now(UTC)
    result = VerificationResult(document.get("id") if isinstance(document, Mapping) else None)
    if not isinstance(document, Mapping):
        result.checks.append(Check("structure", False, "credential is not a JSON object"))
        return result
    kwargs: dict[str, Any] = dict(key_resolver=key_resolver, canonicalizer=canonicalizer)
    result.checks.append(_proof_check(document, kwargs))
    result.checks.append(_validity_check(document, now))
    result.checks.append(_status_check(document, status_resolver, kwargs, now))
    result.checks.append(_schema_check(document, schema_resolver))
    subject = document.get("credentialSubject")
    if isinstance(subject, Mapping):
        inner = subject.get("verifiableCredential") or []
        for embedded in inner if isinstance(inner, list) else [inner]:
            result.embedded.append(
                verify_credential(
                    embedded,
                    status_resolver=status_resolver,
                    key_resolver=key_resolver,
                    schema_resolver=schema_resolver,
                    now=now,
                    canonicalizer=canonicalizer,
                )
            )
    return result


def _proof_check(document: Mapping, kwargs: dict) -> Check:
    try:
        results = verify_proofs(document, **kwargs)
    except IssuerError as exc:
        return Check("proof", False, str(exc))
    if not results:
        return Check("proof", False, "credential has no proof")
    bad = [r for r in results if not r.verified]
    if bad:
        return Check("proof", False, "; ".join(r.message for r in bad))
    return Check("proof", True, "; ".join(r.message for r in results))


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date-time string")
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return when


def _validity_check(document: Mapping, now: datetime) -> Check:
    try:
        start = document.get("validFrom")
        end = document.get("validUntil")
        if start is not None and _parse_time(start) > now:
            return Check("validity", False, f"not yet valid: validFrom {start}")
        if end is not None and _parse_time(end) <= now:
            return Check("validity", False, f"expired: validUntil {end}")
    except ValueError as exc:
        return Check("validity", False, f"bad date: {exc}")
    if start is None:
        return Check("validity", None, "no validFrom (not a VC 2.0 credential?)")
    return Check("validity", True, f"valid at {now.isoformat()}")


_LIST_RESULTS: OrderedDict[tuple[str, str, int], list[str]] = OrderedDict()


def _list_failures(listed: Any, kwargs: dict, now: datetime) -> list[str]:
    """Verify a status list credential once per content (and minute): thousands of credentials share one."""
    try:
        digest = hashlib.sha256(json.dumps(listed, sort_keys=True).encode("utf-8")).hexdigest()
    except (TypeError, ValueError):
        digest = None
    key = (digest, now.strftime("%Y%m%d%H%M"), id(kwargs["canonicalizer"])) if digest else None
    if key is not None and key in _LIST_RESULTS and kwargs["key_resolver"] is None:
        _LIST_RESULTS.move_to_end(key)
        return _LIST_RESULTS[key]
    inner = verify_credential(
        listed, key_resolver=kwargs["key_resolver"], now=now, canonicalizer=kwargs["canonicalizer"]
    )
    failures = inner.failures()
    if key is not None and kwargs["key_resolver"] is None:  # a caller's resolver may change its mind
        _LIST_RESULTS[key] = failures
        if len(_LIST_RESULTS) > 64:
            _LIST_RESULTS.popitem(last=False)
    return failures


def _foreign_list(document: Mapping, listed: Any) -> str | None:
    """Why `listed` cannot speak for `document`'s status, or None. Anyone can sign a list with all bits
    clear; only a list credential from the credential's own issuer counts (BSL validation, as the JS verifier)."""
    if not isinstance(listed, Mapping):
        return "is not a JSON object"
    types = listed.get("type")
    if LIST_CREDENTIAL_TYPE not in (types if isinstance(types, list) else [types]):
        return f"is not a {LIST_CREDENTIAL_TYPE} (type {types})"
    if issuer_id(listed) != issuer_id(document):
        return (
            f"is issued by {issuer_id(listed)}, but the credential by {issuer_id(document)}; "
            "a status list only counts from the credential's own issuer"
        )
    return None


def _status_check(document: Mapping, resolver: StatusResolver | None, kwargs: dict, now: datetime) -> Check:
    status = document.get("credentialStatus")
    if status is None:
        return Check("status", None, "no credentialStatus")
    entries = status if isinstance(status, list) else [status]
    notes = []
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("type") != ENTRY_TYPE:
            kind = entry.get("type") if isinstance(entry, Mapping) else entry
            notes.append(f"status type {kind} not checked (only {ENTRY_TYPE} is)")
            continue
        if resolver is None:
            return Check("status", None, "credential has a status entry but no status_resolver was given")
        url = entry.get("statusListCredential")
        try:
            listed = resolver(url)
        except Exception as exc:  # the resolver is caller code: report, don't crash verification
            return Check("status", False, f"STATUS_RETRIEVAL_ERROR: cannot get {url}: {exc}")
        refusal = _foreign_list(document, listed)
        if refusal:
            return Check("status", False, f"STATUS_VERIFICATION_ERROR: list {url}: {refusal}")
        failures = _list_failures(listed, kwargs, now)
        if failures:
            return Check("status", False, f"STATUS_VERIFICATION_ERROR: list {url}: {'; '.join(failures)}")
        try:
            found = entry_status(entry, listed)
        except IssuerError as exc:
            return Check("status", False, str(exc))
        if found.value:
            return Check("status", False, f"{found.purpose}: index {found.index} is set in {url}")
        notes.append(f"{found.purpose}: index {found.index} is clear")
    if not any("is clear" in n for n in notes):
        return Check("status", None, "; ".join(notes))
    return Check("status", True, "; ".join(notes))


def _schema_check(document: Mapping, resolver: SchemaResolver | None) -> Check:
    schemas = document.get("credentialSchema")
    if not schemas:
        return Check("schema", None, "no credentialSchema")
    if resolver is None:
        return Check("schema", None, "credentialSchema present but no schema_resolver was given")
    errors, notes, checked = [], [], []
    for ref in schemas if isinstance(schemas, list) else [schemas]:
        url = ref.get("id") if isinstance(ref, Mapping) else None
        if not isinstance(ref, Mapping) or ref.get("type") != VALIDATOR_TYPE:
            notes.append(f"schema {url} of type {ref.get('type') if isinstance(ref, Mapping) else ref} not checked")
            continue
        try:
            schema = resolver(url)
        except SchemaNotInstalled as exc:
            notes.append(str(exc))
            continue
        except Exception as exc:  # caller code
            return Check("schema", False, f"cannot get schema {url}: {exc}")
        checked.append(url.rsplit("/", 1)[-1])
        for err in Draft201909Validator(schema).iter_errors(document):
            errors.append(f"{'/'.join(map(str, err.absolute_path)) or '(root)'}: {err.message}")
    if errors:
        return Check("schema", False, "; ".join(errors[:5]))
    if not checked:
        return Check("schema", None, "; ".join(notes))
    return Check("schema", True, f"valid against {', '.join(checked)}")
