"""`lerconnect demo`: every installed plugin's sandbox on loopback, one full sync into an SQLite file.

Run again on the same file it is the next night's run: the same campus (same seed), so everything
comes back unchanged and nothing is rewritten or re-issued.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector_core.config import Settings, settings_from_dict
from connector_core.engine import RunResult, SyncEngine
from connector_core.plugins import Registry
from connector_core.sandbox import build_campus, serve
from connector_core.store import Store

log = logging.getLogger("lerconnect.demo")
FIRST = "files"


@dataclass
class DemoResult:
    config_path: Path
    runs: list[RunResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(path: Path, tables: dict[str, dict[str, Any]]) -> None:
    """Write the demo's config as TOML, so a user can rerun any command against the same sandbox."""
    lines = ["# Written by `lerconnect demo`: points at sandbox servers that live only while it runs.", ""]
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
        lines.append("")
    text = "\n".join(lines)
    tomllib.loads(text)  # what we write must read back
    path.write_text(text, encoding="utf-8")


def _ordered(registry: Registry) -> list[str]:
    return sorted(registry.sources, key=lambda name: (name != FIRST, name))


@contextmanager
def sandboxes(registry: Registry, learners: int, seed: int, workdir: Path) -> Iterator[dict[str, dict]]:
    """Start every plugin's sandbox; yields the `[sources.*]` tables pointing at them."""
    campus = build_campus(learners, seed)
    tables: dict[str, dict] = {}
    with ExitStack() as stack:
        for plugin in _ordered(registry):
            server = registry.sources[plugin].sandbox(campus)
            if server is None:
                continue
            base_url = stack.enter_context(serve(server.app)) if server.app is not None else None
            tables[plugin] = {"plugin": plugin, **server.config(base_url, workdir)}
        yield tables


def run_demo(store: Store, registry: Registry, *, learners: int, seed: int, workdir: Path,
             extra: dict[str, dict[str, Any]] | None = None,
             on_page: Callable[[RunResult, int], None] | None = None,
             after_sync: Callable[[SyncEngine, Settings], None] | None = None) -> DemoResult:
    """Full sync of every stream of every sandbox, in order (files first)."""
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "lerconnect-demo.toml"
    result = DemoResult(config_path)
    with sandboxes(registry, learners, seed, workdir) as tables:
        document = {**(extra or {}), **{f"sources.{name}": table for name, table in tables.items()}}
        write_config(config_path, document)
        settings = settings_from_dict({**(extra or {}), "sources": tables}, config_path)
        engine = SyncEngine(store, registry, settings, on_page=on_page)
        for name in tables:
            log.info("demo: syncing %s", name)
            result.runs.extend(engine.sync(name, full=True))
        if after_sync is not None:
            after_sync(engine, settings)
    return result
