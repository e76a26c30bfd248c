"""Options and output every `lerconnect` command group shares, defined once."""

from __future__ import annotations

import json
from typing import Any

import click

db_option = click.option(
    "--db",
    "db",
    envvar="LERCONNECT_DB",
    metavar="PATH_OR_URL",
    help="Store: SQLite file or SQLAlchemy URL (overrides the config; env LERCONNECT_DB).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def echo_json(data: Any, *, err: bool = False) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False), err=err)


def echo_fields(fields: list[tuple[str, Any]], indent: int = 0) -> None:
    """An ordered, labelled view: one `label: value` line each, labels aligned, empty values as "-"."""
    width = max((len(label) for label, _ in fields), default=0)
    for label, value in fields:
        click.echo(f"{' ' * indent}{label + ':':<{width + 1}} {'-' if value in (None, '') else value}")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 record`, `2 records`, `0 records`."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"


def confirm_or_abort(question: str, yes: bool) -> None:
    """Ask before a destructive change unless `--yes` was given."""
    if not yes:
        click.confirm(question, abort=True, err=True)  # the prompt never mixes into --json output


yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
