"""`lerconnect worker` (a Celery worker for this config) and `lerconnect status` (queue, workers, runs).

Built in through the same command hook a plugin uses, so the core CLI stays unaware of Celery.
"""

from __future__ import annotations

from typing import Any

import click

from connector_core.cli_app import App
from connector_core.cli_options import db_option, echo_fields, echo_json, json_option
from connector_core.config import ConfigError
from connector_core.hookspecs import hookimpl

pass_app = click.make_pass_decorator(App)


@click.command()
@click.option("--concurrency", type=click.IntRange(1, 256), help="Units of work at once (default: one per core).")
@click.option("--loglevel", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="INFO")
@db_option
@pass_app
def worker(app: App, concurrency: int | None, loglevel: str, db: str | None) -> None:
    """Run a Celery worker: it syncs partitions and signs batches the scheduler enqueues (until SIGTERM)."""
    from connector_core.executors.celery import start_worker

    settings = app.settings
    if settings.engine.executor != "celery":
        raise ConfigError(
            f'{settings.path or "<config>"}: engine.executor is "{settings.engine.executor}": workers take work '
            f'only from Celery: set [engine] executor = "celery" and broker_url = "redis://127.0.0.1:6379/0"'
        )
    store = app.store(db)
    if store.is_sqlite:
        raise ConfigError(
            f"a worker needs the PostgreSQL store the scheduler uses, not the SQLite file {store.database}: "
            f"pass --db postgresql+psycopg://… or set [store].url"
        )
    url = store.url
    store.dispose()
    start_worker(settings, url, concurrency=concurrency, loglevel=loglevel)


@click.command()
@db_option
@json_option
@pass_app
def status(app: App, db: str | None, as_json: bool) -> None:
    """Where the work runs: executor, queue depth and workers (Celery), and the runs under way."""
    from connector_core.store import partitions
    from connector_core.store import runs as run_store

    settings = app.settings
    store = app.store(db)
    running = [r for r in run_store.list_runs(store, limit=200) if r.status == "running"]
    data: dict[str, Any] = {"executor": settings.engine.executor, "processes": settings.engine.processes}
    if settings.engine.executor == "celery":
        data.update(_celery_status(settings))
    data["running"] = [
        {
            "run": r.id,
            "source": r.source,
            "stream": r.stream,
            "pages": r.pages,
            "fetched": r.fetched,
            "partitions": partitions.summary(partitions.of_run(store, r.id)),
        }
        for r in running
    ]
    if as_json:
        echo_json(data)
        return
    fields: list[tuple[str, Any]] = [("executor", data["executor"])]
    if data["executor"] == "local":
        fields.append(("processes", data["processes"]))
    else:
        fields += [("broker", data["broker"]), ("queue", data["queue"]), ("queue depth", data["queue_depth"])]
        fields.append(("workers", len(data["workers"])))
    echo_fields(fields)
    for w in data.get("workers", []):
        click.echo(f"  {w['name']}: {w['active']} of {w['concurrency']} busy")
    if data.get("error"):
        click.echo(f"  broker: {data['error']}")
    click.echo(f"runs under way: {len(running)}")
    for r in data["running"]:
        done = sum(p["status"] == "done" for p in r["partitions"].values())
        parts = f", partitions {done}/{len(r['partitions'])} done" if len(r["partitions"]) > 1 else ""
        click.echo(f"  {r['run'][:12]} {r['source']}/{r['stream']}: {r['pages']} pages, {r['fetched']} fetched{parts}")


def _celery_status(settings: Any) -> dict[str, Any]:
    from connector_core.executors.celery import make_app, queue_depth, workers
    from connector_core.logs import mask

    app = make_app(settings.engine)
    out: dict[str, Any] = {
        "broker": mask(settings.engine.broker_url or ""),
        "queue": settings.engine.queue,
        "queue_depth": None,
        "workers": [],
    }
    try:
        out["queue_depth"] = queue_depth(app, settings.engine.queue)
        out["workers"] = [w.__dict__ for w in workers(app)]
    except Exception as exc:  # the broker is down: say so, show the runs anyway
        out["error"] = mask(f"cannot reach the broker: {type(exc).__name__}: {exc}")
    finally:
        app.close()
    return out


@hookimpl
def lerconnect_register_commands(cli: click.Group) -> None:
    cli.add_command(worker)
    cli.add_command(status)
