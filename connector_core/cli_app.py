"""What every `lerconnect` command shares, the built-in ones and a plugin's alike.

The heavy modules are imported where used, so that `lerconnect --help` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from connector_core.config import Settings
    from connector_core.engine import SyncEngine
    from connector_core.issuing import IssuingService
    from connector_core.pipeline import Pipeline
    from connector_core.plugins import Registry
    from connector_core.store import Store


class App:
    """What every command shares: the config file, the store URL, the plugins."""

    def __init__(self, config: str | None) -> None:
        self.config_path = config
        self.db: str | None = None  # a group's --db, for its subcommands
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from connector_core.config import load_settings
            from connector_core.secrecy import register_config_secrets

            self._settings = load_settings(self.config_path)
            register_config_secrets(self._settings, self.registry)
        return self._settings

    @property
    def registry(self) -> Registry:
        from connector_core.plugins import default_registry

        return default_registry()

    def store(self, db: str | None, *, create: bool = False) -> Store:
        """The store; a missing SQLite file is an error unless this command makes one (`create`)."""
        from connector_core.store import Store, StoreError

        if not db:
            self.settings.require("store")
        url = db or self.settings.store.url
        path = sqlite_path(url)
        if not create and path is not None and not path.exists():
            raise StoreError(
                f"no store at {path}: check --db (or [store].url), or create it with "
                f"`lerconnect db upgrade --db {path}` or a first `lerconnect sync`"
            )
        return Store(url)

    def engine(self, db: str | None, **options: Any) -> SyncEngine:
        from connector_core.engine import SyncEngine

        return SyncEngine(self.store(db, create=True), self.registry, self.settings, **options)

    def pipeline(self, db: str | None) -> Pipeline:
        from connector_core.pipeline import Pipeline

        return Pipeline(self.store(db, create=True), self.registry, self.settings)

    def issuer(self, db: str | None) -> IssuingService:
        """The configured issuer on the store; a usage error when the config has none."""
        from connector_core.issuing import service_for

        service = service_for(self.store(db), self.settings, self.registry.hook)
        if service is None:
            raise click.UsageError("the config has no [issuer] table: add one (see `lerconnect init`)")
        return service


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite store (a plain path or a sqlite:/// URL), or None for a server."""
    if "://" not in url:
        return Path(url).expanduser()
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///"))
    return None
