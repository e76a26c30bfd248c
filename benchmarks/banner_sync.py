"""What a Banner (Ethos) sync costs: requests and wall time against the Ethos sandbox, over loopback HTTP.

The first sync (a full load of both streams), then the next night: with no changes (one /consume),
and with a batch of grade changes (code tables read once, then one /consume).
    .venv/bin/python benchmarks/banner_sync.py [--learners 2000] [--changes 50]
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

from lerconnect_banner import BannerSource

from connector_core.sandbox import AS_OF, build_campus
from connector_core.testing import make_source, serve_sandbox


def night(table: dict[str, Any], app: Any, stream: str, cursor: object) -> tuple[int, int, float, object]:
    """(raw records, requests, seconds, last cursor) of one pull by a fresh source, as each night has."""
    source = make_source(BannerSource, table)
    assert isinstance(source, BannerSource)
    source.clock = lambda: AS_OF
    before, started, count, last = app.stats["requests"], time.monotonic(), 0, cursor
    try:
        for page in source.pull(stream, cursor):
            count += len(page.records)
            for raw in page.records:
                list(source.normalize(stream, raw))
            last = page.cursor
    finally:
        source.close()
    return count, app.stats["requests"] - before, time.monotonic() - started, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    campus = build_campus(learners=args.learners)
    server = BannerSource.sandbox(campus)
    assert server is not None
    app = server.app
    print(
        f"campus: {args.learners} learners, {len(campus.enrollments)} enrollments, "
        f"{len(campus.participations)} co-curricular participations"
    )
    with serve_sandbox(app) as url:
        table = server.config(url, Path.cwd())
        grades, requests, seconds, cursor = night(table, app, "grades", None)
        print(
            f"full load, grades: {grades} records, {requests} requests "
            f"({100 * requests / grades:.2f} per 100 grades), {seconds:.1f}s"
        )
        activities, requests, seconds, _ = night(table, app, "cocurricular", None)
        print(f"full load, cocurricular: {activities} records, {requests} requests, {seconds:.1f}s")

        consumes = app.stats["consume"]
        count, requests, seconds, cursor = night(table, app, "grades", cursor)
        print(
            f"incremental night, no changes: {count} records, {requests} requests "
            f"({app.stats['consume'] - consumes} /consume), {seconds:.2f}s"
        )

        closed = [e for e in campus.enrollments if campus.term(campus.section(e.section_key).term_key).closed]
        for e in closed[: args.changes]:
            app.change_grade(e.key, "A" if e.grade != "A" else "B")
        count, requests, seconds, cursor = night(table, app, "grades", cursor)
        print(f"incremental night, {args.changes} grade changes: {count} records, {requests} requests, {seconds:.2f}s")


if __name__ == "__main__":
    main()
