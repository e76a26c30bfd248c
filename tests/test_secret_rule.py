"""One secret rule: a source's SecretStr fields are masked, whatever their names; nothing else is."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from pydantic import SecretStr

from connector_core import Page, Source, SourceConfig, SourceError, hookimpl, logs
from connector_core.config import settings_from_dict
from connector_core.pipeline import Pipeline
from connector_core.plugins import load_registry
from connector_core.store import Store, runs
from connector_core.testing import bad_credentials

SECRET = "pa55-Vault-7731"
ENDPOINT = "https://idp.example.edu/token-endpoint"


class VaultConfig(SourceConfig):
    api_credential: SecretStr  # an unusual name for a secret
    token_endpoint: str  # "token" in the name, yet public


class Vault(Source):
    name = "vault"
    Config = VaultConfig
    streams = ("grades",)

    def check(self) -> str:
        return "ok"

    def pull(self, stream: str, cursor: Any) -> Iterator[Page]:
        secret = self.config.api_credential.get_secret_value()
        logging.getLogger("lerconnect.vault").warning("calling %s with %s", self.config.token_endpoint, secret)
        raise SourceError(f"{self.config.token_endpoint} refused credential {secret}")
        yield  # pragma: no cover

    def normalize(self, stream: str, raw: Any):
        return []


class VaultPlugin:
    __name__ = "vault_plugin"

    @hookimpl
    def lerconnect_register_sources(self, register) -> None:
        register(Vault)


def test_secret_fields_are_masked_in_logs_and_run_history_and_public_ones_are_not(store: Store, capsys) -> None:
    settings = settings_from_dict(
        {"sources": {"vault": {"plugin": "vault", "api_credential": SECRET, "token_endpoint": ENDPOINT}}}
    )
    logs.configure("text")
    (run,) = Pipeline(store, load_registry(extra_modules=(VaultPlugin(),)), settings).run().runs
    log_text = capsys.readouterr().err
    assert run.status == "failed"
    assert SECRET not in log_text and f"calling {ENDPOINT} with ***" in log_text
    (stored,) = runs.list_runs(store, source="vault")
    assert SECRET not in stored.error and stored.error.endswith(f"{ENDPOINT} refused credential ***")


def test_the_contract_kit_spoils_secret_fields_not_names_that_look_secret() -> None:
    table = {"api_credential": SECRET, "token_endpoint": ENDPOINT}
    spoiled = bad_credentials(table, VaultConfig)
    assert spoiled["api_credential"] != SECRET and spoiled["token_endpoint"] == ENDPOINT
    assert bad_credentials({"token_endpoint": ENDPOINT}, SourceConfig) is None
