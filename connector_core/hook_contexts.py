"""What a hook is told besides its record or credential: one small frozen type per kind of hook.

Version-1 plugins read contexts as dicts (`context["source"]`, `context["learner"]`); the keys
they knew still answer, with the values they had then, so such plugins load unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal

CredentialKind = Literal["achievement", "clr"]


class _Version1Keys:
    """Read-only mapping access for the keys a version-1 context dict had."""

    version1_keys: ClassVar[tuple[str, ...]] = ()

    def _version1_value(self, key: str) -> Any:
        return getattr(self, key)

    def __getitem__(self, key: str) -> Any:
        if key not in self.version1_keys:
            attributes = ", ".join(f.name for f in fields(self))  # type: ignore[arg-type]
            raise KeyError(f"{key!r}: a {type(self).__name__} has the attributes {attributes}")
        return self._version1_value(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self.version1_keys else default

    def __contains__(self, key: object) -> bool:
        return key in self.version1_keys

    def __iter__(self) -> Iterator[str]:
        return iter(self.version1_keys)

    def keys(self) -> tuple[str, ...]:
        return self.version1_keys


@dataclass(frozen=True)
class TransformContext(_Version1Keys):
    """Where a record passing `lerconnect_transform` comes from."""

    source: str
    """The configured source name (the `[sources.<name>]` table)."""
    stream: str
    run_id: str

    version1_keys: ClassVar[tuple[str, ...]] = ("source", "stream", "run_id")


@dataclass(frozen=True)
class LearnerRef:
    """The learner a credential is for: the internal key, and the email and DID when known."""

    key: str
    email: str | None = None
    did: str | None = None


@dataclass(frozen=True)
class RecordRef:
    """The stored learning record an achievement credential is issued for."""

    key: int
    """The record's key in the store (its row id)."""
    source: str
    stream: str
    source_record_id: str


@dataclass(frozen=True)
class IssueContext(_Version1Keys):
    """What a credential about to be signed (`lerconnect_before_issue`) is about.

    `record` is None for a CLR, which is about the learner's records as a whole, and for a
    credential a campus system posted to the issuer API: then `client_id` names that API client,
    and `learner.key` is the posted `credentialSubject.id` (the store knows no learner for it).
    """

    kind: CredentialKind
    learner: LearnerRef
    record: RecordRef | None = None
    run_id: str | None = None
    client_id: str | None = None
    """The issuer API client that posted the credential; None for the nightly run."""

    version1_keys: ClassVar[tuple[str, ...]] = ("learner", "record", "kind")

    def delivered(self, replaces: str | None) -> DeliveryContext:
        """This context once its credential is signed and stored; `replaces` is the one it supersedes."""
        return DeliveryContext(**{f.name: getattr(self, f.name) for f in fields(self)}, replaces=replaces)

    def _version1_value(self, key: str) -> Any:
        if key == "learner":
            return self.learner.key
        if key == "record":
            return self.record.key if self.record is not None else None
        return getattr(self, key)


@dataclass(frozen=True)
class DeliveryContext(IssueContext):
    """What a signed, stored credential (`lerconnect_after_issue`) is about; `replaces` is the older
    credential it supersedes (now revoked), if any."""

    replaces: str | None = None


@dataclass(frozen=True)
class IssuingContext:
    """What `lerconnect_after_issuing` is told: the pass is over; `settings` and `store` are the run's own."""

    run_id: str | None
    settings: Any
    """The loaded `connector_core.config.Settings`; None when issuing ran without a whole config."""
    store: Any
    """The `connector_core.store.Store` the pass wrote to."""
