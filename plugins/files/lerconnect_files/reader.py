"""Reading export files row by row, and fingerprinting them so unchanged files are skipped.

Rows are streamed (memory stays flat whatever the file size). A row that cannot be read — bytes
not valid in the file's encoding, the wrong number of fields, a field over the CSV limit, a quote
that is never closed — becomes an error row naming the file, line and column, which the source
dead-letters; the rows after it are still read. A quote that is never closed would otherwise
swallow the rows that follow into one field: the lines it swallowed are read again as rows.
"""

from __future__ import annotations

import codecs
import csv
import glob
import hashlib
import io
import json
import re
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from connector_core import SourceError

_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes the decoder could not read (surrogateescape)
_UTF8 = {"utf-8", "utf8", "utf-8-sig", "utf_8", "utf_8_sig"}


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


class DuplicateIds:
    """One pass over a stream's files: a record id seen again with other content is an error row.

    Neither copy is silently preferred: the first is kept, the later one dead-letters naming both.
    """

    def __init__(self, column: str) -> None:
        self.column = column
        self.seen: dict[str, tuple[str, int, int]] = {}  # id -> (file, line, hash of the content)

    def check(self, row: dict[str, Any]) -> dict[str, Any]:
        record_id = row.get(self.column)
        if "_error" in row or not record_id:
            return row
        content = hash(tuple(sorted((k, str(v)) for k, v in row.items() if not k.startswith("_"))))
        file, line, first = self.seen.setdefault(str(record_id), (row["_file"], row["_line"], content))
        if first == content:
            return row
        return {
            **row,
            "_error": f"record id {record_id!r} appears again with different content (first in {file} line "
            f"{line}): fix the export so each id is one record",
            "_field": self.column,
        }


def read_rows(path: Path, fmt: str, encoding: str, ids: DuplicateIds | None = None) -> Iterator[dict[str, Any]]:
    """Rows as dicts, each tagged with `_file` and `_line`; unreadable rows carry `_error` (and `_field`)."""
    kind = fmt if fmt != "auto" else ("jsonl" if path.suffix.lower() in {".jsonl", ".ndjson"} else "csv")
    with _open_text(path, encoding) as handle:
        try:
            rows = _csv_rows(handle) if kind == "csv" else _jsonl_rows(handle)
            for row in rows:
                tagged = {**_decoding_error(row, handle.encoding), **row, "_file": path.name}
                yield ids.check(tagged) if ids else tagged
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{path.name} cannot be read as {handle.encoding} ({exc.reason}): re-export it as UTF-8, "
                f"or set `encoding` for this file set"
            ) from None


def _open_text(path: Path, encoding: str) -> IO[str]:
    """The file as text; a UTF-16 byte order mark wins over a UTF-8 setting (spreadsheet exports)."""
    raw = path.open("rb")
    if encoding.lower() in _UTF8 and raw.peek(2)[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        encoding = "utf-16"
    return io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")


def _decoding_error(row: Mapping[str, Any], encoding: str) -> dict[str, Any]:
    """An `_error` for the first value holding bytes the encoding could not decode, if any."""
    for column, value in row.items():
        bad = _UNDECODABLE.search(value) if isinstance(value, str) else None
        if bad and not column.startswith("_"):
            byte = ord(bad.group()) - 0xDC00
            return {
                "_error": f"byte 0x{byte:02x} at position {bad.start()} is not valid {encoding}: "
                f"re-export the file as UTF-8, or set `encoding` for this file set",
                "_field": column,
            }
    return {}


def _jsonl_rows(handle: IO[str]) -> Iterator[dict[str, Any]]:
    for line, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            yield {"_line": line, "_error": f"not valid JSON: {exc.msg}"}
            continue
        if not isinstance(row, dict):
            row = {"_error": "a JSON Lines row must be an object"}
        yield {**row, "_line": line}


class _Lines:
    """Numbered physical lines for `csv.reader`; remembers the current row's lines and can re-read some."""

    def __init__(self, handle: IO[str]) -> None:
        self.numbered = enumerate(handle, start=1)
        self.again: deque[tuple[int, str]] = deque()
        self.row: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        number, text = self.again.popleft() if self.again else next(self.numbered)
        self.row.append((number, text))
        return text

    def reread(self, lines: list[tuple[int, str]]) -> None:
        self.again.extendleft(reversed(lines))


def _csv_rows(handle: IO[str]) -> Iterator[dict[str, Any]]:
    lines = _Lines(handle)
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return
    width = len(header)
    while True:
        lines.row = []
        try:
            fields = next(reader)
            problem = _swallowed(lines.row, width)
        except StopIteration:
            return
        except csv.Error as exc:
            fields, problem = [], f"{exc} (csv limit {csv.field_size_limit()} characters)"
        if not lines.row:
            return
        first = lines.row[0][0]
        if problem:
            column = _column_at_limit(lines.row, header) if not fields else None
            lines.reread(lines.row[1:])  # the rows a broken quote swallowed are rows of their own
            yield {"_line": first, "_error": problem, **({"_field": column} if column else {})}
        elif not fields:
            continue  # a blank line
        elif len(fields) != width:
            yield {"_line": first, "_error": f"has {len(fields)} fields, the header has {width}: check the quoting"}
        else:
            yield {**dict(zip(header, fields, strict=True)), "_line": first}


def _swallowed(row: list[tuple[int, str]], width: int) -> str | None:
    """Say so when a row's quoted field runs over lines that are themselves whole rows."""
    for number, text in row[1:]:
        if len(next(csv.reader([text]), [])) == width:
            return (
                f"a quote opened in line {row[0][0]} is not closed before line {number}, which reads as a "
                f"row of its own: close the quote (lines {row[0][0] + 1}-{row[-1][0]} are read again as rows)"
            )
    return None


def _column_at_limit(row: list[tuple[int, str]], header: list[str]) -> str | None:
    """The column whose field ran over the CSV limit: the last one the truncated row reaches."""
    text = "".join(t for _, t in row)[: csv.field_size_limit() - 1]
    fields = next(csv.reader(io.StringIO(text, newline="")), [])
    return header[len(fields) - 1] if 0 < len(fields) <= len(header) else None


def require_files(files: list[Path], pattern: str) -> list[Path]:
    if not files:
        raise SourceError(f"no file matches {pattern!r}: check `path` in the config and that the export ran")
    return files
