"""`lerconnect --help` and `--version` answer without importing the heavy modules or any plugin.

Each check runs the real console entry point in a fresh interpreter and looks at what it imported
(`sys.modules`): a fact about the process, not a timing (benchmarks/cli_startup.py prints those).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connector_core import command_index
from connector_core.plugins import load_registry

HEAVY = ("sqlmodel", "sqlalchemy", "alembic", "pyld", "zeep", "rich", "cryptography", "requests", "pydantic")
INTERNAL = ("connector_core.store", "connector_core.issuer", "connector_core.engine", "connector_core.sandbox.serve")
CHILD = """
import json, sys
from connector_core.cli import main
sys.argv = ["lerconnect", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("MODULES=" + json.dumps(sorted(sys.modules)))
"""


def run_cli(*args: str, cache: Path, cwd: Path | None = None) -> tuple[str, set[str]]:
    """What `lerconnect ARGS` printed (both streams), and every module the process had imported by the end.

    It runs in a folder with no `lerconnect.toml` (`cwd`, default the cache's parent)."""
    env = {**os.environ, command_index.CACHE_DIR_VARIABLE: str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
        cwd=cwd or cache.parent,
    )
    output, _, modules = done.stdout.rpartition("MODULES=")
    return output + done.stderr, set(json.loads(modules))


def plugin_packages() -> set[str]:
    return {ep.module.split(".")[0] for ep in command_index.installed_entry_points()} - {"connector_core"}


def listed_commands(help_text: str) -> set[str]:
    section = help_text.split("Commands:", 1)[1]
    return {line.split()[0] for line in section.splitlines() if line.startswith("  ") and line[2] != " "}


def every_command() -> set[str]:
    """Built-in commands and every installed plugin's, as loading all of them finds."""
    import click

    from connector_core.cli import cli

    group = click.Group(commands=dict(cli.commands))
    load_registry().hook.lerconnect_register_commands(cli=group)
    return set(group.commands)


@pytest.mark.parametrize("args", [("--help",), ("--version",), (), ("sync", "--help"), ("runs", "show", "--help")])
def test_help_and_version_import_nothing_heavy(tmp_path: Path, args: tuple[str, ...]) -> None:
    run_cli("--help", cache=tmp_path)  # the first answer in a new environment writes the index
    output, modules = run_cli(*args, cache=tmp_path)
    assert output.strip()
    unwanted = (*HEAVY, *INTERNAL, *plugin_packages())
    loaded = {m for m in modules for name in unwanted if m == name or m.startswith(name + ".")}
    assert not loaded, f"`lerconnect {' '.join(args)}` imported {sorted(loaded)}"


def test_help_lists_every_command_plugins_included(tmp_path: Path) -> None:
    cold, cold_modules = run_cli("--help", cache=tmp_path / "empty")
    warm, _ = run_cli("--help", cache=tmp_path / "empty")
    assert listed_commands(cold) == listed_commands(warm) == every_command()
    assert {"credentials", "keys", "verify"} <= listed_commands(warm)  # the issuer plugin's
    assert warm == cold  # the stand-ins list exactly as the real commands do
    assert "connector_core.issuer_cli" in cold_modules  # no index yet: the plugins were loaded to list them


def test_an_index_of_other_plugins_is_not_believed(tmp_path: Path) -> None:
    """An index written for another set of installed plugins (a fingerprint that differs) is rebuilt."""
    run_cli("--help", cache=tmp_path)
    (path,) = tmp_path.iterdir()
    data = json.loads(path.read_text())
    data["commands"]["ghost"] = {"help": "A command no installed plugin has."}
    data["fingerprint"] = "an older set of plugins"
    path.write_text(json.dumps(data))
    output, _ = run_cli("--help", cache=tmp_path)
    assert "ghost" not in listed_commands(output)
    assert listed_commands(output) == every_command()
    assert json.loads(path.read_text())["fingerprint"] == command_index.fingerprint()


def test_a_plugin_command_runs_after_an_indexed_help(tmp_path: Path) -> None:
    run_cli("--help", cache=tmp_path)
    output, modules = run_cli("keys", "--help", cache=tmp_path)
    assert "Signing keys" in output and "rotate" in output
    assert "connector_core.issuer_cli" in modules


def test_an_unwritable_cache_costs_time_not_correctness(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    output, _ = run_cli("--help", cache=blocker / "cache", cwd=tmp_path)
    assert listed_commands(output) == every_command()
