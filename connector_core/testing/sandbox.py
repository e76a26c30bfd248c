"""Sandboxes and stores for a plugin's tests: serve a sandbox on loopback, a database nothing else uses."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector_core.sandbox import build_campus
from connector_core.sandbox.serve import serve, start
from connector_core.source import Source

serve_sandbox = serve
"""Serve a WSGI app on a free loopback port for the block; yields its base URL (no trailing /)."""


def shared_path(*parts: str) -> Path:
    """A file of the project's shared reference data (official contexts, vectors, payloads), or skip.

    The folder is `LERCONNECT_SHARED`, else `shared/` beside this checkout. These files are never
    shipped; tests that read them skip, saying why, where they are absent.
    """
    import pytest

    root = Path(os.environ.get("LERCONNECT_SHARED") or Path(__file__).resolve().parents[3] / "shared")
    path = root.joinpath(*parts)
    if not path.exists():  # at module level (a module's data read on import) too: the whole module skips
        pytest.skip(
            f"{path} is absent: these tests read the shared reference data; set LERCONNECT_SHARED",
            allow_module_level=True,
        )
    return path


@dataclass(frozen=True)
class SandboxConfig:
    """A running sandbox: the `[sources.<name>]` table pointing at it, its URL and its work folder."""

    table: dict[str, Any]
    base_url: str | None
    workdir: Path
    app: Any = None


@contextmanager
def run_sandbox(
    source_cls: type[Source], campus: Any = None, workdir: Path | None = None, **options: Any
) -> Iterator[SandboxConfig]:
    """Start `source_cls.sandbox(campus)`: serve its app on loopback or let it write its files."""
    if campus is None:
        campus = build_campus(learners=12, seed=7)
    with ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lerconnect-sandbox-")))
        running = stack.enter_context(start(source_cls, campus, workdir, **options))
        if running is None:
            raise AssertionError(
                f"{source_cls.__qualname__}.sandbox() returned None: pass a config table "
                f"pointing at a test system, or implement sandbox(campus)"
            )
        table, base_url, app = running
        yield SandboxConfig(table, base_url, workdir, app)


@contextmanager
def temporary_database(directory: Path, base_url: str | None = None) -> Iterator[str]:
    """A database URL nothing else uses: a SQLite file in `directory`, or a fresh schema of `base_url`.

    The PostgreSQL schema is dropped afterwards; the URL sets `search_path` so every connection
    (the store's, a subprocess's, the scheduler's job store) lands in it.
    """
    if not base_url:
        yield f"sqlite:///{Path(directory) / f'lerconnect-{uuid.uuid4().hex[:8]}.db'}"
        return
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in base_url else "?"
        try:
            yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
        finally:
            with admin.begin() as connection:
                # a test that leaked an open transaction fails here loudly instead of hanging the suite
                connection.execute(text("SET LOCAL lock_timeout = '15s'"))
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@dataclass
class ServedSandbox:
    """A plugin's sandbox served for a test: its app, URL, the config table pointing at it, its campus.

    `source(**overrides)` builds the plugin's source from that table; a source with a `clock`
    (the plugin's notion of "today") is pinned to the campus's day, never the machine's.
    """

    source_cls: type[Source]
    app: Any
    url: str | None
    table: dict[str, Any]
    campus: Any

    def source(self, **overrides: Any) -> Any:
        from connector_core.sandbox import AS_OF
        from connector_core.testing.contract import make_source

        source = make_source(self.source_cls, {**self.table, **overrides})
        assert isinstance(source, self.source_cls)
        if hasattr(source, "clock"):
            source.clock = lambda: AS_OF
        return source


def pull_all(source: Source, stream: str, cursor: Any = None) -> tuple[list[dict[str, Any]], list[Any]]:
    """Every raw record of one pull, and the cursor saved after each page."""
    raws: list[dict[str, Any]] = []
    cursors: list[Any] = []
    for page in source.pull(stream, cursor):
        raws.extend(page.records)  # type: ignore[arg-type]
        cursors.append(page.cursor)
    return raws, cursors


def normalized_by_id(source: Source, stream: str, raws: list[dict[str, Any]]) -> dict[str, Any]:
    """The learning records of `raws` by source record id; a tombstone or a record normalized twice fails."""
    from connector_core.model import Tombstone

    out: dict[str, Any] = {}
    for raw in raws:
        for item in source.normalize(stream, raw):
            assert not isinstance(item, Tombstone)
            assert item.source_record_id not in out, f"{item.source_record_id} normalized twice"
            out[item.source_record_id] = item
    return out
