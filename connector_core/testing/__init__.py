"""The plugin test kit: point it at your Source and its sandbox, and it says what breaks the contract.

One call does it all from a test::

    from connector_core.testing import check_source_contract

    def test_contract():
        check_source_contract(MySource, None)   # None: serve MySource.sandbox(campus) on loopback

It checks that `check()` fails clearly on bad credentials, that cursors are JSON and resume exactly
where they were saved, that `normalize` is deterministic and yields valid records, that broken raw
records are dead-lettered rather than crashing the run, and that a real `SyncEngine` run into a
temporary store stores exactly what was normalized — and that rerunning changes nothing.
Each check is also a function of its own returning its problems. By job:

- `contract`: the checks and `check_source_contract`;
- `sandbox`: serving a sandbox, a temporary database, the shared reference data;
- `engine`: `SyncBench`, the real sync engine on a test's store and what it stored;
- `cli`: `run_cli`, the `lerconnect` command in-process;
- `project`: `issuer_toml` and `files_grades_toml`, the `lerconnect.toml` tables of a test project;
- `pytest_plugin`: the fixtures `lerconnect_sandbox` (serve a sandbox for one test),
  `lerconnect_store` (a fresh store, on PostgreSQL when LERCONNECT_TEST_DATABASE_URL is set) and
  `lerconnect_sync` (a `SyncBench` on that store), loaded by pytest through the `pytest11` entry
  point. pytest is needed only there.

Also here for tests: `ConfigError` (what `make_source` raises on a bad table), `SyncEngine` and
`RunResult` (what a bench builds and a sync returns), `achievement_key` and
`association_target_key` (how the store keys what a plugin normalizes: two records with one key
share one achievement), and `verify_credential` (checks a signed credential as a verifier would).
"""

from connector_core.config import ConfigError
from connector_core.engine import RunResult, SyncEngine
from connector_core.issuer import verify_credential
from connector_core.model import achievement_key, association_target_key
from connector_core.testing.cli import run_cli
from connector_core.testing.contract import (
    CONTRACT_SOURCE,
    ContractReport,
    NormalizeResult,
    PullResult,
    bad_credentials,
    check_bad_records,
    check_credentials,
    check_normalize,
    check_pull,
    check_source_contract,
    check_sync,
    isolated_registry,
    make_source,
    run_contract,
)
from connector_core.testing.engine import SyncBench
from connector_core.testing.project import files_grades_toml, issuer_toml
from connector_core.testing.sandbox import (
    SandboxConfig,
    ServedSandbox,
    normalized_by_id,
    pull_all,
    run_sandbox,
    serve_sandbox,
    shared_path,
    temporary_database,
)

__all__ = [
    "CONTRACT_SOURCE",
    "ConfigError",
    "ContractReport",
    "NormalizeResult",
    "PullResult",
    "RunResult",
    "SandboxConfig",
    "ServedSandbox",
    "SyncBench",
    "SyncEngine",
    "achievement_key",
    "association_target_key",
    "bad_credentials",
    "check_bad_records",
    "check_credentials",
    "check_normalize",
    "check_pull",
    "check_source_contract",
    "check_sync",
    "files_grades_toml",
    "isolated_registry",
    "issuer_toml",
    "make_source",
    "normalized_by_id",
    "pull_all",
    "run_cli",
    "run_contract",
    "run_sandbox",
    "serve_sandbox",
    "shared_path",
    "temporary_database",
    "verify_credential",
]

_FIXTURES = ("lerconnect_sandbox", "lerconnect_store", "lerconnect_sync")


def __getattr__(name: str) -> object:
    """The pytest fixtures, for a conftest that names them (`testing.lerconnect_store`); needs pytest."""
    if name in _FIXTURES:
        from connector_core.testing import pytest_plugin

        return getattr(pytest_plugin, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
