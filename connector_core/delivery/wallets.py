"""What the claim page hands a wallet: VC-API exchange requests and deep links, OID4VCI offers, QR codes.

Followed, and where from:
- VC-API exchanges as the Digital Credentials Consortium's Learner Credential Wallet uses them: the
  deep link `dccrequest://request?issuer=…&auth_type=bearer&challenge=…&vc_request_url=…` (also
  `https://lcw.app/request.html?…`), to whose `vc_request_url` the wallet posts a DIDAuth
  presentation signed over the challenge (DCC docs, integration/jff.md "Constructing the Deep Link";
  DCC transaction-service README and its getDIDAuthVPR). A POST without a presentation gets the
  DIDAuthentication VerifiablePresentationRequest (W3C CCG VP Request Spec; W3C VCALM exchanges).
- OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow, format `ldp_vc`: offer by
  value in `openid-credential-offer://?credential_offer=…`, issuer metadata, token, nonce and
  credential endpoints (OpenID4VCI 1.0 §4, §6, §7, §8, §12.2, Appendix A.1.2 and F.1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import segno

from connector_core.issuer.jsonld import CLR_V2, OB_EXTENSIONS, OB_V3, VC_V2

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
EXCHANGE_PATH = "/workflows/claim/exchanges/"
OID4VCI_PATH = "/oid4vci"

#: OID4VCI credential configurations: the two kinds of credential a learner has
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "OpenBadgeCredential_ldp_vc": {
        "kind": "achievement",
        "context": [VC_V2, OB_V3, OB_EXTENSIONS],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Course, competency or activity (Open Badges 3.0)",
    },
    "ClrCredential_ldp_vc": {
        "kind": "clr",
        "context": [VC_V2, CLR_V2, OB_V3, OB_EXTENSIONS],
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": "Comprehensive Learner Record (CLR 2.0)",
    },
}
CONFIGURATION_OF_KIND = {spec["kind"]: name for name, spec in CONFIGURATIONS.items()}


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI (the page's CSP allows data: images, nothing inline else)."""
    return segno.make(text, error="m").svg_data_uri(scale=4, border=2)


def domain_of(public_base_url: str) -> str:
    """The DIDAuth `domain`: the host wallets reach us at."""
    return urlsplit(public_base_url).netloc


def didauth_request(exchange_url: str, challenge: str, domain: str) -> dict[str, Any]:
    """A DIDAuthentication VerifiablePresentationRequest pointing back at the exchange."""
    return {
        "query": [
            {
                "type": "DIDAuthentication",
                "acceptedMethods": [{"method": "key"}],
                "acceptedCryptosuites": [{"cryptosuite": "eddsa-rdfc-2022"}],
            }
        ],
        "interact": {"service": [{"type": "VerifiableCredentialApiExchangeService", "serviceEndpoint": exchange_url}]},
        "challenge": challenge,
        "domain": domain,
    }


@dataclass(frozen=True)
class ExchangeLinks:
    """How a phone opens an exchange: the LCW deep link (custom scheme), its https form, and a QR code."""

    url: str
    deep_link: str
    web_link: str
    qr: str


def exchange_links(exchange_url: str, challenge: str, issuer: str) -> ExchangeLinks:
    query = urlencode(
        {"issuer": issuer, "auth_type": "bearer", "challenge": challenge, "vc_request_url": exchange_url},
        quote_via=quote,
    )
    deep = f"dccrequest://request?{query}"
    return ExchangeLinks(exchange_url, deep, f"https://lcw.app/request.html?{query}", qr_data_uri(deep))


@dataclass(frozen=True)
class OfferLinks:
    """An OID4VCI credential offer: the offer object, its `openid-credential-offer://` link, a QR code."""

    offer: dict[str, Any]
    link: str
    qr: str
    tx_code: str | None


def credential_offer(issuer_url: str, configuration_ids: list[str], code: str, tx_code: str | None) -> OfferLinks:
    grant: dict[str, Any] = {"pre-authorized_code": code}
    if tx_code is not None:
        grant["tx_code"] = {
            "input_mode": "numeric",
            "length": len(tx_code),
            "description": "the code shown under the QR code on your claim page",
        }
    offer = {
        "credential_issuer": issuer_url,
        "credential_configuration_ids": configuration_ids,
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }
    link = "openid-credential-offer://?" + urlencode({"credential_offer": json.dumps(offer, separators=(",", ":"))})
    return OfferLinks(offer, link, qr_data_uri(link), tx_code)


def issuer_metadata(issuer_url: str, display_name: str) -> dict[str, Any]:
    """Credential issuer metadata (OID4VCI 1.0 §12.2); this issuer is its own authorization server."""
    return {
        "credential_issuer": issuer_url,
        "credential_endpoint": issuer_url + OID4VCI_PATH + "/credential",
        "nonce_endpoint": issuer_url + OID4VCI_PATH + "/nonce",
        "display": [{"name": display_name, "locale": "en"}],
        "credential_configurations_supported": {
            name: {
                "format": "ldp_vc",
                "scope": name,
                "credential_definition": {"@context": spec["context"], "type": spec["type"]},
                "cryptographic_binding_methods_supported": ["did:key", "did:jwk"],
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["EdDSA", "ES256"]}},
                "credential_metadata": {"display": [{"name": spec["name"], "locale": "en"}]},
            }
            for name, spec in CONFIGURATIONS.items()
        },
    }


def authorization_server_metadata(issuer_url: str) -> dict[str, Any]:
    """RFC 8414 metadata of the (same-host) authorization server: the token endpoint, pre-authorized grant only."""
    return {
        "issuer": issuer_url,
        "token_endpoint": issuer_url + OID4VCI_PATH + "/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
    }
