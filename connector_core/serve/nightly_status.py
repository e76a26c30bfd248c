"""Status changes of the nightly run's credentials through `POST /credentials/status`.

A campus integration revokes a credential the nightly run issued by the path `lerconnect
credentials revoke` takes, so the result is the same: the record (or CLR) is withheld, so no later
night re-issues it until someone runs `credentials reinstate`; the learner's CLR is re-issued
without it; the audit ledger names the API client. Un-revoking is refused here, as for API
credentials: reinstating issues a new credential and is the registrar's decision (the CLI's).
"""

from __future__ import annotations

import logging
from typing import Any

from connector_core.issuing import IssuingService
from connector_core.serve.problems import bad_request
from connector_core.store import credentials as cred_store
from connector_core.store.tables import CredentialRow

log = logging.getLogger("lerconnect.serve.issuer")

#: how long a request waits for a nightly run holding the issuer lock; then the CLR waits for the next run
LOCK_WAIT_SECONDS = 15.0


def set_nightly_status(
    issuing: IssuingService, row: CredentialRow, index: str | None, revoked: bool, client_id: str
) -> dict[str, Any]:
    """Revoke (`revoked` true) a nightly credential by hand for `client_id`; the response body."""
    if index is not None and index != str(row.status_index):
        raise bad_request("credentialStatus.statusListIndex is not this credential's index")
    if not revoked:
        if row.status == "revoked":
            raise bad_request(
                f"{row.id} is revoked, and a revocation is final here: the registrar can reinstate its record "
                "with `lerconnect credentials reinstate`, which issues a new credential",
                title="Revocation is final",
            )
        return {"credentialId": row.id, "revoked": False}
    reason = f"revoked through the issuer API by client {client_id}"
    if row.status == "revoked" or cred_store.revoke_by_hand(issuing.store, row.id, reason) is None:
        return {"credentialId": row.id, "revoked": True}  # already revoked: nothing changes
    log.info("issuer API: client %s revoked nightly credential %s", client_id, row.id)
    report = issuing.reconcile(learners={row.learner_key}, lock_wait=LOCK_WAIT_SECONDS)
    if report.status == "skipped":  # a night is running: publish the bit now, the CLR follows with that run
        issuing.publish_status_lists()
    return {"credentialId": row.id, "revoked": True, "issuing": {"status": report.status, "clrs": report.clrs}}
