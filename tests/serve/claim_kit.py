"""Shared set-up of the delivery tests: a campus with [delivery], its nightly claim links, a served app,
and a wallet written here (a holder key, DIDAuth presentations, OID4VCI proof JWTs)."""

from __future__ import annotations

import csv
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from serving import DOMAIN, Served
from test_issuing import Campus

from connector_core.config import DeliverySettings
from connector_core.issuer import SigningKey
from connector_core.issuer.jsonld import VC_V2
from connector_core.issuing import service_for
from connector_core.serve.app import create_app
from connector_core.serve.services import Services
from connector_core.store import credentials as cred_store
from connector_core.testing.served_app import served_app


def delivery_campus(tmp_path: Path, store, monkeypatch, **delivery: Any):
    """The web test campus (did:web) with a [delivery] table (CSV sink unless told), not yet synced."""
    campus = Campus(tmp_path, store, monkeypatch)
    issuer = campus.settings.issuer.model_copy(update={"did_method": "web", "domain": DOMAIN})
    options = DeliverySettings(**{"sink": "csv", "csv_dir": tmp_path / "claims", **delivery})
    campus.settings = campus.settings.model_copy(update={"issuer": issuer, "delivery": options})
    return campus


def issue(campus) -> Any:
    """Issue as a night does: through `service_for`'s wiring, so the delivery sink sees the whole pass."""
    service = service_for(campus.store, campus.settings, campus.registry.hook)
    assert service is not None
    return service.reconcile()


def sync_and_issue(campus) -> Any:
    from connector_core.engine import SyncEngine

    (result,) = SyncEngine(campus.store, campus.registry, campus.settings).sync("registrar", full=True)
    assert result.status == "succeeded", result.error
    return issue(campus)


def claim_rows(folder: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def serve(campus):
    services = Services.from_settings(campus.settings, campus.store, campus.registry.hook)
    return services, served_app(create_app(campus.settings, campus.store, services=services))


def open_claim(served: Served, claim_url: str) -> requests.Response:
    """Follow a claim link as a browser does: GET the landing page, POST its form; the records page."""
    landing = served.get(urlsplit(claim_url).path)
    assert landing.status_code == 200, landing.text
    form = dict(re.findall(r'name="(token|csrf_token)" value="([^"]*)"', landing.text))
    return served.post("/claim", data=form)


def links_of(page: str) -> dict[str, str]:
    """The wallet links on a records page: the LCW deep link and the OpenID4VCI offer."""
    hrefs = [unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
    return {
        "lcw": next(h for h in hrefs if h.startswith("dccrequest://")),
        "oid4vci": next(h for h in hrefs if h.startswith("openid-credential-offer://")),
    }


def deep_link_parts(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


def status_resolver(served: Served):
    """Fetch status lists over HTTP from the served app, at the path their URL names."""

    def resolve(url: str) -> dict:
        response = served.get(urlsplit(url).path)
        response.raise_for_status()
        return response.json()

    return resolve


@dataclass
class Wallet:
    """A holder written in the test: an Ed25519 did:key, DIDAuth presentations, OID4VCI proof JWTs."""

    key: SigningKey

    @classmethod
    def new(cls) -> Wallet:
        return cls(SigningKey.generate())

    @property
    def did(self) -> str:
        return self.key.did_key

    def didauth(self, challenge: str, domain: str | None) -> dict:
        """A DIDAuth presentation: Data Integrity eddsa-rdfc-2022, purpose authentication."""
        from connector_core.issuer.proofs import proof_options

        presentation = {"@context": [VC_V2], "type": ["VerifiablePresentation"], "holder": self.did}
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        options = proof_options(self.key.verification_method, created, purpose="authentication")
        options["challenge"] = challenge
        if domain is not None:
            options["domain"] = domain
        return _sign_with(presentation, self.key, options)

    def proof_jwt(self, audience: str, nonce: str, **header: Any) -> str:
        claims = {"aud": audience, "iat": int(time.time()), "nonce": nonce}
        headers = {"typ": "openid4vci-proof+jwt", "kid": self.key.verification_method, **header}
        return jwt.encode(claims, self.key._key, algorithm="EdDSA", headers=headers)


def _sign_with(document: dict, key: SigningKey, options: dict) -> dict:
    """Sign with explicit proof options (challenge, domain): the same hash as the issuer's signer."""
    import base58

    from connector_core.issuer.fastpath import default_canonicalizer
    from connector_core.issuer.proofs import _hash

    canon = default_canonicalizer()
    data = _hash(canon.canonicalize({**options, "@context": document["@context"]})) + _hash(
        canon.canonicalize(document)
    )
    return {**document, "proof": {**options, "proofValue": "z" + base58.b58encode(key.sign(data)).decode()}}


def live_achievements(campus) -> list:
    return cred_store.list_credentials(campus.store, status="active", kind="achievement")


def verify(served: Served, document: dict):
    """Our verifier, with the issuer's did:web keys and status lists fetched from the served app."""
    from connector_core.issuer import verify_credential

    return verify_credential(
        document, status_resolver=status_resolver(served), key_resolver=served.services.ring.resolve
    )
