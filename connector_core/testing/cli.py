"""The `lerconnect` command run in-process, for tests of what a user sees (a plugin's commands too)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from click.testing import Result


def run_cli(*args: str) -> Result:
    """Run `lerconnect <args>` in this process; the result has `exit_code`, `output` and `stdout`.

    Plugins load as they do for `lerconnect` itself, so a plugin's `lerconnect_register_commands`
    hook is exercised too.
    """
    from click.testing import CliRunner

    from connector_core.cli import cli

    return CliRunner().invoke(cli, list(args))
