"""What every `lerconnect` command shares, the built-in ones and a plugin's alike."""

from __future__ import annotations

import click

from connector_core.config import Settings, load_settings
from connector_core.issuing import IssuingService
from connector_core.pipeline import Pipeline
from connector_core.plugins import Registry, default_registry
from connector_core.secrecy import register_config_secrets
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
            self._settings = load_settings(self.config_path)
            register_config_secrets(self._settings, self.registry)
        return self._settings

    @property
    def registry(self) -> Registry:
        return default_registry()

    def store(self, db: str | None) -> Store:
        return Store(db or self.settings.store.url)

    def pipeline(self, db: str | None) -> Pipeline:
        return Pipeline(self.store(db), self.registry, self.settings)

    def issuer(self, db: str | None) -> IssuingService:
        """The configured issuer on the store; a usage error when the config has none."""
        service = self.pipeline(db).issuer
        if service is None:
            raise click.UsageError("the config has no [issuer] table: add one (see `lerconnect init`)")
        return service
