"""Peak memory of a files-plugin sync of a large CSV export (issue 10 §5: stream it, never hold it).

Writes a synthetic engagement export of `--mb` megabytes, then syncs it into a fresh SQLite store
(or only pulls and normalizes it with `--no-store`) and prints rows, seconds and peak RSS.
    .venv/bin/python benchmarks/files_memory.py [--mb 50] [--no-store] [--learners 20000]
"""

from __future__ import annotations

import argparse
import logging
import resource
import tempfile
import time
from pathlib import Path

from lerconnect_files import FilesSource

from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.plugins import load_registry
from connector_core.store import Store
from connector_core.testing import make_source

HEADER = "participation_id,student_id,email,first_name,last_name,activity_id,activity,category,hours,term,completed\n"
COLUMNS = {"record_id": "participation_id", "learner_id": "student_id", "email": "email"}
COLUMNS |= {"achievement_id": "activity_id", "title": "activity", "description": "category"}
COLUMNS |= {"given_name": "first_name", "family_name": "last_name", "term": "term", "completed_on": "completed"}


def write_export(path: Path, megabytes: int, learners: int) -> int:
    rows, size, limit = 0, len(HEADER), megabytes * 1_000_000
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        while size < limit:
            s, a = rows % learners, rows % 60
            line = (
                f"ENG-{rows:08d},S{s:07d},s{s}@students.example.edu,Given{s},Family{s},ACT-{a:03d},"
                f"Activity number {a} (member),Leadership and service,{rows % 40},Fall 2025,"
                f"2025-{1 + rows % 12:02d}-15\n"
            )
            handle.write(line)
            size += len(line)
            rows += 1
    return rows


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--learners", type=int, default=20000)
    parser.add_argument("--no-store", action="store_true", help="pull and normalize only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        rows = write_export(base / "export.csv", args.mb, args.learners)
        table = {"files": {"cocurricular": {"path": "*.csv", "columns": COLUMNS}}}
        before, started = peak_mb(), time.monotonic()
        if args.no_store:
            source = make_source(FilesSource, table, base_dir=base)
            count = sum(
                1
                for page in source.pull("cocurricular", None)
                for raw in page.records
                for _ in source.normalize("cocurricular", raw)
            )
        else:
            settings = settings_from_dict({"sources": {"engage": {"plugin": "files", **table}}}, base / "x.toml")
            store = Store(str(base / "bench.db"))
            (result,) = SyncEngine(store, load_registry(), settings).sync("engage")
            count = result.count("new")
        seconds = time.monotonic() - started
    mode = "pull+normalize" if args.no_store else "sync into SQLite"
    print(
        f"{args.mb} MB, {rows} rows, {mode}: {count} records in {seconds:.1f}s; "
        f"peak RSS {peak_mb():.0f} MB (before the sync {before:.0f} MB)"
    )


if __name__ == "__main__":
    main()
