"""`lerconnect serve` (run the web service) and `lerconnect serve clients` (the issuer API's OAuth
clients). A built-in plugin, like the issuer's commands: FastAPI and uvicorn load only when it runs."""

from __future__ import annotations

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
    logging.getLogger("uvicorn").handlers[:] = logging.getLogger("lerconnect").handlers
    where = f"http://{host or settings.serve.host}:{settings.serve.port if port is None else port}"
    click.echo(f"Serving on {where} (public base URL {settings.serve.public_base_url}); Ctrl-C stops.", err=True)
    server(web, settings.serve, host=host, port=port).run()


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


@hookimpl
def lerconnect_register_commands(cli: click.Group) -> None:
    cli.add_command(serve)
