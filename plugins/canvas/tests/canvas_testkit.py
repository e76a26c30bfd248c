"""Helpers for the Canvas plugin tests: a sandbox on loopback, a source pointed at it, a pinned clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lerconnect_canvas import CanvasSource
from lerconnect_canvas.sandbox import ADMIN_TOKEN, BucketTuning, MasteryScales

from connector_core import LearningRecord, Tombstone
from connector_core.sandbox import Campus, build_campus
from connector_core.testing import ServedSandbox, serve_sandbox

SMALL_CAMPUS = {"learners": 40, "seed": 7}


class Running(ServedSandbox):
    """The served sandbox; `app` is the CanvasSandbox."""

    def __init__(self, app: Any, url: str, table: dict[str, Any], campus: Campus) -> None:
        super().__init__(CanvasSource, app, url, table, campus)


@contextmanager
def canvas(
    campus: Campus | None = None,
    *,
    tuning: BucketTuning | None = None,
    max_per_page: int = 100,
    token: str = ADMIN_TOKEN,
    mastery_scales: MasteryScales = "outcome",
    **overrides: Any,
) -> Iterator[Running]:
    campus = campus or build_campus(**SMALL_CAMPUS)
    server = CanvasSource.sandbox(
        campus, tuning=tuning, max_per_page=max_per_page, token=token, mastery_scales=mastery_scales
    )
    with serve_sandbox(server.app) as url:
        table = {**server.config(url, Path.cwd()), **overrides}
        yield Running(server.app, url, table, campus)


def pull(source: CanvasSource, stream: str, cursor: Any = None) -> tuple[list[dict[str, Any]], list[Any]]:
    """Every raw record of one pull, and the cursor saved after each page."""
    raws: list[dict[str, Any]] = []
    cursors: list[Any] = []
    for page in source.pull(stream, cursor):
        raws.extend(page.records)  # type: ignore[arg-type]
        cursors.append(page.cursor)
    return raws, cursors


def records(source: CanvasSource, stream: str, raws: list[dict[str, Any]]) -> dict[str, LearningRecord]:
    out: dict[str, LearningRecord] = {}
    for raw in raws:
        for item in source.normalize(stream, raw):
            assert not isinstance(item, Tombstone)
            assert item.source_record_id not in out, f"{item.source_record_id} normalized twice"
            out[item.source_record_id] = item
    return out
