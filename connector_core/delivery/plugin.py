"""The built-in delivery sink: claim links by email or CSV, batched per learner per issuing pass.

It loads through the `lerconnect` entry point (`delivery`) like a campus's own sink would:
`lerconnect_after_issuing` queues what the pass issued and sends one claim link per learner once the
pass is over. `lerconnect claims …` sends or exports by hand.

A night's pass (one with a run id) is read back from the store by that id, so nothing is held in
memory while hundreds of thousands of credentials are signed, and those signed on worker processes
(`[engine] processes`, Celery) are announced too. A pass without a run id (a revocation or a
reinstatement re-issuing one learner's CLR) is small: `lerconnect_after_issue` collects it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import click

from connector_core.cli_app import App
from connector_core.cli_learners import find_learner
from connector_core.cli_options import db_option, echo_json, json_option, plural
from connector_core.hook_contexts import DeliveryContext, IssuingContext
from connector_core.hookspecs import hookimpl

_batch = threading.local()  # an issuing pass runs in one thread: its queue is that thread's


def _collected() -> list[tuple[str, str, str | None]]:
    if not hasattr(_batch, "items"):
        _batch.items = []
    return _batch.items


@hookimpl
def lerconnect_after_issue(credential: dict[str, Any], context: DeliveryContext) -> None:
    """Collect a pass without a run id for its learner's next claim link (sent when the pass is over);
    a night's credentials are read back by its run id instead."""
    if context.run_id is None:
        _collected().append((credential["id"], context.learner.key, None))


@hookimpl
def lerconnect_after_issuing(context: IssuingContext) -> None:
    """Store what this pass queued, then send one claim link per learner through the configured sink."""
    from connector_core.delivery.outbox import flush
    from connector_core.store import claims as claim_store

    items, _batch.items = _collected(), []
    if context.settings is None or context.settings.delivery is None:
        return
    claim_store.queue(context.store, items)
    if context.run_id is not None:
        claim_store.queue_issued(context.store, context.run_id)
    flush(context.store, context.settings, run_id=context.run_id)


@click.group()
def claims() -> None:
    """Claim links: send what is waiting, export links as CSV, or give a learner a fresh link."""


def _report(report: Any, as_json: bool) -> None:
    if as_json:
        echo_json({"learners": report.learners, "sent": report.sent, "failed": report.failed, "csv": report.csv})
        return
    where = f" to {report.csv}" if report.csv else ""
    click.echo(f"{plural(report.learners, 'learner')} announced, {report.sent} sent{where}.")
    for learner, reason in report.failed.items():
        click.echo(f"  not sent to {learner}: {reason}", err=True)


@claims.command("send")
@db_option
@json_option
@click.pass_obj
def claims_send(app: App, db: str | None, as_json: bool) -> None:
    """Send the claim links still waiting (e.g. after the mail server was down) through [delivery].sink."""
    from connector_core.delivery.outbox import flush

    _report(flush(app.store(db), app.settings), as_json)


@claims.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@json_option
@click.pass_obj
def claims_export(app: App, path: Path, db: str | None, as_json: bool) -> None:
    """Write the waiting claim links to PATH as CSV for the campus's own mail system (instead of email)."""
    from connector_core.delivery.outbox import flush

    _report(flush(app.store(db), app.settings, sink="csv", csv_path=path), as_json)


@claims.command("renew")
@click.argument("learner")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the link here.")
@db_option
@json_option
@click.pass_obj
def claims_renew(app: App, learner: str, csv_path: Path | None, db: str | None, as_json: bool) -> None:
    """Give LEARNER a fresh claim link to all their live credentials (a lost or expired link)."""
    from connector_core.delivery.outbox import flush
    from connector_core.store import claims as claim_store

    store = app.store(db)
    key = find_learner(store, learner)
    live = claim_store.live_credentials(store, key)
    if not live:
        raise click.ClickException(f"{key} has no live credentials to claim")
    claim_store.requeue(store, key, [row.id for row in live])
    report = flush(store, app.settings, learners={key}, sink="csv" if csv_path else None, csv_path=csv_path)
    _report(report, as_json)


@hookimpl
def lerconnect_register_commands(cli: click.Group) -> None:
    cli.add_command(claims)
