"""What a learner is told after a night: one notice per learner, whatever number of credentials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ClaimNotice:
    """One learner's claim link and what it announces; `email` may be None (CSV sinks still list them)."""

    learner_key: str
    email: str | None
    given_name: str | None
    family_name: str | None
    claim_url: str
    expires_at: datetime
    titles: tuple[str, ...]

    @property
    def expires(self) -> str:
        return self.expires_at.strftime("%Y-%m-%d %H:%M UTC")
