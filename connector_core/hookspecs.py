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
def lerconnect_transform(record: LearningRecord, context: dict[str, Any]) -> LearningRecord | None:
    """Enrich or drop a normalized record before it is stored.

    Called once per record, after ``normalize``, in plugin order; each implementation sees the
    record as changed by the ones before it. Return a new record (records are immutable: use
    ``record.model_copy(update=...)``), ``None`` to keep it unchanged, or raise
    ``connector_core.DropRecord`` to leave it out. ``context`` holds ``source``, ``stream`` and
    ``run_id``.
    """


@hookspec
def lerconnect_before_issue(draft: dict[str, Any], context: dict[str, Any]) -> None:
    """Inspect or extend an unsigned credential in place, just before it is signed.

    Raise ``connector_core.IssuePolicyError`` to refuse issuing it: the record stays stored, the
    refusal is recorded with your message, and nothing is signed. ``context`` holds ``learner``
    (internal key), ``record`` (the stored record key, or None for a CLR) and ``kind``.
    """


@hookspec
def lerconnect_after_issue(credential: dict[str, Any], context: dict[str, Any]) -> None:
    """Deliver a signed credential (wallet, email, webhook, files).

    Called after the credential is stored; an exception is logged against the credential and the
    run goes on. Never called for learners under a FERPA hold or awaiting identity review.
    """


@hookspec
def lerconnect_register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``lerconnect`` command: ``@cli.command()`` on the group given."""
