"""Helpers for the Canvas plugin tests: a sandbox on loopback, a source pointed at it, a pinned clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lerconnect_canvas import CanvasSource
from lerconnect_canvas.sandbox import ADMIN_TOKEN, BucketTuning, MasteryScales

from connector_core.sandbox import Campus, build_campus
from connector_core.testing import ServedSandbox, normalized_by_id, pull_all, serve_sandbox

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


pull = pull_all


records = normalized_by_id
