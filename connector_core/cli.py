"""The `lerconnect` command.

Exit codes: 0 success; 1 a run failed, was refused or a check did not pass; 2 bad usage or
configuration; 3 the store cannot be used (e.g. schema needs `lerconnect db upgrade`).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from connector_core import __version__, logs
from connector_core.cli_app import App
from connector_core.cli_options import db_option, echo_json, json_option
from connector_core.config import ConfigError
from connector_core.demo import CAMPUSES, DEFAULT_CAMPUS
from connector_core.engine import RunResult, build_source
from connector_core.issuer import IssuerError
from connector_core.issuing import IssueReport, IssuerSetupError
from connector_core.plugins import UnknownPlugin, default_registry
from connector_core.progress import RunProgress
from connector_core.source import SourceError
from connector_core.store import Store, StoreError, redact
from connector_core.store import identities as identity_store
from connector_core.store import records as record_store
from connector_core.store import runs as run_store
from connector_core.store.identities import ReviewError

EXIT_FAILED, EXIT_USAGE, EXIT_STORE = 1, 2, 3


def fail(message: str, code: int = EXIT_FAILED) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(code)


class Group(click.Group):
    """Turns known errors into one clear line and a documented exit code, never a traceback.

    Plugins' commands (the issuer's built-in ones included) join on first lookup, through
    `lerconnect_register_commands`, however the group is invoked.
    """

    plugin_commands_loaded = False

    def _load_plugin_commands(self) -> None:
        if not self.plugin_commands_loaded:
            self.plugin_commands_loaded = True
            default_registry().hook.lerconnect_register_commands(cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            fail(str(exc), EXIT_USAGE)
        except StoreError as exc:
            fail(str(exc), EXIT_STORE)
        except (SourceError, UnknownPlugin, ReviewError, IssuerError, IssuerSetupError) as exc:
            fail(str(exc).strip("'\""), EXIT_FAILED)


@click.group(cls=Group)
@click.version_option(__version__, prog_name="lerconnect")
@click.option(
    "--config",
    "config",
    envvar="LERCONNECT_CONFIG",
    metavar="FILE",
    help="Config file (default ./lerconnect.toml; env LERCONNECT_CONFIG).",
)
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default=None, help="Log lines as text (default) or JSON lines."
)
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default=None)
@click.pass_context
def cli(ctx: click.Context, config: str | None, log_format: str | None, log_level: str | None) -> None:
    """Campus records in, signed Open Badges 3.0 and CLR 2.0 credentials out."""
    app = ctx.obj = App(config)
    try:
        settings_logging = app.settings.logging
    except ConfigError:
        settings_logging = None  # the command that needs the config reports the error
    logs.configure(
        log_format or (settings_logging.format if settings_logging else "text"),
        log_level or (settings_logging.level if settings_logging else "INFO"),
    )


pass_app = click.make_pass_decorator(App)


@cli.command()
@click.argument("path", default="lerconnect.toml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: Path, force: bool) -> None:
    """Write a commented starter config."""
    from connector_core.starter import STARTER_CONFIG

    if path.exists() and not force:
        fail(f"{path} exists; use --force to overwrite it", EXIT_USAGE)
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    click.echo(f"Wrote {path}. Edit the [sources.*] tables, then run `lerconnect check`.")


@cli.command()
@click.argument("source", required=False)
@pass_app
def check(app: App, source: str | None) -> None:
    """Check each source's connection and credentials with one cheap call."""
    names = [source] if source else list(app.settings.sources)
    if not names:
        fail("no sources configured: add a [sources.<name>] table (see `lerconnect init`)", EXIT_USAGE)
    failed = False
    for name in names:
        instance = build_source(app.settings, app.registry, name)
        try:
            click.echo(f"{name}: ok — {instance.check()}")
        except SourceError as exc:
            failed = True
            click.secho(f"{name}: FAILED — {exc}", fg="red")
        finally:
            instance.close()
    sys.exit(EXIT_FAILED if failed else 0)


def _summary_rows(results: list[RunResult]) -> list[dict[str, Any]]:
    return [
        {
            "run_id": r.run_id,
            "source": r.source,
            "stream": r.stream,
            "status": r.status,
            "full": r.full,
            **{
                k: r.count(k)
                for k in ("fetched", "new", "changed", "unchanged", "withdrawn", "dead_lettered", "learners_merged")
            },
            "seconds": round(r.seconds, 2),
            "error": r.error,
        }
        for r in results
    ]


def _console():
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=160)


def print_runs_table(results: list[RunResult]) -> None:
    from rich.table import Table

    table = Table(title="Sync runs")
    for column in (
        "source",
        "stream",
        "status",
        "fetched",
        "new",
        "changed",
        "unchanged",
        "withdrawn",
        "dead-lettered",
        "merged",
        "seconds",
    ):
        table.add_column(column, justify="left" if column in {"source", "stream", "status"} else "right")
    for row in _summary_rows(results):
        table.add_row(
            row["source"],
            row["stream"],
            row["status"],
            *(
                str(row[k])
                for k in (
                    "fetched",
                    "new",
                    "changed",
                    "unchanged",
                    "withdrawn",
                    "dead_lettered",
                    "learners_merged",
                    "seconds",
                )
            ),
        )
    _console().print(table)
    for result in results:
        if result.error:
            click.secho(f"{result.source}/{result.stream}: {result.error}", fg="red")


@cli.command()
@click.argument("source", required=False)
@click.option("--stream", help="Only this stream.")
@click.option("--full", is_flag=True, help="Re-read everything; records no longer returned are withdrawn.")
@click.option("--dry-run", is_flag=True, help="Show what would be stored, issued and revoked; write nothing.")
@db_option
@json_option
@pass_app
def sync(
    app: App, source: str | None, stream: str | None, full: bool, dry_run: bool, db: str | None, as_json: bool
) -> None:
    """Sync now, once: every configured source, or SOURCE; then issue and revoke credentials."""
    with RunProgress(enabled=not as_json) as progress:
        night = app.pipeline(db).run(
            [source] if source else None, stream=stream, full=full, dry_run=dry_run, on_page=progress.page
        )
    if app.settings.issuer is None:
        click.echo("No [issuer] in the config: records stored, no credentials issued.", err=True)
    if as_json:
        echo_json({"runs": _summary_rows(night.runs), "issuing": night.issuing.as_dict() if night.issuing else None})
    else:
        print_runs_table(night.runs)
        print_issue_report(night.issuing, night.runs)
    sys.exit(0 if night.succeeded else EXIT_FAILED)


def print_issue_report(report: IssueReport | None, results: list[RunResult]) -> None:
    if report is None:
        return
    if report.dry_run:
        new = sum(r.count("new") + r.count("changed") for r in results)
        gone = sum(r.count("changed") + r.count("withdrawn") for r in results)
        click.echo(
            f"Dry run: would issue {new + report.issued} and revoke {gone + report.revoked} credentials "
            f"(of which {report.issued} issue and {report.revoked} revoke already pending); "
            f"{report.held} records held. Nothing was signed or written."
        )
        return
    click.echo(
        f"Credentials: {report.issued} issued ({report.replaced} replacing older ones), {report.revoked} "
        f"revoked, {report.clrs} CLRs; {report.held} records held (FERPA hold or identity review); "
        f"{len(report.refused)} refused by policy."
    )


@cli.command()
@db_option
@pass_app
def run(app: App, db: str | None) -> None:
    """Run the scheduler: each source syncs on its `schedule` until SIGTERM."""
    from connector_core import scheduler
    from connector_core.store import database_url

    store = app.store(db)
    url = store.url
    store.dispose()
    config_path = str(app.settings.path) if app.settings.path else None
    if not any(t.get("schedule") for t in app.settings.sources.values()):
        fail('no source has a schedule: add e.g. schedule = "0 2 * * *" to a [sources.<name>] table', EXIT_USAGE)
    click.echo(f"Scheduler started on {redact(database_url(url))}; SIGTERM stops it after the current page.")
    scheduler.serve(app.settings, url, config_path=config_path)


@cli.group(invoke_without_command=True)
@click.option("--source", help="Only this source.")
@click.option("--limit", default=20, show_default=True)
@db_option
@json_option
@click.pass_context
def runs(ctx: click.Context, source: str | None, limit: int, db: str | None, as_json: bool) -> None:
    """Run history (newest first); `runs show RUN` for one run."""
    ctx.ensure_object(App)
    ctx.obj.db = db
    if ctx.invoked_subcommand is not None:
        return
    rows = run_store.list_runs(ctx.obj.store(db), source=source, limit=limit)
    data = [r.model_dump() for r in rows]
    if as_json:
        echo_json(data)
        return
    from rich.table import Table

    table = Table(title="Sync runs")
    for column in (
        "run",
        "started (UTC)",
        "source",
        "stream",
        "status",
        "new",
        "changed",
        "unchanged",
        "withdrawn",
        "dead",
        "error",
    ):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r.id[:12],
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            r.source,
            r.stream,
            r.status,
            str(r.new),
            str(r.changed),
            str(r.unchanged),
            str(r.withdrawn),
            str(r.dead_lettered),
            (r.error or "")[:60],
        )
    _console().print(table)


@runs.command("show")
@click.argument("run_id")
@db_option
@json_option
@click.pass_obj
def runs_show(app: App, run_id: str, db: str | None, as_json: bool) -> None:
    """One run's counts, timings, errors and dead letters (RUN may be a prefix)."""
    store = app.store(db or app.db)
    run_row = run_store.get_run(store, run_id)
    if run_row is None:
        fail(f"no run {run_id!r}: see `lerconnect runs`")
    letters = run_store.list_dead_letters(store, run_id=run_row.id)
    if as_json:
        echo_json({**run_row.model_dump(), "dead_letters": [d.model_dump(exclude={"raw"}) for d in letters]})
        return
    for key, value in run_row.model_dump().items():
        click.echo(f"{key:>16}: {value}")
    for letter in letters:
        click.echo(f"  dead letter {letter.source_record_id}: {letter.field or '-'}: {letter.reason}")


@cli.command("plugins")
@json_option
@pass_app
def plugins_command(app: App, as_json: bool) -> None:
    """Installed plugins, their versions, sources and streams, and any set aside."""
    registry = app.registry
    data = {
        "plugins": [
            {"name": p.name, "version": p.version, "sources": {s: list(registry.sources[s].streams) for s in p.sources}}
            for p in registry.plugins
        ],
        "set_aside": [asdict(s) for s in registry.set_aside],
    }
    if as_json:
        echo_json(data)
        return
    for plugin in data["plugins"]:
        click.echo(f"{plugin['name']} {plugin['version']}")
        for source, streams in plugin["sources"].items():
            click.echo(f"  source {source}: streams {', '.join(streams)}")
    for aside in data["set_aside"]:
        click.secho(f"set aside: {aside['name']}: {aside['reason']}", fg="yellow")


@cli.group()
def db() -> None:
    """Store maintenance."""


@db.command("upgrade")
@db_option
@pass_app
def db_upgrade(app: App, db: str | None) -> None:
    """Create or migrate the store's schema to the newest revision."""
    store = Store(db or app.settings.store.url, auto_upgrade=True)
    click.echo(f"{redact(store.url)} is at schema revision {store.revision()}")


@cli.command("dead-letters")
@click.option("--source")
@click.option("--run", "run_id")
@click.option("--limit", default=100, show_default=True)
@db_option
@json_option
@pass_app
def dead_letters(app: App, source: str | None, run_id: str | None, limit: int, db: str | None, as_json: bool) -> None:
    """Records that could not be normalized, with the field and the reason."""
    letters = run_store.list_dead_letters(app.store(db), source=source, run_id=run_id, limit=limit)
    if as_json:
        echo_json([d.model_dump() for d in letters])
        return
    if not letters:
        click.echo("No dead letters.")
    for d in letters:
        click.echo(
            f"{d.created_at:%Y-%m-%d %H:%M} {d.source}/{d.stream} {d.source_record_id} "
            f"[{d.field or '-'}] {d.reason} (run {d.run_id[:12]})"
        )


@cli.group()
def records() -> None:
    """Stored learning records."""


@records.command("export")
@click.option("--source")
@click.option("--stream")
@click.option("--learner", help="Internal learner key or a source id (e.g. the institution id).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@db_option
@pass_app
def records_export(
    app: App, source: str | None, stream: str | None, learner: str | None, out: Path, db: str | None
) -> None:
    """Write normalized records as JSON Lines: learner, achievement, result, provenance."""
    count = 0
    with out.open("w", encoding="utf-8") as handle:
        for row, ids in record_store.iter_records(app.store(db), source=source, stream=stream, learner=learner):
            data = row.data
            line = {
                "learner": {"key": row.learner_key, "ids": dict(ids), **data["learner"]},
                "achievement": data["achievement"],
                "result": data["result"],
                **{k: data.get(k) for k in ("term", "started_on", "completed_on", "credits_earned", "evidence")},
                "provenance": {
                    "source": row.source,
                    "stream": row.stream,
                    "plugin": row.plugin,
                    "plugin_version": row.plugin_version,
                    "source_record_id": row.source_record_id,
                    "source_updated_at": row.source_updated_at,
                    "run_id": row.changed_run_id,
                    "content_hash": row.content_hash,
                },
            }
            handle.write(json.dumps(line, default=str, ensure_ascii=False) + "\n")
            count += 1
    click.echo(f"Wrote {count} records to {out}")


@cli.group()
def identities() -> None:
    """Learners the matching rule could not place: review and resolve."""


@identities.command("review")
@db_option
@json_option
@pass_app
def identities_review(app: App, db: str | None, as_json: bool) -> None:
    """List open identity reviews."""
    reviews = identity_store.open_reviews(app.store(db))
    if as_json:
        echo_json([r.model_dump() for r in reviews])
        return
    if not reviews:
        click.echo("No identities awaiting review.")
    for r in reviews:
        click.echo(
            f"#{r.id} {r.source} id {r.source_id} → learner {r.learner_key}: {r.reason}\n"
            f"    candidates: {', '.join(r.candidates)}\n"
            f"    resolve: lerconnect identities merge {r.id} --into KEY | identities separate {r.id}"
        )


@identities.command("merge")
@click.argument("review_id", type=int)
@click.option("--into", required=True, help="The candidate learner key to merge into.")
@db_option
@pass_app
def identities_merge(app: App, review_id: int, into: str, db: str | None) -> None:
    """Resolve a review: the learner is the candidate INTO."""
    identity_store.merge(app.store(db), review_id, into)
    click.echo(f"Review #{review_id} merged into {into}.")


@identities.command("separate")
@click.argument("review_id", type=int)
@db_option
@pass_app
def identities_separate(app: App, review_id: int, db: str | None) -> None:
    """Resolve a review: the learner is a different person from every candidate."""
    identity_store.keep_separate(app.store(db), review_id)
    click.echo(f"Review #{review_id} kept as a separate learner.")


@cli.command()
@click.option("--learners", default=200, show_default=True, help="Size of the sandbox campus.")
@click.option("--seed", default=42, show_default=True, help="Same seed, same campus.")
@click.option(
    "--db",
    "db_path",
    default="lerconnect-demo.db",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file to fill.",
)
@click.option("--no-issue", is_flag=True, help="Store records only; sign nothing.")
@click.option("--verify-limit", type=int, default=None, help="Verify at most this many credentials.")
@click.option(
    "--campus",
    type=click.Choice(CAMPUSES),
    default=DEFAULT_CAMPUS,
    show_default=True,
    help="Which student information system the sandbox campus runs; the plugins serving it join the demo.",
)
@json_option
@pass_app
def demo(
    app: App,
    learners: int,
    seed: int,
    db_path: Path,
    no_issue: bool,
    verify_limit: int | None,
    campus: str,
    as_json: bool,
) -> None:
    """Sync the sandbox campus through every installed plugin into an SQLite file, and issue."""
    from connector_core.demo import run_demo

    started = time.monotonic()
    store = Store(str(db_path))
    workdir = db_path.with_name(db_path.name + ".sandbox")  # kept beside the store for inspection
    with RunProgress(enabled=not as_json) as progress:
        result = run_demo(
            store,
            app.registry,
            learners=learners,
            seed=seed,
            workdir=workdir,
            issue=not no_issue,
            verify_limit=verify_limit,
            on_page=progress.page,
            campus=campus,
        )
    seconds = round(time.monotonic() - started, 1)
    ok = all(r.status == "succeeded" for r in result.runs) and not result.verify_failures
    if as_json:
        echo_json(
            {
                "db": str(db_path),
                "seconds": seconds,
                "runs": _summary_rows(result.runs),
                "issuing": result.issued.as_dict() if result.issued else None,
                "verified": result.verified,
                "verify_failures": result.verify_failures[:20],
            }
        )
    else:
        print_runs_table(result.runs)
        print_issue_report(result.issued, result.runs)
        if result.issued is not None:
            click.echo(
                f"Verified {result.verified} credentials signed by this run: "
                f"{len(result.verify_failures) or 'no'} failures."
            )
            for failure in result.verify_failures[:10]:
                click.secho(f"  {failure}", fg="red")
        click.echo(f"Done in {seconds}s. Store: {db_path}  (sandbox config: {result.config_path})")
        click.echo(
            f"Next: lerconnect runs --db {db_path}; lerconnect credentials list --db {db_path} "
            f"--config {result.config_path}"
        )
    sys.exit(0 if ok else EXIT_FAILED)


def main() -> None:
    """Console entry point."""
    cli(prog_name="lerconnect")
