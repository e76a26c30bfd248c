"""What a PeopleSoft sync costs: requests made and wall time against the sandbox, over loopback HTTP/SOAP.

A full run of every stream, then the next night's incremental run (open and recently ended terms),
for each QAS form: SOAP sync, SOAP polling, REST ExecuteQuery.
    .venv/bin/python benchmarks/peoplesoft_sync.py [--learners 2000] [--modes qas_soap:sync,qas_soap:poll,qas_rest:sync]
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import timedelta

from lerconnect_peoplesoft import PeopleSoftSource
from lerconnect_peoplesoft.sandbox import build_sandbox
from timed_pull import sweep

from connector_core.sandbox import AS_OF, build_campus
from connector_core.testing import make_source, serve_sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--modes", default="qas_soap:sync,qas_soap:poll,qas_rest:sync")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    t0 = time.monotonic()
    campus = build_campus(learners=args.learners, sis="peoplesoft")
    print(
        f"campus: {args.learners} learners, {len(campus.enrollments)} enrollments; "
        f"built in {time.monotonic() - t0:.1f}s"
    )
    for spec in args.modes.split(","):
        mode, execution = spec.split(":")
        server = build_sandbox(campus, mode=mode, execution=execution)
        with serve_sandbox(server.app) as url:
            source = make_source(PeopleSoftSource, server.config(url, None))  # type: ignore[arg-type]
            assert isinstance(source, PeopleSoftSource)
            cursors: dict[str, object] = {}
            for label, day in (("full", AS_OF), ("incremental, next night", AS_OF + timedelta(1))):
                source.clock = lambda day=day: day
                total_requests, total_seconds = 0, 0.0
                print(f"\n{mode} ({execution}), {label}:")
                for stream in source.streams:
                    records, requests, seconds, cursors[stream] = sweep(source, stream, cursors.get(stream))
                    total_requests += requests
                    total_seconds += seconds
                    print(f"  {stream:<13} {records:>7} records {requests:>6} requests {seconds:>7.1f}s")
                print(f"  {'total':<13} {'':>7}         {total_requests:>6} requests {total_seconds:>7.1f}s")
            source.close()


if __name__ == "__main__":
    main()
