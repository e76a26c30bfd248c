"""Progress of long work: live bars on a terminal, one line per finished step when output is a file.

Each sync stream gets a bar (with a total when its pages say how many there will be), stopped when
its run ends; issuing, CLRs and verification get bars of their own. While bars are live, log lines
are written through the same console, above the bars, instead of being overdrawn by them.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from connector_core.engine import RunResult
from connector_core.pipeline import PipelineProgress
from connector_core.source import Page

FINAL_COUNTS = ("fetched", "new", "changed", "unchanged", "withdrawn", "dead_lettered")


def _label(result: RunResult) -> str:
    return f"{result.source}/{result.stream}"


class RunProgress(PipelineProgress):
    """A night's progress as live bars (or one line per step in a file); give it to `Pipeline.run`."""

    def __init__(self, *, enabled: bool = True, console: Console | None = None) -> None:
        self.enabled = enabled
        self.console = console or Console(stderr=True)
        self.live = enabled and self.console.is_terminal
        self._bar: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._pages: dict[str, int] = {}
        self._log_streams: list[tuple[logging.StreamHandler, Any]] = []

    def __enter__(self) -> RunProgress:
        if self.live:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=None),
                MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self._bar.start()
            self._route_logs()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
        for handler, stream in self._log_streams:
            handler.setStream(stream)

    def _route_logs(self) -> None:
        """Log lines go through the live console (rich's redirected stderr), above the bars."""
        for handler in logging.getLogger("lerconnect").handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.__stderr__, self.console.file):
                self._log_streams.append((handler, handler.setStream(_ConsoleWriter(self.console))))

    def _task(self, label: str, total: int | None, unit: str) -> TaskID:
        assert self._bar is not None
        if label not in self._tasks:
            self._tasks[label] = self._bar.add_task(label, total=total, unit=unit, detail="")
        return self._tasks[label]

    def page(self, result: RunResult, page: Page) -> None:
        """After each commit (a batch of pages): the stream's bar at the pages read, against the source's total."""
        if self._bar is None:
            return
        label = _label(result)
        task = self._task(label, page.total, "pages")
        detail = f"{result.count('fetched')} records"
        self._bar.update(task, completed=result.count("pages"), detail=detail, total=page.total)

    def run_done(self, result: RunResult) -> None:
        """A stream finished: stop its bar; without a terminal, print one line with its final counts."""
        if not self.enabled:
            return
        counts = ", ".join(f"{result.count(k)} {k.replace('_', '-')}" for k in FINAL_COUNTS)
        if self._bar is None:
            click.echo(f"{_label(result)}: {result.status} in {result.seconds:.1f}s — {counts}", err=True)
            return
        task = self._task(_label(result), None, "pages")
        done = self._bar.tasks[self._tasks[_label(result)]].completed
        self._bar.update(task, total=done or 1, completed=done or 1, detail=f"{result.status}: {counts}")
        self._bar.stop_task(task)

    def phase(self, name: str, advance: int, total: int | None = None) -> None:
        """Issuing, CLRs, verification: `advance` more items done (of `total`, when known)."""
        if self._bar is None:
            return
        task = self._task(name, total, "")
        self._bar.update(task, advance=advance, **({"total": total} if total is not None else {}))

    def phase_done(self, name: str, summary: str) -> None:
        """A phase finished: stop its bar with the summary; without a terminal, print it as one line."""
        if not self.enabled:
            return
        if self._bar is None:
            click.echo(f"{name}: {summary}", err=True)
            return
        task = self._task(name, None, "")
        done = self._bar.tasks[task].completed
        self._bar.update(task, total=done or 1, completed=done or 1, detail=summary)
        self._bar.stop_task(task)


class _ConsoleWriter:
    """A file-like object a logging handler writes to: each line printed through the rich console."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def write(self, text: str) -> int:
        if text.strip():
            self.console.print(text.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        pass
