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
from connector_core.delivery.export import write_csv
from connector_core.delivery.mail import Mailer
from connector_core.delivery.notices import ClaimNotice
from connector_core.store import Store
from connector_core.store import claims as claim_store
from connector_core.store import records as record_store

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


def flush(
    store: Store,
    settings: Settings,
    *,
    run_id: str | None = None,
    sink: str | None = None,
    learners: set[str] | None = None,
    csv_path: Path | None = None,
) -> FlushReport:
    """Announce what is queued (for `learners`, or everyone) through `sink` (default: the configured one)."""
    delivery = delivery_settings(settings)
    sink = sink or delivery.sink
    report = FlushReport()
    if sink == "none":
        return report
    mailer = None
    if sink == "email":
        if delivery.smtp is None:
            raise ConfigError('[delivery].sink is "email" but there is no [delivery.smtp] table: add host and sender')
        issuer = settings.issuer.name if settings.issuer else "Your institution"
        mailer = Mailer(delivery.smtp, issuer, base_dir(settings))
    queued = claim_store.pending(store, learners)
    if not queued:
        return report
    people = record_store.learners(store, set(queued))
    titles = claim_store.names(store, [c for ids in queued.values() for c in ids])
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=delivery.claim_days)
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
    report.learners = len(notices)
    if mailer is not None:
        results = mailer.send(notices)
    else:
        folder = delivery.csv_dir if delivery.csv_dir.is_absolute() else base_dir(settings) / delivery.csv_dir
        report.csv = write_csv(csv_path or folder / f"claims-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv", notices)
        results = {n.learner_key: None for n in notices}
    report.failed = {key: error for key, error in results.items() if error}
    for error in set(report.failed.values()):
        claim_store.mark_sent(store, [links[k] for k, e in report.failed.items() if e == error], error=error)
    claim_store.mark_sent(store, [links[k] for k, e in results.items() if e is None])
    report.sent = report.learners - len(report.failed)
    failed = len(report.failed)
    log.info("claim links: %d learners, %d sent through %s, %d failed", report.learners, report.sent, sink, failed)
    return report


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
