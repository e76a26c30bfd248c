"""One pull of one stream, measured: what every `<plugin>_sync.py` benchmark times."""

from __future__ import annotations

import time
from typing import Any


def sweep(source: Any, stream: str, cursor: object) -> tuple[int, int, float, object]:
    """(raw records, requests, seconds, last cursor) of one pull, normalizing as the engine does."""
    before, started, count, last = source.requests_made, time.monotonic(), 0, cursor
    for page in source.pull(stream, cursor):
        count += len(page.records)
        for raw in page.records:
            list(source.normalize(stream, raw))
        last = page.cursor
    return count, source.requests_made - before, time.monotonic() - started, last
