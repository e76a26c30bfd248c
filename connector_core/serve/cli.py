"""`lerconnect serve` (run the web service) and `lerconnect serve clients` (the issuer API's OAuth
clients). A built-in plugin, like the issuer's commands: FastAPI and uvicorn load only when it runs."""

from __future__ import annotations

import contextlib
import logging

import click

from connector_core.cli_app import App
from connector_core.cli_options import db_option, echo_json, json_option
from connector_core.hookspecs import hookimpl


@click.group(invoke_without_command=True)
@click.option("--host", default=None, help="Address to listen on (default: [serve].host).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: [serve].port).")
@db_option
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, db: str | None) -> None:
    """Run the web service: did.json, status lists, VC-API, the verification page.

    Plain HTTP on [serve].host:port; put a reverse proxy with TLS in front (README, "Serving and delivery").
    """
    app: App = ctx.obj
    app.db = db
    if ctx.invoked_subcommand is not None:
        return
    from connector_core.serve.app import create_app
    from connector_core.serve.runner import server

    settings = app.settings
    web = create_app(settings, app.store(db), hook=app.registry.hook)
    ours = logging.getLogger("lerconnect")
    uvicorn_log = logging.getLogger("uvicorn")
    uvicorn_log.handlers[:], uvicorn_log.propagate = ours.handlers, False
    uvicorn_log.setLevel(ours.level)
    where = f"http://{host or settings.serve.host}:{settings.serve.port if port is None else port}"
    click.echo(f"Serving on {where} (public base URL {settings.serve.public_base_url}); Ctrl-C stops.", err=True)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn stopped gracefully, then re-raised the Ctrl-C
        server(web, settings.serve, host=host, port=port).run()
    click.echo("Stopped.", err=True)


@serve.command("settings")
@json_option
def serve_settings(as_json: bool) -> None:
    """Every [serve] key: type, default, what it does."""
    from connector_core.config import ServeSettings
    from connector_core.settings_doc import settings_of

    docs = settings_of(ServeSettings)
    if as_json:
        echo_json([doc.__dict__ for doc in docs])
        return
    for doc in docs:
        default = "" if doc.required else f" = {doc.default!r}"
        click.echo(f"[serve].{doc.key}: {doc.type}{default}{' (secret)' if doc.secret else ''}\n    {doc.description}")


@serve.group("clients")
def serve_clients() -> None:
    """OAuth clients of the issuer API: campus systems allowed to issue and revoke."""


@serve_clients.command("add")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["issue", "status"]),
    required=True,
    help="What it may do: issue (POST /credentials/issue), status (POST /credentials/status). Repeatable.",
)
@json_option
@click.pass_obj
def clients_add(app: App, name: str, scopes: tuple[str, ...], as_json: bool) -> None:
    """Register a client; its secret is printed once and stored only as a digest."""
    from connector_core.serve.clients import ClientError, register

    try:
        client_id, secret = register(app.store(app.db, create=True), name, scopes)
    except ClientError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        echo_json({"client_id": client_id, "client_secret": secret, "scopes": sorted(set(scopes))})
        return
    click.echo(f"client_id:     {client_id}\nclient_secret: {secret}")
    click.echo("Keep the secret in the campus system's secret store now: it is not shown again.", err=True)


@serve_clients.command("list")
@json_option
@click.pass_obj
def clients_list(app: App, as_json: bool) -> None:
    """Registered clients (never their secrets)."""
    from connector_core.store.serve_clients import clients

    rows = clients(app.store(app.db))
    if as_json:
        echo_json([{"client_id": r.id, "name": r.name, "scopes": r.scopes, "created_at": r.created_at} for r in rows])
        return
    if not rows:
        click.echo("No clients: add one with `lerconnect serve clients add NAME --scope issue`.")
    for r in rows:
        click.echo(f"{r.id}  {','.join(r.scopes):<12} {r.created_at:%Y-%m-%d}  {r.name}")


@serve_clients.command("remove")
@click.argument("client_id")
@json_option
@click.pass_obj
def clients_remove(app: App, client_id: str, as_json: bool) -> None:
    """Remove a client; its tokens stop working at once."""
    from connector_core.store.serve_clients import remove_client

    if not remove_client(app.store(app.db), client_id):
        raise click.ClickException(f"no client {client_id!r}: see `lerconnect serve clients list`")
    if as_json:
        echo_json({"client_id": client_id, "removed": True})
    else:
        click.echo(f"Removed {client_id}; its tokens no longer work.")


@hookimpl
def lerconnect_register_commands(cli: click.Group) -> None:
    cli.add_command(serve)
