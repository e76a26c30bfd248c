"""The plugins' commands, known without importing the plugins: a cached index of their names and help.

`lerconnect --help` lists every command, plugins' included, but importing every plugin (and what it
imports: HTTP and SOAP clients, the store, the signer) takes longer than the whole answer may. So
the commands a plugin registers are remembered, per Python environment, each time they are really
loaded. The index holds while the installed plugins do: the same entry points, distribution
versions and module files (path and modification time); otherwise the plugins are loaded once to
rebuild it. A cache that cannot be written only costs that time again; it is never an error.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

log = logging.getLogger("lerconnect.commands")
ENTRY_POINT_GROUP = "lerconnect"  # where plugins are found (connector_core.plugins loads them from here)
CACHE_DIR_VARIABLE = "LERCONNECT_CACHE_DIR"
FORMAT = 1


def cache_file() -> Path:
    """This environment's index file: under $LERCONNECT_CACHE_DIR, else the user's cache folder."""
    folder = os.environ.get(CACHE_DIR_VARIABLE)
    if not folder:
        import platformdirs

        folder = platformdirs.user_cache_dir("lerconnect", appauthor=False)
    environment = hashlib.sha256(sys.prefix.encode()).hexdigest()[:16]  # venvs never share one file
    return Path(folder) / f"plugin-commands-{environment}.json"


def module_file(module: str) -> Path | None:
    """Where `module` would be imported from, found without importing it or its parent packages."""
    top, *rest = module.split(".")
    try:
        spec = importlib.util.find_spec(top) if top not in sys.modules else sys.modules[top].__spec__
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if not rest:
        return Path(spec.origin) if spec.origin else None
    folders = [Path(p) for p in spec.submodule_search_locations or ()]
    *packages, leaf = rest
    for package in packages:
        folders = [folder / package for folder in folders if (folder / package).is_dir()]
    for folder in folders:
        for candidate in (folder / f"{leaf}.py", folder / leaf / "__init__.py"):
            if candidate.exists():
                return candidate
    return None


def installed_entry_points() -> list[importlib.metadata.EntryPoint]:
    """The plugins' entry points, in a stable order."""
    return sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value))


def fingerprint() -> str:
    """What the index depends on: every plugin entry point, its distribution and its module file."""
    parts = []
    for ep in installed_entry_points():
        path = module_file(ep.module)
        try:
            mtime = path.stat().st_mtime_ns if path else None
        except OSError:
            mtime = None
        dist = (ep.dist.name, ep.dist.version) if ep.dist else (None, None)
        parts.append([ep.name, ep.value, *dist, str(path), mtime])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def read() -> dict[str, dict[str, Any]] | None:
    """Each indexed command's name → its help fields, or None when there is no valid index."""
    try:
        data = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("fingerprint") != fingerprint():
        return None
    commands = data.get("commands")
    return commands if isinstance(commands, dict) else None


def write(commands: Mapping[str, Mapping[str, Any]]) -> None:
    """Remember the plugins' commands, name → `help_fields` (atomically: a reader never sees half a file)."""
    data = {"format": FORMAT, "fingerprint": fingerprint(), "commands": dict(commands)}
    path = cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(f.name, path)
    except OSError as exc:
        log.debug("plugin command index not written to %s: %s", path, exc)


def help_fields(command: click.Command) -> dict[str, Any]:
    """What `--help` shows of a command in a group's listing."""
    return {
        "help": command.help,
        "short_help": command.short_help,
        "hidden": command.hidden,
        "deprecated": command.deprecated,
    }


def stand_in(name: str, fields: Mapping[str, Any]) -> click.Command:
    """A command that only lists as the indexed one does (never invoked: the real one is loaded first)."""
    return click.Command(
        name,
        help=fields.get("help"),
        short_help=fields.get("short_help"),
        hidden=bool(fields.get("hidden")),
        deprecated=fields.get("deprecated") or False,
    )
