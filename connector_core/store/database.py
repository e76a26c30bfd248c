"""Opening the store: one SQLAlchemy engine per URL, schema kept current with alembic."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from connector_core.logs import mask, register_secret

MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(Exception):
    """The store cannot be used as asked; the message says how to fix it."""


def database_url(value: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path (SQLite)."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def redact(url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL, foreign keys, a generous busy wait; transactions are begun by `_sqlite_begin`."""
    dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN (below) be the only one
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """BEGIN IMMEDIATE: a transaction that reads then writes can never fail to upgrade its lock.

    With SQLite's default deferred BEGIN, two runs that both read and then write (a page commit)
    make one fail with "database is locked" at once; taking the write lock up front makes the
    second wait its turn (busy_timeout) instead.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Store:
    """The database behind lerconnect: SQLite file by default, PostgreSQL in production."""

    _rehearsal: Connection | None = None

    def __init__(self, url: str, *, auto_upgrade: bool | None = None) -> None:
        self.url = database_url(url)
        register_secret(make_url(self.url).password)  # never in a log line or a stored error
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(self.url, connect_args={"timeout": 30})
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True)
        try:
            if auto_upgrade if auto_upgrade is not None else self.is_sqlite:
                self.upgrade()
            else:
                self.require_current()
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise StoreError(
                f"cannot reach the database {redact(self.url)}: {mask(reason)}; check the store URL "
                f"([store].url or --db), that the server is running and that it accepts connections"
            ) from None

    @property
    def database(self) -> str:
        """The SQLite file's path, or the server database's name."""
        return make_url(self.url).database or ""

    def __repr__(self) -> str:
        return f"Store({redact(self.url)!r})"

    def _alembic(self) -> AlembicConfig:
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["engine"] = self.engine
        return config

    def upgrade(self) -> str:
        """Bring the schema to the newest migration; returns the revision reached."""
        command.upgrade(self._alembic(), "head")
        return self.revision() or ""

    def revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def require_current(self) -> None:
        head = ScriptDirectory.from_config(self._alembic()).get_current_head()
        current = self.revision()
        if current != head:
            raise StoreError(
                f"the database {redact(self.url)} is at schema revision {current or 'none'}, "
                f"this lerconnect needs {head}: run `lerconnect db upgrade`"
            )

    @property
    def rehearsing(self) -> bool:
        return self._rehearsal is not None

    @contextmanager
    def rehearsal(self) -> Iterator[Store]:
        """A dry run's view of the store: everything written through it is rolled back at the end.

        Every session joins one outer transaction (each as a savepoint), so a dry run reads what its
        own earlier steps wrote, exactly as the real run would, and leaves nothing behind.
        """
        connection = self.engine.connect()
        outer = connection.begin()
        dry = copy.copy(self)
        dry._rehearsal = connection
        try:
            yield dry
        finally:
            outer.rollback()
            connection.close()

    @contextmanager
    def session(self, *, rollback: bool = False) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises or `rollback` is set."""
        if self._rehearsal is not None:
            opened = Session(bind=self._rehearsal, expire_on_commit=False, join_transaction_mode="create_savepoint")
        else:
            opened = Session(self.engine, expire_on_commit=False)
        with opened as session:
            transaction = session.begin()
            try:
                yield session
            except BaseException:
                transaction.rollback()
                raise
            if rollback:
                transaction.rollback()
            else:
                transaction.commit()

    def dispose(self) -> None:
        self.engine.dispose()
