"""`lerconnect demo`: every installed plugin's sandbox on loopback, one full sync into an SQLite file.

Run again on the same file it is the next night's run: the same campus (same seed), so everything
comes back unchanged and nothing is rewritten or re-issued.
"""

from __future__ import annotations

import logging
import os
import random
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector_core.config import load_settings
from connector_core.engine import RunResult
from connector_core.issuer import SigningKey, verify_credential
from connector_core.issuing import IssueReport, IssuingService
from connector_core.pipeline import Pipeline, PipelineProgress
from connector_core.plugins import Registry
from connector_core.sandbox import build_campus
from connector_core.sandbox.campus import DEFAULT_SIS
from connector_core.sandbox.serve import start
from connector_core.store import Store
from connector_core.store import credentials as cred_store

log = logging.getLogger("lerconnect.demo")
FIRST = "files"


DEMO_PASSPHRASE = "demo-throwaway-key-not-for-real-credentials"  # noqa: S105 - labelled demo value


@dataclass
class DemoResult:
    config_path: Path
    runs: list[RunResult] = field(default_factory=list)
    issued: IssueReport | None = None
    verified: int = 0
    verify_failures: list[str] = field(default_factory=list)
    sample: Sample | None = None  # what was verified: all the run signed, or a random sample


def demo_issuer(workdir: Path) -> dict[str, Any]:
    """The `[issuer]` table of the demo: a throwaway key made on first use, labelled as such."""
    key_file = workdir / "DEMO-ONLY-issuer-key.pem"
    passphrase_file = workdir / "DEMO-ONLY-key-passphrase"
    if not passphrase_file.exists():
        passphrase_file.write_text(DEMO_PASSPHRASE)
        passphrase_file.chmod(0o600)
    if not key_file.exists():
        SigningKey.generate().save(key_file, DEMO_PASSPHRASE)
        log.warning("demo: created a THROWAWAY signing key %s; never use it for real credentials", key_file)
    return {
        "name": "Sandbox University (DEMO issuer, throwaway key)",
        "url": "https://sandbox.example.edu",
        "email": "registrar@sandbox.example.edu",
        "key_file": str(key_file),
        "passphrase": f"file:{passphrase_file}",
        "status_base_url": "https://sandbox.example.edu/status",
        "status_dir": str(workdir / "status"),
    }


VERIFY_ALL_UP_TO = 2000
"""A run that signed at most this many is verified in full; a larger one by a random sample this size."""


@dataclass(frozen=True)
class Sample:
    """Which of a run's credentials the demo verifies: all, or `size` of `of` chosen at random."""

    size: int
    of: int
    seed: int

    @property
    def complete(self) -> bool:
        return self.size >= self.of

    def describe(self) -> str:
        if self.complete:
            return f"all {self.of} credentials signed by this run"
        return (
            f"a random sample of {self.size} of the {self.of} credentials signed by this run "
            f"(uniform over their ids, seed {self.seed}; --verify-limit sets the size)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {"size": self.size, "of": self.of, "seed": self.seed, "complete": self.complete, "how": self.describe()}


def sample_ids(ids: Iterable[str], size: int, seed: int) -> list[str]:
    """`size` of the streamed `ids`, each equally likely, in one pass holding only `size` (reservoir
    sampling, Algorithm R); the same ids and seed always choose the same, returned in id order."""
    chosen: list[str] = []
    draw = random.Random(seed)
    for seen, credential_id in enumerate(ids):
        if seen < size:
            chosen.append(credential_id)
        else:
            slot = draw.randrange(seen + 1)
            if slot < size:
                chosen[slot] = credential_id
    return sorted(chosen)


def verify_issued(
    service: IssuingService,
    store: Store,
    run_id: str | None,
    sample: Sample,
    on_phase: Callable[[str, int, int | None], None] | None = None,
    batch: int = 200,
) -> tuple[int, list[str]]:
    """Verify what this run signed (all, or the sample): proof, dates, status against the freshly signed lists."""
    lists = {d["id"]: d for d in service.status_list_documents()}
    ids = cred_store.issued_ids(store, run_id)
    chosen = list(ids) if sample.complete else sample_ids(ids, sample.size, sample.seed)
    failures, count = [], 0
    for first in range(0, len(chosen), batch):
        for document in cred_store.documents(store, chosen[first : first + batch]):
            result = verify_credential(document, status_resolver=lists.__getitem__)
            count += 1
            if on_phase:
                on_phase("verifying", 1, len(chosen))
            if not result.verified:
                failures.extend(result.failures())
    return count, failures


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
def sandboxes(
    registry: Registry, learners: int, seed: int, workdir: Path, sis: str | None = None
) -> Iterator[dict[str, dict]]:
    """Start every plugin's sandbox on a campus whose SIS is `sis`; yields the `[sources.*]` tables pointing at them.

    Each plugin's sandbox decides whether it serves that campus (an SIS serves only its own).
    """
    campus = build_campus(learners, seed, sis=sis or DEFAULT_SIS)
    tables: dict[str, dict] = {}
    with ExitStack() as stack:
        stack.enter_context(_own_cache(workdir / "cache"))
        for plugin in _ordered(registry):
            running = stack.enter_context(start(registry.sources[plugin], campus, workdir))
            if running is not None:
                tables[plugin] = {"plugin": plugin, **running[0]}
        yield tables


@contextmanager
def _own_cache(folder: Path) -> Iterator[None]:
    """Sandboxes listen on reused loopback ports and their WSDLs change between versions, so the demo
    caches what it downloads in its own folder, never in the user's cache (which is keyed by URL)."""
    before = os.environ.get("LERCONNECT_CACHE_DIR")
    os.environ["LERCONNECT_CACHE_DIR"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("LERCONNECT_CACHE_DIR", None)
        else:
            os.environ["LERCONNECT_CACHE_DIR"] = before


def run_demo(
    store: Store,
    registry: Registry,
    *,
    learners: int,
    seed: int,
    workdir: Path,
    issue: bool = True,
    verify_limit: int | None = None,
    progress: PipelineProgress | None = None,
    campus: str | None = None,
) -> DemoResult:
    """Full sync of every stream of every sandbox (hold-flagging sources last), then issue and verify.

    Verification covers everything signed up to `VERIFY_ALL_UP_TO` credentials (or `verify_limit`);
    past that a seeded random sample of that size (`DemoResult.sample` says which).
    """
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "lerconnect-demo.toml"
    result = DemoResult(config_path)
    extra = {"issuer": demo_issuer(workdir)} if issue else {}
    with sandboxes(registry, learners, seed, workdir, campus) as tables:
        write_config(config_path, {**extra, **{f"sources.{name}": table for name, table in tables.items()}})
        settings = load_settings(config_path)  # read back as a user's config is: secrets from files
        pipeline = Pipeline(store, registry, settings)
        log.info("demo: syncing %s", ", ".join(tables))
        night = pipeline.run(list(tables), full=True, progress=progress)
    result.runs, result.issued = night.runs, night.issuing
    if pipeline.issuer is not None and night.issuing is not None:
        on_phase = progress.phase if progress else None
        signed = night.issuing.issued + night.issuing.clrs
        result.sample = Sample(min(signed, VERIFY_ALL_UP_TO if verify_limit is None else verify_limit), signed, seed)
        log.info("demo: verifying %s", result.sample.describe())
        result.verified, result.verify_failures = verify_issued(
            pipeline.issuer, store, night.run_id, result.sample, on_phase
        )
        if progress:
            progress.phase_done("verifying", f"{result.verified} verified, {len(result.verify_failures)} failed")
    return result
