"""A real sync engine on a test's own store, and what the test reads back: one set-up for every plugin.

A plugin's tests want the same three things: a fresh store (SQLite, or PostgreSQL when
LERCONNECT_TEST_DATABASE_URL is set), the real `SyncEngine` over a config naming their source, and
the sandbox campus's day instead of the machine's. The `lerconnect_sync` fixture gives a
`SyncBench` that does all three, and reads back what a run stored, so the tests need nothing
behind the public face.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.source import Source
from connector_core.testing.contract import isolated_registry

if TYPE_CHECKING:
    import pytest

    from connector_core.demo import DemoResult
    from connector_core.store import Store
    from connector_core.store.tables import DeadLetterRow, RecordRow, SyncRunRow


@dataclass
class SyncBench:
    """A test's store and work folder, the engines it runs over them, and what they stored.

    With `monkeypatch` set (the fixture sets it), a Source class whose `clock` reads the machine's
    date is pinned to the sandbox campus's day (`connector_core.sandbox.AS_OF`) for the test; a
    clock the test has set itself is left alone.
    """

    store: Store
    workdir: Path
    monkeypatch: pytest.MonkeyPatch | None = None

    def engine(
        self,
        source_cls: type[Source],
        table: Mapping[str, Any],
        *,
        name: str | None = None,
        engine_table: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> SyncEngine:
        """A real `SyncEngine` over one source: `table` is its `[sources.<name>]` table without `plugin`.

        The source is configured as `name` (default: the plugin's name); `engine_table` is the
        `[engine]` table (e.g. `{"commit_records": 1}`: a commit a page); `options` go to the engine
        (`on_page=`, `stop=`, ...).
        """
        tables = {name or source_cls.name: {**table, "plugin": source_cls.name}}
        return self.engine_over(tables, source_cls, engine_table=engine_table, **options)

    def engine_over(
        self,
        tables: Mapping[str, Mapping[str, Any]],
        *plugins: object,
        engine_table: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> SyncEngine:
        """A real `SyncEngine` over several sources (configured name -> table, `plugin` included).

        The registry holds exactly `plugins` (Source classes or hook modules), as `isolated_registry`.
        """
        for plugin in plugins:
            if isinstance(plugin, type) and issubclass(plugin, Source):
                self._pin_clock(plugin)
        config: dict[str, Any] = {"sources": {k: dict(v) for k, v in tables.items()}}
        if engine_table:
            config["engine"] = dict(engine_table)
        settings = settings_from_dict(config, self.workdir / "lerconnect.toml")
        return SyncEngine(self.store, isolated_registry(*plugins), settings, **options)

    def _pin_clock(self, source_cls: type[Source]) -> None:
        if self.monkeypatch is not None and getattr(source_cls, "clock", None) == date.today:
            from connector_core.sandbox import AS_OF

            self.monkeypatch.setattr(source_cls, "clock", staticmethod(lambda: AS_OF))

    def demo(self, *plugins: object, learners: int = 40, seed: int = 42, campus: str | None = None) -> DemoResult:
        """`lerconnect demo` into this store with exactly `plugins`: each sandbox synced in full, then
        credentials issued with a demo key and verified; `credentials()` reads what it signed."""
        from connector_core.demo import run_demo

        registry = isolated_registry(*plugins)
        return run_demo(
            self.store, registry, learners=learners, seed=seed, workdir=self.workdir / "demo", campus=campus
        )

    def credentials(self) -> list[dict[str, Any]]:
        """Every live credential document in this store: OB 3.0 badges and CLR 2.0 credentials."""
        from connector_core.store import credentials

        return list(credentials.iter_documents(self.store, run_id=None))

    @contextmanager
    def failing_writes(self, error: Exception) -> Iterator[None]:
        """Within the block, storing a page fails with `error` before it commits, as a power cut would
        between reading from the system and saving: the test then proves a rerun loses nothing."""
        import pytest

        from connector_core.store import records

        def fail(*args: Any, **kwargs: Any) -> Any:
            raise error

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(records, "upsert", fail)
            yield

    def records(self, *, source: str | None = None, stream: str | None = None) -> dict[str, RecordRow]:
        """The active stored records by source record id (name `source` where several share ids)."""
        from connector_core.store import records

        return {row.source_record_id: row for row, _ in records.iter_records(self.store, source=source, stream=stream)}

    def dead_letters(
        self, *, source: str | None = None, stream: str | None = None, run_id: str | None = None
    ) -> list[DeadLetterRow]:
        """The dead letters kept (newest first), each with its `field`, `reason`, `raw` and `location`."""
        from connector_core.store import runs

        return runs.list_dead_letters(self.store, source=source, stream=stream, run_id=run_id, limit=None)

    def cursor(self, source: str, stream: str) -> Any:
        """The cursor the engine saved for `source`/`stream` (None before the first page)."""
        from connector_core.store import runs

        return runs.load_state(self.store, source, stream).cursor

    def run(self, run_id: str) -> SyncRunRow:
        """The store's record of one run: the same counts as its `RunResult`, as history shows them."""
        from connector_core.store import runs

        found = runs.get_run(self.store, run_id)
        assert found is not None, f"no run {run_id} in the store"
        return found

    def learner_links(self, source_id: str) -> set[tuple[str, str]]:
        """(source, learner key) of every source that knows a learner by `source_id`: one key means one person."""
        from sqlalchemy import select

        from connector_core.store.tables import LearnerIdentifierRow

        query = select(LearnerIdentifierRow).where(LearnerIdentifierRow.source_id == source_id)
        with self.store.session() as session:
            return {(link.source, link.learner_key) for link in session.scalars(query)}
