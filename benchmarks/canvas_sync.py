"""What a Canvas sync costs: requests made and wall time against the sandbox, over loopback HTTP.

Full pull of every stream (the first sync), then the nightly window sweep the day after.
    .venv/bin/python benchmarks/canvas_sync.py [--learners 2000] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import date, timedelta
from pathlib import Path

from lerconnect_canvas import CanvasSource
from timed_pull import sweep

from connector_core.sandbox import AS_OF, build_campus
from connector_core.testing import make_source, serve_sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--window-days", type=int, default=120)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    t0 = time.monotonic()
    campus = build_campus(learners=args.learners)
    server = CanvasSource.sandbox(campus)
    print(
        f"campus: {args.learners} learners, {len(campus.enrollments)} enrollments, "
        f"{len(campus.outcome_results)} outcome results, {len(campus.participations)} co-curricular "
        f"participations; sandbox built in {time.monotonic() - t0:.1f}s"
    )
    with serve_sandbox(server.app) as url:
        table = {
            **server.config(url, Path.cwd()),
            "max_concurrency": args.concurrency,
            "closed_term_window_days": args.window_days,
        }
        source = make_source(CanvasSource, table)
        assert isinstance(source, CanvasSource)
        for label, day, full in (("full sync (4 terms)", AS_OF, True), ("nightly window", AS_OF + timedelta(1), False)):
            source.clock = lambda day=day: day
            total_requests, total_seconds = 0, 0.0
            print(f"\n{label}, max_concurrency={args.concurrency}:")
            for stream in source.streams:
                cursor = None if full else {"done": True, "swept_on": date.min.isoformat()}
                records, requests, seconds, _ = sweep(source, stream, cursor)
                total_requests += requests
                total_seconds += seconds
                print(f"  {stream:<13} {records:>7} records {requests:>6} requests {seconds:>7.1f}s")
            print(f"  {'total':<13} {'':>7}         {total_requests:>6} requests {total_seconds:>7.1f}s")
        print(f"\nsandbox: {dict(server.app.stats)}")
        source.close()


if __name__ == "__main__":
    main()
