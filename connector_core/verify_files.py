"""Verifying credential files (`lerconnect verify`): each file's checks, on every core for many files.

Each file is checked by `FileChecker.check`; a folder of thousands goes to a process pool (one
checker per process, built once), and the results come back in the files' order, the same as a
serial run's, because it is the same function.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from connector_core.issuer import IssuerError, KeyResolutionError, verify_credential
from connector_core.issuer.schemas import PinnedSchemas
from connector_core.issuing import contexts_canonicalizer

SCHEMA_FILES = {  # credential type → 1EdTech schema file name, looked up in --schema-dir
    "ClrCredential": "clr_v2p0_clrcredential_schema.json",
    "OpenBadgeCredential": "ob_v3p0_achievementcredential_schema.json",
    "AchievementCredential": "ob_v3p0_achievementcredential_schema.json",
    "EndorsementCredential": "ob_v3p0_endorsementcredential_schema.json",
}


class LocalStatusLists:
    """Resolves status list URLs to list credentials found as JSON files in folders (offline)."""

    def __init__(self, folders: list[Path], fetch: Callable[[str], Mapping] | None = None) -> None:
        self.by_url: dict[str, Mapping] = {}
        self.fetch = fetch
        for folder in folders:
            # lists are written at their URL's path (`<status_dir>/1`, no extension), so read every file
            for path in sorted(folder.rglob("*")):
                if not path.is_file() or path.stat().st_size > 8 * 1024 * 1024:
                    continue
                try:
                    document = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError, RecursionError):  # unreadable, not JSON, nested too deep
                    continue
                if isinstance(document, dict) and "BitstringStatusListCredential" in document.get("type", []):
                    self.by_url[document["id"]] = document

    def __call__(self, url: str) -> Mapping:
        if url in self.by_url:
            return self.by_url[url]
        if self.fetch is not None:
            return self.fetch(url)
        raise LookupError(
            f"no status list {url} among the local files: pass --status-dir with the folder "
            f"that `lerconnect credentials export` wrote, or --fetch-status-lists to GET it"
        )


class TrustedKeys:
    """Resolves verification methods to public keys listed in local DID documents (no network)."""

    def __init__(self, files: list[Path]) -> None:
        self.keys: dict[str, str] = {}
        for path in files:
            document = json.loads(path.read_text(encoding="utf-8"))
            for method in document.get("verificationMethod", []):
                if isinstance(method, Mapping) and "publicKeyMultibase" in method:
                    self.keys[method["id"]] = method["publicKeyMultibase"]

    def __call__(self, verification_method: str) -> str:

        try:
            return self.keys[verification_method]
        except KeyError:
            raise KeyResolutionError(f"{verification_method} is in none of the --did-document files") from None


class SchemaFolder:
    """Picks the 1EdTech JSON Schema for a credential's type from a folder of schema files."""

    def __init__(self, folders: list[Path]) -> None:
        self.files = {p.name: p for folder in folders for p in folder.rglob("*.json")}

    def for_document(self, document: Mapping) -> Mapping | None:
        types = document.get("type") or []
        for kind, name in SCHEMA_FILES.items():
            if kind in types and name in self.files:
                return json.loads(self.files[name].read_text(encoding="utf-8"))
        return None


def _schema_by_type(document: Mapping, schema: Mapping) -> list:
    from jsonschema import Draft201909Validator

    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in Draft201909Validator(schema).iter_errors(document)
    ]
    return ["schema", not errors, "; ".join(errors[:5]) or f"valid against {schema.get('$id', 'the schema')}"]


POOL_FROM = 32
"""Fewer files than this are checked in this process: starting workers would cost more than it saves."""


def credential_files(paths: Iterable[Path]) -> list[Path]:
    """The files to check: each file as given, and every `*.json` below each folder (sorted)."""
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(p for p in path.rglob("*.json") if p.is_file()) if path.is_dir() else [path])
    return out


@dataclass(frozen=True)
class VerifyOptions:
    """Where the checks look: status list, schema and context folders, trusted DID documents."""

    status_dirs: tuple[Path, ...]
    schema_dirs: tuple[Path, ...] = ()
    contexts_dir: Path | None = None
    did_documents: tuple[Path, ...] = ()
    fetch_status_lists: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    """the one moment every file's validity is judged at, in whichever process checks it"""


@dataclass
class FileChecker:
    """Everything one process needs to check files, built once from the options."""

    options: VerifyOptions
    statuses: LocalStatusLists = field(init=False)

    def __post_init__(self) -> None:
        from connector_core.issuer.status_fetch import HttpStatusLists  # requests only when asked

        opts = self.options
        self.statuses = LocalStatusLists(list(opts.status_dirs), HttpStatusLists() if opts.fetch_status_lists else None)
        self.schemas = SchemaFolder(list(opts.schema_dirs))
        self.pinned_schemas = PinnedSchemas(opts.schema_dirs)
        self.canonicalizer = contexts_canonicalizer(opts.contexts_dir, Path.cwd())
        self.keys = TrustedKeys(list(opts.did_documents)) if opts.did_documents else None

    def check(self, path: Path) -> dict[str, Any]:
        """One file's report: {"file", "id", "verified", "checks": [[name, passed, message], ...]}."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested beyond any credential
            return {"file": str(path), "verified": False, "checks": [["json", False, str(exc)]]}
        schema = self.schemas.for_document(document) if isinstance(document, Mapping) else None
        try:
            result = verify_credential(
                document,
                status_resolver=self.statuses,
                schema_resolver=self.pinned_schemas,
                canonicalizer=self.canonicalizer,
                key_resolver=self.keys,
                now=self.options.now,
            )
        except IssuerError as exc:
            return {"file": str(path), "verified": False, "checks": [["verify", False, str(exc)]]}
        checks = [[c.name, c.passed, c.message] for c in result.checks]
        if schema is not None and not any(c[0] == "schema" and c[1] is not None for c in checks):
            checks = [c for c in checks if c[0] != "schema"] + [_schema_by_type(document, schema)]
        embedded_failures = [f for e in result.embedded for f in e.failures()]
        if embedded_failures:
            checks.append(["embedded", False, "; ".join(embedded_failures[:5])])
        elif result.embedded:
            checks.append(["embedded", True, f"{len(result.embedded)} embedded credential(s) verified"])
        verified = all(c[1] is not False for c in checks)
        return {"file": str(path), "id": result.id, "verified": verified, "checks": checks}


_checker: FileChecker | None = None  # a pool worker's own


def _start_worker(options: VerifyOptions) -> None:
    global _checker
    _checker = FileChecker(options)


def _check_in_worker(path: Path) -> dict[str, Any]:
    assert _checker is not None, "the pool's initializer builds the checker"
    return _checker.check(path)


def verify_files(files: list[Path], options: VerifyOptions, processes: int | None = None) -> list[dict[str, Any]]:
    """Check every file, in `processes` processes (default: one per core); reports in the files' order."""
    workers = min(processes or os.cpu_count() or 1, max(1, len(files) // (POOL_FROM // 2)))
    if workers <= 1 or len(files) < POOL_FROM:
        checker = FileChecker(options)
        return [checker.check(path) for path in files]
    # spawn, not fork: the CLI may hold threads (logging, a store's pool) that fork would copy mid-state
    with ProcessPoolExecutor(workers, get_context("spawn"), initializer=_start_worker, initargs=(options,)) as pool:
        return list(pool.map(_check_in_worker, files, chunksize=max(1, min(64, len(files) // (workers * 8)))))
