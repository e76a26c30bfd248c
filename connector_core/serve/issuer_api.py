"""The issuer API (VC-API, authenticated): `POST /credentials/issue` and `POST /credentials/status`,
for campus systems that post their own unsigned credentials.

Each issued credential gets a status entry from the same lists and the same allocator as the nightly
run (no index is ever reused), is kept by `options.credentialId` (a repeat returns the stored one)
and lands in the audit ledger; so does every status change. A status change also reaches the
nightly run's credentials (revoked as `lerconnect credentials revoke` does: see `nightly_status`).
Bodies are validated before anything is reserved or signed; their content is never logged. The
campus's `lerconnect_before_issue` plugins see each posted credential as they see the nightly
run's, and may refuse it (422).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from connector_core.issuer import IssuerError, sign_credential
from connector_core.issuer.jsonld import VC_V2
from connector_core.issuer.status import ENTRY_TYPE, allocate_index, status_entry
from connector_core.serve.issue_policy import policy_refusal
from connector_core.serve.nightly_status import set_nightly_status
from connector_core.serve.problems import Problem, bad_request, own
from connector_core.serve.services import Services
from connector_core.store import api_credentials
from connector_core.store import credentials as cred_store
from connector_core.store.api_credentials import StatusChange
from connector_core.store.serve_clients import Grant
from connector_core.store.tables import ApiCredentialRow

log = logging.getLogger("lerconnect.serve.issuer")
REVOCATION = "revocation"


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")


class IssueOptions(_Body):
    credentialId: str | None = Field(default=None, min_length=1, max_length=2048)  # noqa: N815 - VC-API's name


class IssueRequest(_Body):
    credential: dict[str, Any] = Field(description="an unsigned VC Data Model 2.0 credential")
    options: IssueOptions = IssueOptions()


class StatusEntry(_Body):
    type: str
    statusPurpose: str  # noqa: N815
    statusListIndex: str | None = None  # noqa: N815
    statusListCredential: str | None = None  # noqa: N815


class StatusRequest(_Body):
    credentialId: str = Field(min_length=1, max_length=2048)  # noqa: N815
    credentialStatus: StatusEntry  # noqa: N815
    status: bool


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def checked_draft(credential: Mapping[str, Any], services: Services) -> dict[str, Any]:
    """The credential to sign, or a 400 naming what is wrong and how to fix it."""
    draft = dict(credential)
    contexts = draft.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_V2:
        raise bad_request(f'credential.@context must be a list that starts with "{VC_V2}" (VC Data Model 2.0)')
    if "VerifiableCredential" not in _types(draft.get("type")):
        raise bad_request('credential.type must include "VerifiableCredential"')
    subject = draft.get("credentialSubject")
    if not (isinstance(subject, dict) and subject) and not (
        isinstance(subject, list) and subject and all(isinstance(s, dict) for s in subject)
    ):
        raise bad_request("credential.credentialSubject must be a non-empty object (or a list of them)")
    if "proof" in draft:
        raise bad_request("credential already has a proof: post it unsigned")
    issuing = services.issuer()
    issuer = draft.get("issuer")
    if issuer is None:
        draft["issuer"] = issuing.profile.as_json()
    else:
        given = issuer.get("id") if isinstance(issuer, dict) else issuer
        if given != issuing.ring.did:
            raise bad_request(
                f"credential.issuer must be {issuing.ring.did} (this service signs only as itself), or left out"
            )
    base = issuing.settings.status_base_url.rstrip("/") + "/"
    for entry in _types(draft.get("credentialStatus")) if "credentialStatus" in draft else []:
        url = entry.get("statusListCredential") if isinstance(entry, dict) else None
        if isinstance(url, str) and url.startswith(base):
            raise bad_request(
                "credential.credentialStatus points at this issuer's lists: leave it out, the issuer allocates entries"
            )
    for field in ("validFrom", "validUntil"):
        if field in draft and not _is_datetime(draft[field]):
            raise bad_request(
                f"credential.{field} must be an XML Schema dateTime with a time zone, e.g. 2026-01-31T00:00:00Z"
            )
    return draft


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def request_digest(credential: Mapping[str, Any]) -> str:
    """What tells a repeated request from a different credential under the same id."""
    return hashlib.sha256(json.dumps(credential, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def make_router(services: Services) -> APIRouter:
    from connector_core.serve.oauth import bearer

    router = APIRouter(tags=["issuer"])
    if services.issuing is None:  # no [issuer]: nothing to sign with, so no issuer API
        return router
    may_issue = Depends(bearer(services, "issue"))
    may_set_status = Depends(bearer(services, "status"))

    def _replay(row: ApiCredentialRow, digest: str) -> JSONResponse:
        if row.request_digest != digest:
            raise Problem(
                409,
                "Credential id in use",
                f"{row.id} was issued with different content: give the new credential another options.credentialId",
                type=own("credential-id-conflict"),
            )
        return JSONResponse({"verifiableCredential": row.document}, status_code=201)

    @router.post("/credentials/issue", status_code=201, name="issue_credential")
    def issue(body: IssueRequest, grant: Grant = may_issue) -> JSONResponse:
        """Sign a posted credential (adding this issuer and a revocation status entry); 201 `{verifiableCredential}`."""
        draft = checked_draft(body.credential, services)
        key = body.options.credentialId or draft.get("id")
        if key is not None and not isinstance(key, str):
            raise bad_request("credential.id must be a string (a URL or urn:uuid:…)")
        key = key or f"urn:uuid:{uuid.uuid4()}"
        digest = request_digest(body.credential)
        existing = api_credentials.get(services.store, key)
        if existing is not None:
            return _replay(existing, digest)
        if api_credentials.nightly_has(services.store, key):
            raise Problem(
                409,
                "Credential id in use",
                f"{key} is a credential of the nightly run: use another id",
                type=own("credential-id-conflict"),
            )
        refusal = policy_refusal(services.hook, draft, grant.client_id)
        if refusal is not None:  # before a status entry is reserved: a refusal spends no index
            api_credentials.refused(services.store, key, grant.client_id, refusal)
            log.info("issuer API: client %s: %s refused by policy", grant.client_id, key)
            raise Problem(422, "Issuing refused by policy", refusal, type=own("issue-refused"))
        issuing = services.issuer()
        ((status_list, counter),) = cred_store.reserve(services.store, issuing.settings.status_base_url, 1)
        index = allocate_index(bytes.fromhex(status_list.seed), counter, status_list.size)
        status = status_entry(status_list.url, index)
        listed = draft.get("credentialStatus")
        draft["credentialStatus"] = status if listed is None else [*_types(listed), status]
        try:
            signed = sign_credential(
                draft, issuing.signer, created=datetime.now(UTC), canonicalizer=issuing.canonicalizer
            )
        except (IssuerError, RecursionError) as exc:  # unknown context, unsafe document: the caller's to fix
            raise bad_request(f"the credential cannot be signed: {exc}") from None
        except (TypeError, ValueError, AttributeError, KeyError) as exc:  # JSON-LD that pyld cannot expand
            log.warning("issuer API: signing stopped on %s (answered 400)", type(exc).__name__)
            raise bad_request(
                f"the credential cannot be signed: it is not valid JSON-LD ({type(exc).__name__})"
            ) from None
        row = ApiCredentialRow(
            id=key,
            client_id=grant.client_id,
            request_digest=digest,
            status_list_id=status_list.id,
            status_index=index,
            document=signed,
        )
        stored, fresh = api_credentials.add(services.store, row)
        if not fresh:
            return _replay(stored, digest)
        issuing.publish_status_lists()  # a new list's file appears before any verifier asks for it
        log.info("issuer API: client %s issued %s", grant.client_id, key)
        return JSONResponse({"verifiableCredential": signed}, status_code=201)

    @router.post("/credentials/status", name="update_status")
    def update_status(body: StatusRequest, grant: Grant = may_set_status) -> JSONResponse:
        """Revoke a credential this API or the nightly run issued (`status: true`); revocation is final."""
        entry = body.credentialStatus
        if entry.type != ENTRY_TYPE:
            raise bad_request(f"credentialStatus.type must be {ENTRY_TYPE}")
        if entry.statusPurpose != REVOCATION:
            raise bad_request(
                f"credentialStatus.statusPurpose must be {REVOCATION!r}: this issuer keeps revocation lists only"
            )
        row = api_credentials.get(services.store, body.credentialId)
        if row is None:
            nightly = api_credentials.nightly(services.store, body.credentialId)
            if nightly is not None:  # the nightly run's: revoked as `lerconnect credentials revoke` does
                answer = set_nightly_status(
                    services.issuer(), nightly, entry.statusListIndex, body.status, grant.client_id
                )
                return JSONResponse(answer)
            raise Problem(404, "Not found", f"this issuer has no credential {body.credentialId}", type=own("not-found"))
        if entry.statusListIndex is not None and entry.statusListIndex != str(row.status_index):
            raise bad_request("credentialStatus.statusListIndex is not this credential's index")
        change = api_credentials.set_status(services.store, row.id, body.status, grant.client_id)
        if change is StatusChange.permanent:
            raise bad_request(
                f"{row.id} is revoked, and a revocation is final: issue a new credential instead",
                title="Revocation is final",
            )
        if change is StatusChange.changed:
            services.issuer().publish_status_lists()
            log.info("issuer API: client %s revoked %s", grant.client_id, row.id)
        return JSONResponse({"credentialId": row.id, "revoked": body.status})

    return router
