"""Reading export files row by row, and fingerprinting them so unchanged files are skipped."""

from __future__ import annotations

import csv
import glob
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connector_core import SourceError


def fingerprint(path: Path) -> str:
    """SHA-256 of the file's bytes: a changed file is a new file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def matching_files(pattern: str, base: Path) -> list[Path]:
    full = pattern if Path(pattern).is_absolute() else str(base / pattern)
    return sorted(Path(p) for p in glob.glob(full, recursive=True) if Path(p).is_file())


def read_rows(path: Path, fmt: str, encoding: str) -> Iterator[dict[str, Any]]:
    """Rows as dicts, each tagged with `_file` and `_line` so dead letters can point at them."""
    kind = fmt if fmt != "auto" else ("jsonl" if path.suffix.lower() in {".jsonl", ".ndjson"} else "csv")
    with path.open(encoding=encoding, newline="") as handle:
        if kind == "csv":
            for line, row in enumerate(csv.DictReader(handle), start=2):
                yield {**row, "_file": path.name, "_line": line}
            return
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield {"_file": path.name, "_line": line, "_error": f"not valid JSON: {exc.msg}"}
                continue
            if not isinstance(row, dict):
                row = {"_error": "a JSON Lines row must be an object"}
            yield {**row, "_file": path.name, "_line": line}


def require_files(files: list[Path], pattern: str) -> list[Path]:
    if not files:
        raise SourceError(f"no file matches {pattern!r}: check `path` in the config and that the export ran")
    return files
