"""One night's announcements: every learner with queued credentials gets one claim link, by email or CSV.

A link that could not be sent leaves its credentials queued, so the next flush (the next night, or
`lerconnect claims send`) tries again with a fresh link; nothing queued is lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connector_core.config import ConfigError, DeliverySettings, Settings
from connector_core.delivery import tokens
from connector_core.delivery.export import CsvSheet
from connector_core.delivery.mail import Mailer
from connector_core.delivery.notices import ClaimNotice
from connector_core.store import Store
from connector_core.store import claims as claim_store
from connector_core.store import records as record_store
from connector_core.store.batches import chunks

log = logging.getLogger("lerconnect.delivery")


@dataclass
class FlushReport:
    """What one flush did; `csv` is the file written, when the sink is CSV."""

    learners: int = 0
    sent: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    csv: Path | None = None


def claim_url(settings: Settings, token: str) -> str:
    """The link a learner gets: the token only, no personal data."""
    return f"{settings.serve.public_base_url.rstrip('/')}/claim/{token}"


def delivery_settings(settings: Settings) -> DeliverySettings:
    if settings.delivery is None:
        raise ConfigError('the config has no [delivery] table: add one (see README, "Serving and delivery")')
    settings.require("delivery")
    return settings.delivery


def base_dir(settings: Settings) -> Path:
    return settings.path.parent if settings.path else Path.cwd()


LEARNERS_PER_BATCH = 500
"""Learners announced at a time: a campus's night of credentials is never all in memory at once."""


def flush(
    store: Store,
    settings: Settings,
    *,
    run_id: str | None = None,
    sink: str | None = None,
    learners: set[str] | None = None,
    csv_path: Path | None = None,
) -> FlushReport:
    """Announce what is queued (for `learners`, or everyone) through `sink` (default: the configured
    one), a batch of learners at a time; a CSV sink writes one file for the whole flush."""
    delivery = delivery_settings(settings)
    sink = sink or delivery.sink
    report = FlushReport()
    if sink == "none":
        return report
    if sink == "email" and delivery.smtp is None:
        raise ConfigError('[delivery].sink is "email" but there is no [delivery.smtp] table: add host and sender')
    waiting = claim_store.pending_learners(store, learners)
    if not waiting:
        return report
    if sink == "email" and delivery.smtp is not None:
        issuer = settings.issuer.name if settings.issuer else "Your institution"
        out: Mailer | CsvSheet = Mailer(delivery.smtp, issuer, base_dir(settings))
    else:
        folder = delivery.csv_dir if delivery.csv_dir.is_absolute() else base_dir(settings) / delivery.csv_dir
        report.csv = csv_path or folder / f"claims-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv"
        out = CsvSheet(report.csv)
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=delivery.claim_days)
    for batch in chunks(waiting, LEARNERS_PER_BATCH):
        _announce(store, settings, batch, expires, sink, run_id, out, report)
    report.sent = report.learners - len(report.failed)
    failed = len(report.failed)
    log.info("claim links: %d learners, %d sent through %s, %d failed", report.learners, report.sent, sink, failed)
    return report


def _announce(
    store: Store,
    settings: Settings,
    learners: list[str],
    expires: datetime,
    sink: str,
    run_id: str | None,
    out: Mailer | CsvSheet,
    report: FlushReport,
) -> None:
    """One batch of learners: a fresh link each to what waits for them, sent (or written), then marked."""
    queued = claim_store.pending(store, learners)
    if not queued:
        return
    people = record_store.learners(store, set(queued))
    titles = claim_store.names(store, [c for ids in queued.values() for c in ids])
    secrets = {key: tokens.new_token() for key in queued}
    links = claim_store.new_links(
        store, [(key, secrets[key][1], ids) for key, ids in queued.items()], expires, sink, run_id
    )
    notices = []
    for learner_key, credential_ids in queued.items():
        person = people.get(learner_key)
        notices.append(
            ClaimNotice(
                learner_key,
                person.email if person else None,
                person.given_name if person else None,
                person.family_name if person else None,
                claim_url(settings, secrets[learner_key][0]),
                expires,
                tuple(titles.get(c, "Credential") for c in credential_ids),
            )
        )
    results = out.send(notices)
    report.learners += len(notices)
    failed = {key: error for key, error in results.items() if error}
    report.failed.update(failed)
    for error in set(failed.values()):
        claim_store.mark_sent(store, [links[k] for k, e in failed.items() if e == error], error=error)
    claim_store.mark_sent(store, [links[k] for k, e in results.items() if e is None])


def fresh_link(store: Store, settings: Settings, learner_key: str, *, sink: str = "manual") -> str:
    """A new claim link to all of a learner's live credentials, returned instead of sent (demo, support desk)."""
    delivery = settings.delivery or DeliverySettings()
    live = [row.id for row in claim_store.live_credentials(store, learner_key)]
    claim_store.requeue(store, learner_key, live)
    token, digest = tokens.new_token()
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=delivery.claim_days)
    links = claim_store.new_links(store, [(learner_key, digest, live)], expires, sink)
    claim_store.mark_sent(store, links.values())
    return claim_url(settings, token)
