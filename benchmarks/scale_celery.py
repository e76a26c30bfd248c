"""A partitioned night on the local executor (1 and 2 processes) and on Celery (1 and 2 workers).

Writes a synthetic campus export (`--learners` learners, `--per-learner` records each, split into
`--files` files synced as partitions), then runs `lerconnect sync` (sync and issue) against a fresh
store per configuration: SQLite (local, 1 process) and PostgreSQL (all of them). Prints per run:
wall seconds, records/s, credentials/s, CPU seconds of every lerconnect process, peak memory per
process, store size; then the 2-worker speed-up over 1 worker. Needs PostgreSQL, and Redis for
Celery (the machine's, on loopback); stops its workers by itself.

    .venv/bin/python benchmarks/scale_celery.py [--learners 2000] [--per-learner 10] [--files 8]
        [--db postgresql+psycopg://postgres@127.0.0.1:5432/test] [--broker redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from connector_core.issuer import SigningKey
from connector_core.testing import temporary_database

LERCONNECT = str(Path(sys.executable).with_name("lerconnect"))
PASSPHRASE = "benchmark passphrase"
ENV = {**os.environ, "LERCONNECT_KEY_PASSPHRASE": PASSPHRASE}

CONFIG = """
[store]
url = "{db}"

[engine]
executor = "{executor}"
processes = {processes}
{broker}
queue = "{queue}"

[issuer]
key_file = "key.pem"
status_dir = "status"

[sources.engage]
plugin = "files"

[sources.engage.files.cocurricular]
path = "export/*.csv"
page_size = 500
partition_by_file = true

[sources.engage.files.cocurricular.columns]
record_id = "id"
learner_id = "student"
institution_id = "student"
email = "email"
given_name = "given"
family_name = "family"
achievement_id = "activity"
title = "title"
term = "term"
completed_on = "completed"
"""


def write_export(folder: Path, learners: int, per_learner: int, files: int) -> int:
    """Records spread over `files` files by learner, so no record is in two files."""
    folder.mkdir(parents=True, exist_ok=True)
    handles = [(folder / f"part{f:02d}.csv").open("w", encoding="utf-8") for f in range(files)]
    for handle in handles:
        handle.write("id,student,email,given,family,activity,title,term,completed\n")
    for s in range(learners):
        out = handles[s % files]
        for a in range(per_learner):
            activity = (s * 7 + a) % 120
            out.write(
                f"ENG-{s:07d}-{a:03d},S{s:07d},s{s}@students.example.edu,Given{s},Family{s},ACT-{activity:03d},"
                f"Activity {activity},Fall 2025,2025-{1 + a % 12:02d}-15\n"
            )
    for handle in handles:
        handle.close()
    return learners * per_learner


@dataclass
class Figures:
    name: str
    wall: float
    records: int
    credentials: int
    cpu: float
    peak_mb: list[float]
    store_mb: float

    def line(self) -> str:
        peaks = ", ".join(f"{p:.0f}" for p in self.peak_mb)
        return (
            f"{self.name:<28} {self.wall:7.1f} s  {self.records / self.wall:7.0f} records/s  "
            f"{self.credentials / self.wall:6.0f} credentials/s  cpu {self.cpu:6.1f} s  "
            f"peak MB per process [{peaks}]  store {self.store_mb:.0f} MB"
        )


def process_tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        todo.extend(int(c) for c in children)
    return out


def cpu_and_peak(pid: int) -> tuple[float, float]:
    """CPU seconds and peak resident MB of one live process."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(stat[11]) + int(stat[12])) / ticks
    peak = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return cpu, peak


def store_size(db: str, folder: Path) -> float:
    if db.startswith("sqlite"):
        return sum(p.stat().st_size for p in folder.glob("store.db*")) / 1e6
    engine = create_engine(db)
    with engine.connect() as connection:
        size = connection.execute(
            text(
                "select coalesce(sum(pg_total_relation_size(c.oid)), 0) from pg_class c "
                "join pg_namespace n on n.oid = c.relnamespace where n.nspname = current_schema() and c.relkind = 'r'"
            )
        ).scalar()
    engine.dispose()
    return float(size or 0) / 1e6


def counts(db: str) -> tuple[int, int]:
    engine = create_engine(db)
    with engine.connect() as connection:
        records = connection.execute(text("select count(*) from learning_record")).scalar() or 0
        credentials = connection.execute(text("select count(*) from credential")).scalar() or 0
    engine.dispose()
    return records, credentials


def one_night(
    name: str, folder: Path, db: str, *, executor: str, processes: int = 1, workers: int = 0, broker: str = ""
) -> Figures:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "lerconnect.toml"
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    config.write_text(
        CONFIG.format(
            db=db,
            executor=executor,
            processes=processes,
            broker=f'broker_url = "{broker}"' if broker else "",
            queue=queue,
        )
    )
    subprocess.run([LERCONNECT, "--config", str(config), "db", "upgrade"], check=True, env=ENV, capture_output=True)
    started_workers = []
    for i in range(workers):
        log = (folder / f"worker-{i}.log").open("wb")
        started_workers.append(
            subprocess.Popen(
                [LERCONNECT, "--config", str(config), "worker", "--concurrency=1", "--loglevel=WARNING"],
                cwd=folder,
                env=ENV,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    if workers:
        time.sleep(8)  # the workers import, connect and announce themselves
    start = time.monotonic()
    night = subprocess.Popen(
        [LERCONNECT, "--config", str(config), "--log-level", "WARNING", "sync"],
        cwd=folder,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "sync.log").open("wb"),
    )
    _, status, usage = os.wait4(night.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        print(f"  {name}: sync exited {os.waitstatus_to_exitcode(status)}; see {folder / 'sync.log'}")
    cpu = usage.ru_utime + usage.ru_stime
    peaks = [usage.ru_maxrss / 1024]
    for child in started_workers:
        for pid in process_tree(child.pid):
            try:
                seconds, peak = cpu_and_peak(pid)
            except OSError:
                continue
            cpu += seconds
            peaks.append(peak)
        os.killpg(child.pid, signal.SIGTERM)
    for child in started_workers:
        child.wait(timeout=60)
    records, credentials = counts(db) if not db.startswith("sqlite") else sqlite_counts(folder)
    return Figures(name, wall, records, credentials, cpu, peaks, store_size(db, folder))


def sqlite_counts(folder: Path) -> tuple[int, int]:
    return counts(f"sqlite:///{folder / 'store.db'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--per-learner", type=int, default=10)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument(
        "--db",
        default=os.environ.get("LERCONNECT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--only", nargs="*", help="run only these configurations (by name)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lerconnect-scale-celery-") as tmp:
        base = Path(tmp)
        key = base / "key.pem"
        SigningKey.generate().save(key, PASSPHRASE)
        records = write_export(base / "export", args.learners, args.per_learner, args.files)
        print(f"{args.learners} learners, {records} records in {args.files} partitions; {os.cpu_count()} cores")
        plans = [
            ("sqlite local 1 process", {"executor": "local", "sqlite": True}),
            ("postgres local 1 process", {"executor": "local"}),
            ("postgres local 2 processes", {"executor": "local", "processes": 2}),
            ("postgres celery 1 worker", {"executor": "celery", "workers": 1}),
            ("postgres celery 2 workers", {"executor": "celery", "workers": 2}),
        ]
        results: dict[str, Figures] = {}
        for name, plan in plans:
            if args.only and name not in args.only:
                continue
            folder = base / name.replace(" ", "-")
            (folder / "export").parent.mkdir(parents=True, exist_ok=True)
            os.symlink(base / "export", folder / "export") if not (folder / "export").exists() else None
            (folder / "key.pem").write_bytes(key.read_bytes())
            broker = args.broker if plan["executor"] == "celery" else ""
            if plan.get("sqlite"):
                db = f"sqlite:///{folder / 'store.db'}"
                figures = one_night(name, folder, db, executor="local")
            else:
                with temporary_database(folder, args.db) as db:
                    figures = one_night(
                        name,
                        folder,
                        db,
                        executor=plan["executor"],
                        processes=plan.get("processes", 1),
                        workers=plan.get("workers", 0),
                        broker=broker,
                    )
            results[name] = figures
            print(figures.line(), flush=True)
        one, two = results.get("postgres celery 1 worker"), results.get("postgres celery 2 workers")
        if one and two:
            print(f"celery 2-worker speed-up: {one.wall / two.wall:.2f}x (target >= 1.6x on 2 cores)")
        one, two = results.get("postgres local 1 process"), results.get("postgres local 2 processes")
        if one and two:
            print(f"local 2-process speed-up: {one.wall / two.wall:.2f}x")
    print(f"benchmark process peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
