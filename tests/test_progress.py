"""Progress that means something (issue 8 §7): totals, finished streams stop, phases, logs above the bars."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from operator_project import open_project, run
from rich.console import Console

from connector_core import logs
from connector_core.engine import RunResult
from connector_core.progress import RunProgress
from connector_core.source import Page


def test_without_a_terminal_one_line_per_finished_stream_and_phase(tmp_path: Path, db_url: str, monkeypatch) -> None:
    open_project(tmp_path, db_url, monkeypatch)
    code, _, err = run("--log-level", "WARNING", "sync")
    assert code == 0
    lines = err.splitlines()
    (stream,) = [line for line in lines if line.startswith("sis/grades: ")]
    assert stream.startswith("sis/grades: succeeded in ")
    assert stream.endswith("— 4 fetched, 3 new, 0 changed, 0 unchanged, 0 withdrawn, 1 dead-lettered")
    assert "issuing: 3 issued, 0 revoked, 2 CLRs" in lines


def _terminal() -> tuple[RunProgress, io.StringIO]:
    out = io.StringIO()
    return RunProgress(console=Console(file=out, force_terminal=True, width=160)), out


def test_bars_take_the_sources_total_and_stop_when_the_stream_ends() -> None:
    progress, _ = _terminal()
    result = RunResult("r1", "lms", "grades", "running", counts={"fetched": 10, "pages": 1})
    with progress:
        progress.page(result, Page(records=[{}] * 10, total=3))
        (task,) = progress._bar.tasks
        assert (task.total, task.completed, task.finished) == (3, 1, False)
        result.status = "succeeded"
        progress.run_done(result)
        assert task.finished and task.stop_time is not None and "succeeded" in task.fields["detail"]
        progress.phase("issuing", 0, 5)
        progress.phase("issuing", 5)
        progress.phase_done("issuing", "5 issued")
        issuing = progress._bar.tasks[1]
        assert (issuing.description, issuing.total, issuing.completed, issuing.finished) == ("issuing", 5, 5, True)


def test_log_lines_go_through_the_live_console(monkeypatch) -> None:
    logs.configure("text", "INFO")
    progress, out = _terminal()
    handler = logging.getLogger("lerconnect").handlers[0]
    monkeypatch.setattr(handler, "stream", progress.console.file)
    with progress:
        logging.getLogger("lerconnect.engine").warning("a line that must not be overdrawn")
    assert "a line that must not be overdrawn" in out.getvalue()
    assert handler.stream is progress.console.file  # restored after the display ends
