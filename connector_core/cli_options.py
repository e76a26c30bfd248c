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


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
