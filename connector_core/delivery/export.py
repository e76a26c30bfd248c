"""Claim links as CSV for the campus's own mail system: one row per learner, file readable by its owner only."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from connector_core.delivery.notices import ClaimNotice

COLUMNS = ("learner_key", "email", "given_name", "family_name", "claim_url", "expires_at", "credentials")


def write_csv(path: Path, notices: list[ClaimNotice], *, append: bool = False) -> Path:
    """Write the notices to `path` (mode 0600: the links are bearer secrets until used); `append`
    adds them below the rows an earlier batch wrote, else the file starts anew with its header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC), 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if not append:
            writer.writerow(COLUMNS)
        for n in notices:
            writer.writerow(
                (
                    n.learner_key,
                    n.email or "",
                    n.given_name or "",
                    n.family_name or "",
                    n.claim_url,
                    n.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "; ".join(n.titles),
                )
            )
    return path


class CsvSheet:
    """One flush's CSV file, written a batch of notices at a time; every row is accepted."""

    def __init__(self, path: Path) -> None:
        self.path, self.started = path, False

    def send(self, notices: list[ClaimNotice]) -> dict[str, str | None]:
        write_csv(self.path, notices, append=self.started)
        self.started = True
        return {n.learner_key: None for n in notices}
