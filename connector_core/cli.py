"""The `lerconnect` command.

Exit codes: 0 success; 1 a run failed, was refused or a check did not pass; 2 bad usage or
configuration; 3 the store cannot be used (e.g. schema needs `lerconnect db upgrade`).
"""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from connector_core import __version__, cli_learners, cli_state, command_index, logs
from connector_core.cli_app import App
from connector_core.cli_learners import find_learner, learner_option
from connector_core.cli_options import db_option, echo_fields, echo_json, json_option, plural
from connector_core.sandbox.campus import DEFAULT_SIS, SIS_KINDS

if TYPE_CHECKING:  # the heavy modules are imported in the commands that use them (quick --help)
    from connector_core.engine import RunResult
    from connector_core.issuing import IssueReport
    from connector_core.store import Store

EXIT_FAILED, EXIT_USAGE, EXIT_STORE = 1, 2, 3


def fail(message: str, code: int = EXIT_FAILED) -> None:
    click.secho(f"Error: {logs.mask(message)}", fg="red", err=True)
    sys.exit(code)


GLOBAL_OPTIONS = ("--config", "--log-format", "--log-level")


def hoist_global_options(args: list[str]) -> list[str]:
    """Move `--config FILE` (and the log options) found after the subcommand to the front,
    so `lerconnect credentials list --config x.toml` works as pasted."""
    front, rest, i = [], [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS and rest:
            takes_next = "=" not in arg and i + 1 < len(args)
            front.extend(args[i : i + 1 + takes_next])
            i += 1 + takes_next
            continue
        rest.append(arg)
        i += 1
    return front + rest


class Group(click.Group):
    """Turns known errors into one clear line and a documented exit code, never a traceback.

    Plugins' commands (the issuer's built-in ones included) join through
    `lerconnect_register_commands` when one of them is looked up to run; listing them (`--help`)
    reads the command index instead, so it imports no plugin (see `connector_core.command_index`).
    """

    plugin_commands_loaded = False
    plugin_index: dict[str, dict[str, Any]] = {}

    def load_plugin_commands(self) -> None:
        """Import the plugins and let each register its commands; remember them in the index."""
        if self.plugin_commands_loaded:
            return
        self.plugin_commands_loaded = True
        from connector_core.plugins import default_registry

        built_in = set(self.commands)
        default_registry().hook.lerconnect_register_commands(cli=self)
        plugins = {name: cmd for name, cmd in self.commands.items() if name not in built_in}
        self.plugin_index = {name: command_index.help_fields(cmd) for name, cmd in plugins.items()}
        command_index.write(self.plugin_index)

    def plugin_command_index(self) -> dict[str, dict[str, Any]]:
        """The plugins' commands by name → help fields: from the index, else by loading the plugins."""
        if not self.plugin_commands_loaded and (index := command_index.read()) is not None:
            return index
        self.load_plugin_commands()
        return self.plugin_index

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.plugin_command_index()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self.load_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's listing, with a stand-in for each plugin command not loaded: listing imports no plugin."""
        real = self.commands
        index = self.plugin_command_index()
        self.commands = {**{n: command_index.stand_in(n, f) for n, f in index.items()}, **real}
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.commands = real

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            code = _exit_code(exc)
            if code is None:
                raise
            fail(str(exc).strip("'\"") if code == EXIT_FAILED else str(exc), code)


def _exit_code(exc: Exception) -> int | None:
    """The documented exit code of a known error (printed as one line), or None for a real bug."""
    if isinstance(exc, click.ClickException | click.exceptions.Exit | click.Abort):
        return None  # click's own (usage errors, --help's exit): click answers them as usual
    from connector_core.config import ConfigError
    from connector_core.issuer import IssuerError
    from connector_core.plugins import UnknownPlugin
    from connector_core.source import SourceError
    from connector_core.store import StoreError
    from connector_core.store.identities import ReviewError

    if isinstance(exc, ConfigError | UnknownPlugin):  # IssuerSetupError is a ConfigError
        return EXIT_USAGE
    if isinstance(exc, StoreError):
        return EXIT_STORE
    if isinstance(exc, SourceError | ReviewError | IssuerError):
        return EXIT_FAILED
    return None


class RootGroup(Group):
    """The `lerconnect` group: global options are accepted after the subcommand too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = hoist_global_options(list(args))
        options = args[: args.index("--")] if "--" in args else args
        ctx.meta[HELP_ONLY] = any(arg in ctx.help_option_names for arg in options)
        return super().parse_args(ctx, args)


HELP_ONLY = "lerconnect.help_only"  # ctx.meta key: a subcommand's --help was asked for, the config is not needed


@click.group(cls=RootGroup)
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
    settings_logging = None  # a subcommand's --help answers without the config (and the plugins its secrets need)
    if not ctx.meta.get(HELP_ONLY):
        from connector_core.config import ConfigError

        with contextlib.suppress(ConfigError):  # the command that needs the config reports the error
            settings_logging = app.settings.logging
    logs.configure(
        log_format or (settings_logging.format if settings_logging else "text"),
        log_level or (settings_logging.level if settings_logging else "INFO"),
    )


pass_app = click.make_pass_decorator(App)


@cli.command()
@click.argument("path", default="lerconnect.toml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
def init(path: Path, force: bool, as_json: bool) -> None:
    """Write a commented starter config."""
    from connector_core.starter import STARTER_CONFIG

    if path.exists() and not force:
        fail(f"{path} exists; use --force to overwrite it", EXIT_USAGE)
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    next_step = "edit the [sources.*] tables (and [issuer]), then run `lerconnect check`"
    if as_json:
        echo_json({"config": str(path.resolve()), "next": next_step})
    else:
        click.echo(f"Wrote {path}. Next: {next_step}.")


@cli.command()
@click.argument("source", required=False)
@db_option
@json_option
@pass_app
def check(app: App, source: str | None, db: str | None, as_json: bool) -> None:
    """Check everything a night needs: schedules, time zone, store, key, status folder, each source."""
    names = [source] if source else list(app.settings.sources)
    if not names:
        fail("no sources configured: add a [sources.<name>] table (see `lerconnect init`)", EXIT_USAGE)
    sys.exit(preflight_exit_code(preflight(app, db, names, as_json=as_json)))


def preflight_exit_code(checks: list) -> int:
    """0 when every check passed; 2 when a failure is the configuration's, else 1."""
    failed = [c for c in checks if not c.ok]
    if not failed:
        return 0
    return EXIT_USAGE if any(c.configuration for c in failed) else EXIT_FAILED


def preflight(app: App, db: str | None, names: list[str], *, as_json: bool = False) -> list:
    """Run the night's checks and print them: one line each, or JSON."""
    from connector_core.engine import build_source
    from connector_core.preflight import night_checks

    if source_name := next((n for n in names if n not in app.settings.sources), None):
        build_source(app.settings, app.registry, source_name)  # raises the "no source named" error
    checks = night_checks(app.settings, app.registry, db or app.settings.store.url, names)
    if as_json:
        echo_json([{"check": c.name, "ok": c.ok, "message": logs.mask(c.message)} for c in checks])
    else:
        for c in checks:
            click.secho(f"{c.name}: {'ok' if c.ok else 'FAILED'} — {logs.mask(c.message)}", fg=None if c.ok else "red")
        failed = sum(not c.ok for c in checks)
        click.echo(f"{plural(len(checks) - failed, 'check')} passed, {failed} failed")
    return checks


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
    from connector_core.progress import RunProgress
    from connector_core.signals import stop_on_signals

    stop = threading.Event()  # SIGTERM/SIGINT: the current page commits, the lease is released
    with RunProgress(enabled=not as_json) as progress, stop_on_signals(stop):
        night = app.pipeline(db).run(
            [source] if source else None, stream=stream, full=full, dry_run=dry_run, stop=stop, progress=progress
        )
    if night.stopped:
        click.echo("Stopped on request: the next sync resumes after the last committed batch of pages.", err=True)
    if app.settings.issuer is None:
        click.echo("No [issuer] in the config: records stored, no credentials issued.", err=True)
    if as_json:
        echo_json({"runs": _summary_rows(night.runs), "issuing": night.issuing.as_dict() if night.issuing else None})
    else:
        print_runs_table(night.runs)
        print_issue_report(night.issuing)
    sys.exit(0 if night.succeeded else EXIT_FAILED)


def print_issue_report(report: IssueReport | None) -> None:
    if report is None:
        return
    if report.status == "failed":
        click.secho(f"Issuing failed: {report.error}. Records are stored; nothing was signed.", fg="red")
        return
    if report.status == "skipped":
        click.secho(f"Issuing skipped: {report.error}.", fg="yellow")
        return
    counts = (
        f"{report.issued} issued ({report.replaced} replacing older ones), {report.revoked} revoked, "
        f"{plural(report.clrs, 'CLR')}; {plural(report.held, 'record')} held ({report.held_ferpa} for a FERPA hold, "
        f"{report.held_review} awaiting identity review, {report.held_waiting} waiting for a hold-flagging pass); "
        f"{report.withheld} withheld (revoked by hand); "
        f"{len(report.refused)} refused by policy."
    )
    if report.dry_run:
        click.echo(f"Dry run, credentials that would be: {counts} Nothing was signed or written.")
    else:
        click.echo(f"Credentials: {counts}")
    for note in report.notes:
        click.echo(f"  issuing: {note}")


@cli.command()
@db_option
@pass_app
def run(app: App, db: str | None) -> None:
    """Run the scheduler: each source syncs on its `schedule` until SIGTERM."""
    from connector_core import scheduler
    from connector_core.store import database_url, redact

    config_path = str(app.settings.path) if app.settings.path else None
    if not any(t.get("schedule") for t in app.settings.sources.values()):
        fail('no source has a schedule: add e.g. schedule = "0 2 * * *" to a [sources.<name>] table', EXIT_USAGE)
    if code := preflight_exit_code(preflight(app, db, list(app.settings.sources))):
        fail("not starting: fix what failed above, then run `lerconnect check` again", code)
    store = app.store(db, create=True)
    url = store.url
    store.dispose()
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
    from connector_core.store import runs as run_store

    store = ctx.obj.store(db)
    rows = run_store.list_runs(store, source=source, limit=limit)
    issuing = run_store.issuing_of(store, {r.issue_run_id for r in rows if r.issue_run_id})
    data = [{**r.model_dump(), "issuing": _issuing_dict(issuing.get(r.issue_run_id))} for r in rows]
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
        "issuing",
        "error",
    ):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r.id[:12],
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            r.source,
            r.stream,
            r.status + (" (dry run)" if r.dry_run else ""),
            str(r.new),
            str(r.changed),
            str(r.unchanged),
            str(r.withdrawn),
            str(r.dead_lettered),
            _issuing_summary(issuing.get(r.issue_run_id)),
            (r.error or "")[:60],
        )
    _console().print(table)


def _issuing_dict(outcome: Any) -> dict[str, Any] | None:
    return outcome.model_dump() if outcome is not None else None


def _issuing_summary(outcome: Any) -> str:
    """One cell: how the issuing after this run went."""
    if outcome is None:
        return "-"
    if outcome.status != "succeeded":
        return f"{outcome.status}: {(outcome.error or '')[:50]}"
    return f"{outcome.issued} issued, {outcome.revoked} revoked, {outcome.held} held"


@runs.command("show")
@click.argument("run_id")
@db_option
@json_option
@click.pass_obj
def runs_show(app: App, run_id: str, db: str | None, as_json: bool) -> None:
    """One run's counts, timings, errors and dead letters (RUN may be a prefix)."""
    from connector_core.store import partitions as partition_store
    from connector_core.store import runs as run_store

    store = app.store(db or app.db)
    run_row = run_store.get_run(store, run_id)
    if run_row is None:
        fail(f"no run {run_id!r}: see `lerconnect runs`")
    letters = run_store.list_dead_letters(store, run_id=run_row.id)
    outcome = run_store.issuing_of(store, {run_row.issue_run_id} - {None}).get(run_row.issue_run_id)
    if as_json:
        echo_json(
            {
                **run_row.model_dump(),
                "issuing": _issuing_dict(outcome),
                "dead_letters": [d.model_dump(exclude={"raw"}) for d in letters],
            }
        )
        return
    echo_fields(run_view(run_row))
    partitions = run_row.partitions or partition_store.summary(partition_store.of_run(store, run_row.id))
    if len(partitions) > 1 or run_row.partitions:
        click.echo(f"\n{plural(len(partitions), 'partition')}:")
        for key, part in partitions.items():
            error = f": {part['error']}" if part.get("error") else ""
            done = f"{part['status']}, {part['pages']} pages, {part['fetched']} fetched"
            click.echo(f"  {key}: {done} on {part['worker']}{error}")
    for key, value in (_issuing_dict(outcome) or {"status": "none (no issuing after this run)"}).items():
        click.echo(f"{'issuing ' + key:>16}: {value}")
    if letters:
        click.echo(f"\n{plural(len(letters), 'dead letter')}:")
    for letter in letters:
        where = f" at {letter.location}" if letter.location else ""
        click.echo(f"  {letter.source_record_id}{where}: {letter.field or '-'}: {letter.reason}")


def run_view(row: Any) -> list[tuple[str, Any]]:
    """A run as the ordered, labelled lines `runs show` prints."""
    seconds = (row.finished_at - row.started_at).total_seconds() if row.finished_at else None
    kind = "dry run (nothing written)" if row.dry_run else "full pass" if row.full else "incremental"
    return [
        ("run", row.id),
        ("source", row.source),
        ("stream", row.stream),
        ("status", row.status),
        ("kind", kind),
        ("started (UTC)", f"{row.started_at:%Y-%m-%d %H:%M:%S}"),
        ("finished (UTC)", f"{row.finished_at:%Y-%m-%d %H:%M:%S}" if row.finished_at else "still running"),
        ("duration", f"{seconds:.1f} s" if seconds is not None else None),
        ("pages", row.pages),
        ("fetched", row.fetched),
        ("new", row.new),
        ("changed", row.changed),
        ("unchanged", row.unchanged),
        ("withdrawn", row.withdrawn),
        ("dead-lettered", row.dead_lettered),
        ("learners merged", row.learners_merged),
        ("time spent", ", ".join(f"{k} {v:.1f} s" for k, v in row.timings.items())),
        ("error", row.error),
    ]


@cli.command("plugins")
@click.option("--settings", "settings_of", metavar="NAME", help="Every config key of plugin NAME's sources.")
@json_option
@pass_app
def plugins_command(app: App, settings_of: str | None, as_json: bool) -> None:
    """Installed plugins, their versions, sources and streams, and any set aside."""
    registry = app.registry
    if settings_of:
        print_settings(registry.source_class(settings_of), as_json=as_json)
        return
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


def print_settings(source_class: type, *, as_json: bool) -> None:
    """The keys of a source's `[sources.<name>]` table, like `meltano config <plugin> list`."""
    from connector_core.settings_doc import settings_of

    docs = settings_of(source_class.Config)
    if as_json:
        echo_json([asdict(d) for d in docs])
        return
    click.echo(f"[sources.<name>] with plugin = {source_class.name!r}:")
    for d in docs:
        default = "required" if d.required else f"default {json.dumps(d.default, default=str)}"
        flags = ", secret: write ${VAR} or file:PATH" if d.secret else ""
        click.echo(f"  {d.key} ({d.type}; {default}{flags})")
        if d.description:
            click.echo(f"      {d.description}")


@cli.group()
def db() -> None:
    """Store maintenance."""


@db.command("upgrade")
@db_option
@json_option
@pass_app
def db_upgrade(app: App, db: str | None, as_json: bool) -> None:
    """Create or migrate the store's schema to the newest revision."""
    from connector_core.store import Store, redact

    store = Store(db or app.settings.store.url, auto_upgrade=True)  # creates the store when it is missing
    if as_json:
        echo_json({"store": redact(store.url), "revision": store.revision()})
    else:
        click.echo(f"{redact(store.url)} is at schema revision {store.revision()}")


@cli.group()
def records() -> None:
    """Stored learning records."""


@records.command("export")
@click.option("--source")
@click.option("--stream")
@learner_option
@click.option("--out", required=True, type=click.Path(dir_okay=False, allow_dash=True), help="File, or - for stdout.")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (on stderr with --out -).")
@pass_app
def records_export(
    app: App, source: str | None, stream: str | None, learner: str | None, out: str, db: str | None, as_json: bool
) -> None:
    """Write normalized records as JSON Lines: learner, achievement, result, provenance."""

    from connector_core.store import records as record_store

    count = 0
    store = app.store(db)
    learner_key = find_learner(store, learner) if learner else None
    with click.open_file(out, "w", encoding="utf-8") as handle:
        for row, ids in record_store.iter_records(store, source=source, stream=stream, learner=learner_key):
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
    to_stdout = out == "-"
    if as_json:
        echo_json({"records": count, "out": "-" if to_stdout else str(Path(out).resolve())}, err=to_stdout)
    else:
        click.echo(f"Wrote {plural(count, 'record')} to {'standard output' if to_stdout else out}", err=to_stdout)


@cli.command()
@click.option("--learners", default=200, show_default=True, help="Size of the sandbox campus.")
@click.option("--seed", default=42, show_default=True, help="Same seed, same campus.")
@click.option(
    "--db",
    "db",
    default="lerconnect-demo.db",
    show_default=True,
    help="SQLite file to fill, or a database URL (PostgreSQL: run `lerconnect db upgrade --db URL` first).",
)
@click.option("--no-issue", is_flag=True, help="Store records only; sign nothing.")
@click.option(
    "--verify-limit",
    type=click.IntRange(min=0),
    default=None,
    help="Verify at most this many of the credentials signed (a seeded random sample when it signed more). "
    "[default: all up to 2000]",
)
@click.option(
    "--campus",
    type=click.Choice(SIS_KINDS),
    default=DEFAULT_SIS,
    show_default=True,
    help="Which student information system the sandbox campus runs; the plugins serving it join the demo.",
)
@click.option("--serve", "serve_port", type=int, default=None, metavar="PORT", help="Then serve the claim page here.")
@json_option
@pass_app
def demo(
    app: App,
    learners: int,
    seed: int,
    db: str,
    no_issue: bool,
    verify_limit: int | None,
    campus: str,
    as_json: bool,
    serve_port: int | None,
) -> None:
    """Sync the sandbox campus through every installed plugin into an SQLite file (or a database URL), and issue."""
    from connector_core.demo import run_demo
    from connector_core.progress import RunProgress
    from connector_core.store import Store, redact

    started = time.monotonic()
    store = Store(db)
    if store.is_sqlite:
        db_path = shown = Path(store.database)
    else:  # a server database: the sandbox folder goes to the working directory, named by the database
        db_path, shown = Path(f"lerconnect-demo-{store.database}"), redact(store.url)
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
            progress=progress,
            campus=campus,
        )
    seconds = round(time.monotonic() - started, 1)
    ok = all(r.status == "succeeded" for r in result.runs) and not result.verify_failures
    if as_json:
        echo_json(
            {
                "db": str(shown),
                "seconds": seconds,
                "runs": _summary_rows(result.runs),
                "issuing": result.issued.as_dict() if result.issued else None,
                "verified": result.verified,
                "verify_sample": result.sample.as_dict() if result.sample else None,
                "verify_failures": result.verify_failures[:20],
                "next_steps": demo_next_steps(db_path, result.config_path, issued=result.issued is not None),
            }
        )
    else:
        print_runs_table(result.runs)
        print_issue_report(result.issued)
        if result.issued is not None:
            how = result.sample.describe() if result.sample else "the credentials signed by this run"
            click.echo(f"Verified {how}: {result.verified} checked, {len(result.verify_failures) or 'no'} failures.")
            for failure in result.verify_failures[:10]:
                click.secho(f"  {failure}", fg="red")
        click.echo(f"Done in {seconds}s. Store: {shown}  (sandbox config: {result.config_path})")
        click.echo("Next, paste any of these:")
        for step in demo_next_steps(db_path, result.config_path, issued=result.issued is not None):
            click.echo(f"  {step}")
    if ok and serve_port is not None and result.issued is not None:
        _serve_demo(store, result.config_path, serve_port)
    sys.exit(0 if ok else EXIT_FAILED)


def _serve_demo(store: Store, config_path: Path, port: int) -> None:
    """Serve the demo's store on loopback and print a sandbox learner's claim link to open in a browser."""
    from connector_core.serve.app import create_app
    from connector_core.serve.demo import demo_serving
    from connector_core.serve.runner import server

    settings, url = demo_serving(store, config_path, port)
    click.echo(f"Serving the demo on http://127.0.0.1:{port}; Ctrl-C stops. Open a sandbox learner's claim page:")
    click.echo(f"  {url}")
    server(create_app(settings, store), settings.serve).run()


def demo_next_steps(db_path: Path, config_path: Path, *, issued: bool) -> list[str]:
    """Commands that work as printed, from the folder the demo ran in."""
    db = shlex.quote(str(db_path))
    steps = [f"lerconnect runs --db {db}", f"lerconnect records export --db {db} --out records.jsonl"]
    if issued:
        steps += [
            f"lerconnect credentials list --db {db} --limit 5",
            f"lerconnect credentials export --db {db} --out credentials --config {shlex.quote(str(config_path))}",
            "lerconnect verify credentials/clr-*.json",
        ]
    return steps


cli.add_command(cli_state.state)
cli.add_command(cli_learners.learners)
cli.add_command(cli_learners.identities)
cli.add_command(cli_state.dead_letters)


def main() -> None:
    """Console entry point."""
    cli(prog_name="lerconnect")
