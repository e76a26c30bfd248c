"""The plugin contract: the hooks a lerconnect plugin may implement.

A plugin is a module (found through the ``lerconnect`` entry-point group) with functions marked
``@hookimpl`` whose names are the hooks below. Each docstring here is the plugin author's manual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable

    import click

    from connector_core.hook_contexts import DeliveryContext, IssueContext, IssuingContext, TransformContext
    from connector_core.model import LearningRecord
    from connector_core.source import Source

hookspec = pluggy.HookspecMarker("lerconnect")
hookimpl = pluggy.HookimplMarker("lerconnect")


class DropRecord(Exception):
    """Raised by ``lerconnect_transform`` to leave a record out of the store."""


class IssuePolicyError(Exception):
    """Raised by ``lerconnect_before_issue`` to refuse signing a credential; the message is kept."""


@hookspec
def lerconnect_register_sources(register: Callable[[type[Source]], None]) -> None:
    """Register the Source classes this plugin provides: call ``register(MySource)`` once each.

    A class must subclass ``connector_core.Source``, set ``name`` and ``streams``, and target the
    running ``CONTRACT_VERSION`` through its ``contract`` attribute. A broken class is set aside with
    a message naming it and the reason; the other plugins still load.
    """


@hookspec
def lerconnect_transform(record: LearningRecord, context: TransformContext) -> LearningRecord | None:
    """Enrich or drop a normalized record before it is stored.

    Called once per record, after ``normalize``, in plugin order; each implementation sees the
    record as changed by the ones before it. Return a new record (records are immutable: use
    ``record.model_copy(update=...)``), ``None`` to keep it unchanged, or raise
    ``connector_core.DropRecord`` to leave it out.

    ``context`` is a ``connector_core.TransformContext``: ``source`` (the configured source name),
    ``stream`` and ``run_id``. Version-1 plugins that read ``context["source"]`` still work.
    """


@hookspec
def lerconnect_before_issue(draft: dict[str, Any], context: IssueContext) -> None:
    """Inspect or extend an unsigned credential in place, just before it is signed.

    Raise ``connector_core.IssuePolicyError`` to refuse issuing it: the record stays stored, the
    refusal is recorded with your message, and nothing is signed. Credentials a campus system posts
    to the issuer API (``POST /credentials/issue``) pass here too: a refusal answers the caller 422
    with your message and is written to the audit ledger.

    ``context`` is a ``connector_core.IssueContext``:

    - ``kind``: ``"achievement"`` (one record) or ``"clr"`` (all of a learner's records);
    - ``learner``: a ``LearnerRef`` with ``key`` (internal), ``email`` and ``did`` (None if unknown);
    - ``record``: a ``RecordRef`` with ``key`` (in the store), ``source``, ``stream`` and
      ``source_record_id``; None for a CLR;
    - ``run_id``: the sync run the issuing follows, if any;
    - ``client_id``: the issuer API client that posted the credential, None at night (then
      ``record`` is None and ``learner.key`` is the posted ``credentialSubject.id``).

    Version-1 plugins that read ``context["learner"]`` (the key), ``context["record"]`` (the
    record's store key) and ``context["kind"]`` still work.
    """


@hookspec
def lerconnect_after_issue(credential: dict[str, Any], context: DeliveryContext) -> None:
    """Deliver a signed credential (wallet, email, webhook, files).

    Called after the credential is stored; an exception is logged against the credential and the
    run goes on. Never called for learners under a FERPA hold or awaiting identity review.

    ``context`` is a ``connector_core.DeliveryContext``: everything an ``IssueContext`` has (the
    ``learner`` to deliver to, with ``email`` and ``did`` when known; the ``record`` and ``kind``)
    and ``replaces``, the id of the older credential this one supersedes (now revoked), or None.
    """


@hookspec
def lerconnect_after_issuing(context: IssuingContext) -> None:
    """Finish a delivery batch: called once when an issuing pass is over (not for dry runs).

    A sink that batches (one message per learner per night, not per credential) sends here.
    ``context`` is a ``connector_core.IssuingContext``: ``run_id``, ``settings`` (the whole config;
    None when issuing ran without one) and ``store``. It is called even when the pass failed part-way
    (what was stored is delivered). An exception is logged.

    It runs once, in the process that ran the pass, while ``lerconnect_after_issue`` runs in whichever
    process signed the credential: with ``[engine] processes`` above 1 or on Celery workers, that is
    another process. So read what the pass issued back from ``context.store`` (its credentials carry
    ``issued_run_id == context.run_id``), as the built-in delivery does, rather than collecting it in
    memory in ``lerconnect_after_issue``.
    """


@hookspec
def lerconnect_register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``lerconnect`` command: ``@cli.command()`` on the group given."""
