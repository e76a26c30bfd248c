"""Hand-over of a learner's credentials to a wallet: offers made for the claim page, copies bound on delivery.

Both wallet protocols end here: the offer names the credentials (never someone else's: they are
re-read as the learner's live ones), the holder DID comes from the protocol's own proof.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connector_core.delivery import tokens, wallets
from connector_core.delivery.holder import bind
from connector_core.issuing import IssuingService
from connector_core.store import claims as claim_store
from connector_core.store.tables import CredentialRow


class NothingToHandOver(LookupError):
    """The offer's credentials were revoked or replaced since it was made."""


@dataclass(frozen=True)
class Offers:
    """The two ways the claim page offers a learner's credentials to a wallet."""

    exchange: wallets.ExchangeLinks
    oid4vci: wallets.OfferLinks


def make_offers(
    issuing: IssuingService,
    public_base_url: str,
    learner_key: str,
    rows: list[CredentialRow],
    *,
    minutes: float,
    tx_code: bool,
) -> Offers:
    """A fresh VC-API exchange and OID4VCI offer for `rows`, each single-use and expiring in `minutes`."""
    store = issuing.store
    base = public_base_url.rstrip("/")
    expires = datetime.now(UTC) + timedelta(minutes=minutes)
    ids = [row.id for row in rows]
    exchange_id, exchange_hash = tokens.new_token()
    challenge = str(uuid.uuid4())
    claim_store.create_offer(store, "vcapi", exchange_hash, learner_key, ids, expires, challenge=challenge)
    exchange = wallets.exchange_links(base + wallets.EXCHANGE_PATH + exchange_id, challenge, issuing.profile.id)
    code, code_hash = tokens.new_token()
    pin = tokens.numeric_code() if tx_code else None
    claim_store.create_offer(
        store, "oid4vci", code_hash, learner_key, ids, expires, tx_code_hash=tokens.digest(pin) if pin else None
    )
    kinds = sorted({wallets.CONFIGURATION_OF_KIND[row.kind] for row in rows})
    return Offers(exchange, wallets.credential_offer(base, kinds, code, pin))


def hand_over(issuing: IssuingService, offer_id: int, learner_key: str, ids: list[str], holder: str) -> list[dict]:
    """The learner's still-live credentials among `ids`, each re-signed for `holder` now, kept and audited."""
    rows = claim_store.live_of(issuing.store, learner_key, ids)
    if not rows:
        raise NothingToHandOver("the credentials of this offer were revoked or replaced: open the claim page again")
    now = datetime.now(UTC)
    documents = [bind(r.document, holder, issuing.signer, canonicalizer=issuing.canonicalizer, now=now) for r in rows]
    claim_store.add_bound(issuing.store, offer_id, holder, list(zip(rows, documents, strict=True)))
    return documents
