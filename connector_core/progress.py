"""Progress of long work: a live bar on a terminal, plain lines when output goes to a file or pipe."""

from __future__ import annotations

import sys
import time
from typing import Any

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from connector_core.engine import RunResult

PLAIN_EVERY_SECONDS = 10.0


class RunProgress:
    """Pass `page` as the engine's `on_page`; use as a context manager around the runs."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.live = enabled and sys.stderr.isatty()
        self._bar: Progress | None = None
        self._tasks: dict[str, Any] = {}
        self._last_line = 0.0

    def __enter__(self) -> RunProgress:
        if self.live:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=None),
                TextColumn("{task.completed} records"),
                TimeElapsedColumn(),
                transient=True,
            )
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def page(self, result: RunResult, fetched: int) -> None:
        if not self.enabled:
            return
        label = f"{result.source}/{result.stream}"
        if self._bar is not None:
            if label not in self._tasks:
                self._tasks[label] = self._bar.add_task(label, total=None)
            self._bar.update(self._tasks[label], advance=fetched)
            return
        now = time.monotonic()
        if now - self._last_line >= PLAIN_EVERY_SECONDS:
            self._last_line = now
            click.echo(f"{label}: {result.count('fetched')} records, {result.count('pages')} pages", err=True)
