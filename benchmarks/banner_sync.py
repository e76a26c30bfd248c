"""What a Banner sync costs: requests and wall time against the Ethos sandbox, over loopback HTTP.

Ethos mode: the first sync (a full load of both streams), then the next night with no changes (one
/consume) and with a batch of grade changes (code tables read once, then one /consume).
Banner 9 mode (no queue): the full load, then nights that re-read the open terms, quiet and with
grade changes in the latest ended term. Then co-curricular from the BP API general-student-activities
(one request per learner), in either mode.
    .venv/bin/python benchmarks/banner_sync.py [--learners 2000] [--changes 50]
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from lerconnect_banner import BannerSource

from connector_core.sandbox import AS_OF, build_campus
from connector_core.testing import make_source, serve_sandbox


def night(
    table: dict[str, Any], app: Any, stream: str, cursor: object, clock: date = AS_OF
) -> tuple[int, int, float, object]:
    """(raw records, requests, seconds, last cursor) of one pull by a fresh source, as each night has."""
    source = make_source(BannerSource, table)
    assert isinstance(source, BannerSource)
    source.clock = lambda: clock
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


@contextmanager
def full_load(campus: Any, mode: str) -> Iterator[tuple[dict[str, Any], Any, object]]:
    """The `mode` sandbox on loopback after the first sync of grades (printed): its table, app and cursor."""
    server = BannerSource.sandbox(campus, mode=mode)
    assert server is not None
    with serve_sandbox(server.app) as url:
        table = server.config(url, Path.cwd())
        grades, requests, seconds, cursor = night(table, server.app, "grades", None)
        print(
            f"{mode} full load, grades: {grades} records, {requests} requests "
            f"({100 * requests / grades:.2f} per 100 grades), {seconds:.1f}s"
        )
        yield table, server.app, cursor


def ethos(campus: Any, changes: int) -> None:
    with full_load(campus, "ethos") as (table, app, cursor):
        activities, requests, seconds, _ = night(table, app, "cocurricular", None)
        print(
            f"ethos full load, cocurricular (campus-involvements): {activities} records, "
            f"{requests} requests, {seconds:.1f}s"
        )

        consumes = app.stats["consume"]
        count, requests, seconds, cursor = night(table, app, "grades", cursor)
        print(
            f"ethos night, no changes: {count} records, {requests} requests "
            f"({app.stats['consume'] - consumes} /consume), {seconds:.2f}s"
        )
        for e in closed(campus)[:changes]:
            app.change_grade(e.key, "A" if e.grade != "A" else "B")
        count, requests, seconds, cursor = night(table, app, "grades", cursor)
        print(f"ethos night, {changes} grade changes: {count} records, {requests} requests, {seconds:.2f}s")


def banner9(campus: Any, changes: int) -> None:
    with full_load(campus, "banner9") as (table, app, cursor):
        count, requests, seconds, after = night(table, app, "grades", cursor)
        print(
            f"banner9 night, no changes: {count} records re-read (the open terms), {requests} requests, {seconds:.2f}s"
        )
        latest = max(t.end for t in campus.terms if t.end < AS_OF)
        recent = [e for e in closed(campus) if campus.term(campus.section(e.section_key).term_key).end == latest]
        for e in recent[:changes]:
            app.change_grade(e.key, "A" if e.grade != "A" else "B")
        count, requests, seconds, after = night(table, app, "grades", after)
        print(f"banner9 night, {changes} grade changes: {count} records re-read, {requests} requests, {seconds:.2f}s")

        table = {**table, "cocurricular": "activities"}
        activities, requests, seconds, _ = night(table, app, "cocurricular", None)
        learners = sum(1 for p in campus.people if p.banner_guid)
        print(
            f"banner9 co-curricular (BP API general-student-activities): {activities} records, {requests} "
            f"requests for {learners} Banner IDs, {seconds:.1f}s"
        )


def closed(campus: Any) -> list[Any]:
    return [e for e in campus.enrollments if campus.term(campus.section(e.section_key).term_key).closed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    campus = build_campus(learners=args.learners)
    print(
        f"campus: {args.learners} learners, {len(campus.enrollments)} enrollments, "
        f"{len(campus.participations)} co-curricular participations"
    )
    ethos(campus, args.changes)
    banner9(build_campus(learners=args.learners), args.changes)


if __name__ == "__main__":
    main()
