"""What a Workday sync costs against the sandbox tenant over loopback SOAP: WSDL loads, requests, wall time.

- WSDL load: cold (download into an empty cache and parse), from the disk cache (parse only) and
  in-process (the parsed WSDL reused: what every further client of the run costs);
- a full pull of every stream (the first sync), then the next night: the worker transaction-log
  window after 20 workers changed, and the student/learning re-read;
- the share of time zeep would spend building objects from the same answers, against lxml;
- what reading earlier positions through `Get_Worker_Event_History` adds to `employment`;
- with `--raas`: the same campus read from the tenant's custom reports (RaaS, REST/JSON) instead,
  grades once per academic period, then the next night through the reports' date prompt.
    .venv/bin/python benchmarks/workday_sync.py [--learners 2000] [--page-size 200] [--raas]
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from lerconnect_workday import WorkdaySource
from lerconnect_workday.sandbox.wsdl import OPERATIONS
from timed_pull import sweep

from connector_core.sandbox import build_campus, serve
from connector_core.testing import make_source
from connector_core.transport import soap


def wsdl_loads(table: dict) -> None:
    for service in OPERATIONS:
        soap._documents.clear()
        started = time.monotonic()
        make_source(WorkdaySource, table).wws.client(service)
        cold = time.monotonic() - started
        soap._documents.clear()
        started = time.monotonic()
        make_source(WorkdaySource, table).wws.client(service)
        disk = time.monotonic() - started
        started = time.monotonic()
        make_source(WorkdaySource, table).wws.client(service)
        warm = time.monotonic() - started
        print(
            f"WSDL {service:16} cold {cold * 1000:6.1f} ms, disk-cached {disk * 1000:6.1f} ms, "
            f"in-process {warm * 1000:5.1f} ms"
        )
    real = Path(__file__).resolve().parents[2] / "shared/sources/workday/wsdl/v31.2/Human_Resources.wsdl"
    if real.is_file():
        soap._documents.clear()
        started = time.monotonic()
        soap.load_wsdl(real)
        parsed = time.monotonic() - started
        started = time.monotonic()
        soap.load_wsdl(real)
        print(
            f"WSDL Human_Resources v31.2 (real, 2.8 MB) parse {parsed * 1000:.0f} ms, "
            f"reused {(time.monotonic() - started) * 1000:.2f} ms"
        )


def zeep_share(source: WorkdaySource, stream_wall: float) -> None:
    """Re-send the full run's worker and registration pages raw; time lxml+extract vs zeep's objects."""
    from lerconnect_workday import extract
    from lerconnect_workday.extract import Missing

    wws, config = source.wws, source.config
    as_of = wws.server_timestamp()
    lxml_seconds = zeep_seconds = 0.0
    pages = 0
    jobs = [
        (
            "Human_Resources",
            "Get_Workers",
            {
                "Response_Group": {
                    "Include_Reference": True,
                    "Include_Personal_Information": True,
                    "Include_Employment_Information": True,
                }
            },
        ),
        ("Student_Records", "Get_Student_Course_Registrations", {}),
    ]
    for service, operation, extra in jobs:
        client = wws.client(service)
        binding = client.service._binding
        page, total = 1, 1
        while page <= total:
            with client.client.settings(raw_response=True):
                response = client.service[operation](
                    version=config.version,
                    Response_Filter={"As_Of_Entry_DateTime": as_of, "Page": page, "Count": config.page_size},
                    **extra,
                )
            started = time.monotonic()
            document = soap.etree.fromstring(response.content)
            body = document[0][0]
            items = body.findall("{urn:com.workday/bsvc}Response_Data/*")
            missing = Missing(lambda *_: None)
            for item in items:
                extract.employment(item, missing) if operation == "Get_Workers" else extract.registration(item)
            lxml_seconds += time.monotonic() - started
            total = int(
                float(body.findtext("{urn:com.workday/bsvc}Response_Results/{urn:com.workday/bsvc}Total_Pages"))
            )
            started = time.monotonic()
            binding.get(operation).process_reply(soap.etree.fromstring(response.content))
            zeep_seconds += time.monotonic() - started
            page += 1
            pages += 1
    print(
        f"answers of Get_Workers + Get_Student_Course_Registrations ({pages} pages): lxml parse+extract "
        f"{lxml_seconds:.2f} s, zeep object building {zeep_seconds:.2f} s "
        f"({zeep_seconds / max(lxml_seconds, 1e-9):.0f}x)"
    )
    print(
        f"  zeep objects would be {zeep_seconds / (stream_wall + zeep_seconds):.0%} of those streams' wall time "
        f"({stream_wall:.1f} s as run with lxml)"
    )


def event_history_cost(table: dict) -> None:
    """`employment` with and without the earlier positions from the event history: requests and time."""
    for history in (False, True):
        source = make_source(WorkdaySource, {**table, "employment_history": history})
        count, made, seconds, _ = sweep(source, "employment", None)
        jobs = sum(len(raw["jobs"]) for raw in _raws(source))
        label = "with event history" if history else "current jobs only "
        print(f"employment {label}: {count} workers, {jobs} positions, {made} requests, {seconds:.2f} s")
        source.close()


def _raws(source: WorkdaySource) -> list[dict]:
    return [raw for page in source.pull("employment", None) for raw in page.records]


def every_stream(
    source: Any, label: str, cursors: dict[str, Any] | None = None
) -> tuple[dict[str, Any], int, float, dict[str, float]]:
    """Each stream swept once from `cursors` (or from scratch), a line printed for each: the new
    cursors, the requests made, the wall time, and each stream's seconds."""
    after, requests, wall, seconds_of = {}, 0, 0.0, {}
    for stream in source.streams:
        count, made, seconds, after[stream] = sweep(source, stream, (cursors or {}).get(stream))
        requests, wall, seconds_of[stream] = requests + made, wall + seconds, seconds
        print(f"{label} {stream:13} {count:6} raw records, {made:5} requests, {seconds:6.2f} s")
    return after, requests, wall, seconds_of


def retitle_some(tenant: Any) -> None:
    """20 workers spread over the tenant are retitled, then half an hour passes (the next night's changes)."""
    for employee in sorted(tenant.revisions)[:: max(1, len(tenant.revisions) // 20)][:20]:
        tenant.retitle(employee, "Senior Specialist")
    tenant.advance(minutes=30)


def raas_run(server, url: str, args: argparse.Namespace, campus) -> None:  # type: ignore[no-untyped-def]
    """Every stream from the custom reports, grades once per academic period; then the next night."""
    periods = sorted({t.code for t in campus.terms})
    table = {
        **server.config(url, Path.cwd()),
        "page_size": args.page_size,
        "academic_periods": periods,
        "raas": server.app.reports.table(),
    }
    table.pop("streams", None)
    source = make_source(WorkdaySource, table)
    cursors, requests, wall, _ = every_stream(source, "raas full ")
    print(f"raas full sync: {requests} requests, {wall:.1f} s ({len(periods)} academic periods)")
    tenant = server.app.tenant
    tenant.advance(days=2)
    retitle_some(tenant)
    _, requests, wall, _ = every_stream(source, "raas next ", cursors)
    print(f"raas next night: {requests} requests, {wall:.1f} s (workers through the Updated_Since prompt)")
    source.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--raas", action="store_true", help="read the campus from custom reports (RaaS) instead")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    os.environ["LERCONNECT_CACHE_DIR"] = tempfile.mkdtemp(prefix="workday-bench-")

    t0 = time.monotonic()
    campus = build_campus(args.learners)
    server = WorkdaySource.sandbox(campus, student_records=True)
    print(
        f"campus: {args.learners} learners, {len(campus.people)} people, {len(campus.jobs)} jobs, "
        f"{len(campus.enrollments)} registrations, built in {time.monotonic() - t0:.1f} s"
    )
    with serve(server.app) as url:
        if args.raas:
            raas_run(server, url, args, campus)
            return
        table = {**server.config(url, Path.cwd()), "page_size": args.page_size, "log_lag_minutes": 0}
        table.pop("streams", None)
        wsdl_loads(table)
        source = make_source(WorkdaySource, table)
        cursors, requests, wall, seconds = every_stream(source, "full ")
        heavy = seconds["employment"] + seconds["grades"]
        print(f"full sync: {requests} requests, {wall:.1f} s")
        tenant = server.app.tenant
        tenant.advance(minutes=30)
        retitle_some(tenant)
        _, requests, wall, _ = every_stream(source, "next ", cursors)
        print(f"next night: {requests} requests, {wall:.1f} s")
        zeep_share(source, heavy)
        source.close()
        event_history_cost(table)


if __name__ == "__main__":
    main()
