"""`lerconnect state` and `lerconnect dead-letters`: the saved cursors, and records that did not normalize."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from connector_core.cli_options import (
    confirm_or_abort,
    db_option,
    echo_fields,
    echo_json,
    json_option,
    plural,
    yes_option,
)

if TYPE_CHECKING:
    from connector_core.cli_app import App
    from connector_core.store import Store


def require_known_source(app: App, store: Store, source: str | None) -> None:
    """A filter naming a source neither the config nor the store knows is a typo, not an empty answer."""
    from connector_core.store import runs as run_store

    if source is None:
        return
    known = set(app.settings.sources) | run_store.known_sources(store)
    if source not in known:
        raise click.UsageError(
            f"no source {source!r} in the config or the store (known: {', '.join(sorted(known)) or 'none'})"
        )


@click.group()
def state() -> None:
    """Saved cursors of each source × stream: list, show, reset (like `meltano state`)."""


def _state_data(row) -> dict:
    return {
        "source": row.source,
        "stream": row.stream,
        "cursor": row.cursor,
        "pass": row.generation,
        "pass_open": row.pass_open,
        "pass_full": row.pass_full,
        "covered_terms": row.covered,
        "updated_at": row.updated_at,
    }


@state.command("list")
@click.option("--source", help="Only this source.")
@db_option
@json_option
@click.pass_obj
def state_list(app: App, source: str | None, db: str | None, as_json: bool) -> None:
    """Every stream's saved state: pass number, whether a pass is open, when it last moved."""
    from connector_core.store import runs as run_store

    store = app.store(db)
    require_known_source(app, store, source)
    rows = [_state_data(r) for r in run_store.list_states(store, source)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No saved state: nothing has been synced yet.")
    for r in rows:
        status = "pass open (a crashed run resumes it)" if r["pass_open"] else "idle"
        click.echo(
            f"{r['source']}/{r['stream']}: pass {r['pass']}, {status}, "
            f"{'has a cursor' if r['cursor'] is not None else 'no cursor (next run reads everything)'}, "
            f"updated {r['updated_at']:%Y-%m-%d %H:%M:%S} UTC"
        )


@state.command("show")
@click.argument("source")
@click.argument("stream")
@db_option
@json_option
@click.pass_obj
def state_show(app: App, source: str, stream: str, db: str | None, as_json: bool) -> None:
    """One stream's state, cursor included."""
    import json

    from connector_core.store import runs as run_store

    store = app.store(db)
    require_known_source(app, store, source)
    rows = [r for r in run_store.list_states(store, source) if r.stream == stream]
    if not rows:
        streams = ", ".join(r.stream for r in run_store.list_states(store, source)) or "none"
        raise click.UsageError(f"no saved state for {source}/{stream} (streams with state: {streams})")
    data = _state_data(rows[0])
    if as_json:
        echo_json(data)
        return
    echo_fields(
        [
            ("source", data["source"]),
            ("stream", data["stream"]),
            ("pass", data["pass"]),
            ("pass open", "yes" if data["pass_open"] else "no"),
            ("full pass", "yes" if data["pass_full"] else "no"),
            ("covered terms", ", ".join(data["covered_terms"] or ())),
            ("updated (UTC)", f"{data['updated_at']:%Y-%m-%d %H:%M:%S}"),
            ("cursor", json.dumps(data["cursor"], default=str)),
        ]
    )


@state.command("reset")
@click.argument("source")
@click.option("--stream", help="Only this stream (default: every stream of SOURCE).")
@yes_option
@db_option
@json_option
@click.pass_obj
def state_reset(app: App, source: str, stream: str | None, yes: bool, db: str | None, as_json: bool) -> None:
    """Forget saved cursors: the next run of SOURCE reads everything again (a full pass).

    Stored records and credentials stay; records the source no longer returns are withdrawn by
    that full pass, and their credentials revoked.
    """
    from connector_core.store import runs as run_store

    store = app.store(db)
    require_known_source(app, store, source)
    what = f"{source}/{stream}" if stream else f"every stream of {source}"
    confirm_or_abort(f"Reset the saved state of {what}? The next run re-reads everything.", yes)
    streams = run_store.reset_state(store, source, stream)
    if not streams:
        raise click.UsageError(f"no saved state for {what}: see `lerconnect state list`")
    if as_json:
        echo_json({"source": source, "reset": list(streams)})
    else:
        click.echo(f"Reset {plural(len(streams), 'stream')} of {source}: {', '.join(streams)}.")


@click.group("dead-letters", invoke_without_command=True)
@click.option("--source", help="Only this source.")
@click.option("--run", "run_id", help="Only this run (an id prefix is enough).")
@click.option("--limit", default=100, show_default=True)
@db_option
@json_option
@click.pass_context
def dead_letters(
    ctx: click.Context, source: str | None, run_id: str | None, limit: int, db: str | None, as_json: bool
) -> None:
    """Records that could not be normalized, with where they are, the field and the reason.

    A record that later normalizes cleanly leaves the list; `dead-letters retry` tries them again.
    """
    if ctx.invoked_subcommand is not None:
        return
    from connector_core.store import runs as run_store

    app: App = ctx.obj
    store = app.store(db)
    require_known_source(app, store, source)
    if run_id:
        run = run_store.get_run(store, run_id)
        if run is None:
            raise click.UsageError(f"no run {run_id!r}: see `lerconnect runs`")
        run_id = run.id
    letters = run_store.list_dead_letters(store, source=source, run_id=run_id, limit=limit)
    if as_json:
        echo_json([d.model_dump() for d in letters])
        return
    if not letters:
        click.echo("No dead letters.")
    for d in letters:
        where = f" at {d.location}" if d.location else ""
        click.echo(
            f"{d.created_at:%Y-%m-%d %H:%M} {d.source}/{d.stream} {d.source_record_id}{where} "
            f"[{d.field or '-'}] {d.reason} (run {d.run_id[:12]})"
        )


@dead_letters.command("retry")
@click.argument("source")
@click.option("--stream", help="Only this stream.")
@db_option
@json_option
@click.pass_obj
def dead_letters_retry(app: App, source: str, stream: str | None, db: str | None, as_json: bool) -> None:
    """Normalize SOURCE's dead letters again, after fixing the plugin or the config.

    Those that now pass are stored (and issued by the next sync); the others stay listed.
    """
    from connector_core.engine import build_source
    from connector_core.store import runs as run_store

    engine = app.engine(db)
    require_known_source(app, engine.store, source)
    letters = run_store.list_dead_letters(engine.store, source=source, stream=stream, limit=None)
    if not letters:
        click.echo(f"No dead letters for {source}{'/' + stream if stream else ''}.")
        return
    instance = build_source(app.settings, app.registry, source)
    results = []
    try:
        for name in sorted({letter.stream for letter in letters}):
            results.append(engine.retry(instance, name, [x for x in letters if x.stream == name]))
    finally:
        instance.close()
    rows = [
        {
            "source": r.source,
            "stream": r.stream,
            "status": r.status,
            "retried": r.count("fetched"),
            "stored": r.count("fetched") - r.count("dead_lettered"),
            "still_failing": r.count("dead_lettered"),
            "run_id": r.run_id,
            "error": r.error,
        }
        for r in results
    ]
    if as_json:
        echo_json(rows)
    else:
        for row in rows:
            click.echo(
                f"{row['source']}/{row['stream']}: {plural(row['retried'], 'dead letter')} retried, "
                f"{row['stored']} stored, {row['still_failing']} still failing"
                + (f" ({row['error']})" if row["error"] else "")
            )
    if any(r.status != "succeeded" for r in results):
        raise SystemExit(1)
