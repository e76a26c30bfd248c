"""The campus's issuing policy for credentials posted to the issuer API: the same
`lerconnect_before_issue` hook the nightly run calls, so a plugin that refuses (or extends) a
credential at night does so for a campus system's request too.

The hook sees the unsigned draft before a status entry is reserved, so a refusal spends no index.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector_core.hook_contexts import CredentialKind, IssueContext, LearnerRef
from connector_core.hookspecs import IssuePolicyError


def api_issue_context(draft: Mapping[str, Any], client_id: str) -> IssueContext:
    """What a plugin is told about a posted credential: its kind by type, the subject as posted
    (the store knows no learner for it), no record, and the API client that posted it."""
    types = draft.get("type")
    kind: CredentialKind = (
        "clr" if "ClrCredential" in (types if isinstance(types, list) else [types]) else "achievement"
    )
    subject = draft.get("credentialSubject")
    first = subject[0] if isinstance(subject, list) and subject else subject
    subject_id = first.get("id") if isinstance(first, Mapping) else None
    subject_id = subject_id if isinstance(subject_id, str) else None
    did = subject_id if subject_id is not None and subject_id.startswith("did:") else None
    return IssueContext(kind=kind, learner=LearnerRef(key=subject_id or "", did=did), client_id=client_id)


def policy_refusal(hook: Any, draft: dict[str, Any], client_id: str) -> str | None:
    """The plugins' refusal of `draft` (their message), or None when they let it be signed.

    A plugin may also change the draft in place, as at night; what it leaves is what is signed.
    """
    if hook is None:
        return None
    try:
        hook.lerconnect_before_issue(draft=draft, context=api_issue_context(draft, client_id))
    except IssuePolicyError as exc:
        return str(exc) or "refused by a lerconnect_before_issue plugin (it gave no reason)"
    return None
