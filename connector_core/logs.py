"""Log set-up: readable lines on a terminal, JSON lines for campus log pipelines.

Every line of a run carries its run id, source and stream (the engine logs through an adapter that
adds them). Secret values registered here are masked in every line, as a last line of defence:
secrets are never passed to a logger on purpose.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_SECRETS: set[str] = set()
RUN_FIELDS = ("run_id", "source", "stream")


def register_secret(value: str | None) -> None:
    """Mask `value` wherever it would appear in a log line (tokens, passwords, passphrases)."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def mask(text: str) -> str:
    """`text` with every registered secret replaced by `***`."""
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    return text


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = [f"{name}={getattr(record, name)}" for name in RUN_FIELDS if getattr(record, name, None)]
        where = f" [{' '.join(fields)}]" if fields else ""
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        line = f"{stamp} {record.levelname:<7} {record.name}{where}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return mask(line)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({name: getattr(record, name) for name in RUN_FIELDS if getattr(record, name, None)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return mask(json.dumps(entry, ensure_ascii=False))


def configure(fmt: str = "text", level: str = "INFO") -> None:
    """Send lerconnect's logs to stderr in `fmt` ("text" or "json")."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    root = logging.getLogger("lerconnect")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
