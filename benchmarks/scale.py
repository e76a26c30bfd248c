"""A whole night at campus scale: every installed plugin's sandbox, synced and issued, in every mode.

The sandbox servers run in their own process (as a campus's systems would); each night runs as
`lerconnect sync` in a child process, so its wall time, CPU seconds and peak memory are its own.
A mode is a store and an executor: the local executor with 1 and 2 processes on SQLite and
PostgreSQL, and Celery with 1 and 2 `lerconnect worker`s on PostgreSQL with the machine's Redis or
RabbitMQ (the workers' CPU and memory count as the night's). For each it prints wall time,
records/s, credentials/s, CPU seconds and peak memory of the lerconnect processes, the issuing
phase against the bare signer's rate, and the store's size (with bytes per record and per
credential against the same data exported as JSON); then two unchanged nights' share of the first
night's CPU: the scheduler's night (`sync`, each stream from its cursor) and a forced re-read
(`sync --full`). At the end: the 2-process and 2-worker speed-ups, and peak memory at a small and
the full size. Network: loopback only; it stops its sandbox and workers by itself.

    .venv/bin/python benchmarks/scale.py [--learners 20000] [--small 2000]
        [--modes sqlite:local:1,sqlite:local:2,postgres:local:1,postgres:local:2,postgres:celery:1,postgres:celery:2]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--broker redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

PYTHON = sys.executable
LERCONNECT = str(Path(PYTHON).with_name("lerconnect"))
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BROKER_DEFAULT = "redis://127.0.0.1:6379/0"
MODES = (
    "sqlite:local:1",
    "sqlite:local:2",
    "postgres:local:1",
    "postgres:local:2",
    "postgres:celery:1",
    "postgres:celery:2",
)


# ---------------------------------------------------------------- the sandbox process


def serve(learners: int, seed: int, workdir: Path) -> None:
    """Child mode: start every plugin's sandbox, write the night's config, serve until stdin closes."""
    import logging

    from connector_core.demo import demo_issuer, sandboxes, write_config
    from connector_core.plugins import load_registry

    logging.basicConfig(level=logging.WARNING)
    registry = load_registry()
    with sandboxes(registry, learners, seed, workdir) as tables:
        config = workdir / "lerconnect.toml"
        write_config(config, {"issuer": demo_issuer(workdir), **{f"sources.{n}": t for n, t in tables.items()}})
        print(json.dumps({"config": str(config), "sources": list(tables)}), flush=True)
        sys.stdin.read()  # the benchmark closes our stdin when it is done


@contextmanager
def campus(learners: int, seed: int, workdir: Path) -> Iterator[tuple[Path, subprocess.Popen]]:
    """The sandbox process for a campus of `learners`; yields the config pointing at it."""
    child = subprocess.Popen(
        [PYTHON, __file__, "serve", "--learners", str(learners), "--seed", str(seed), "--workdir", str(workdir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        if not line:
            raise SystemExit("the sandbox process ended before it was ready (see its error above)")
        yield Path(json.loads(line)["config"]), child
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# ---------------------------------------------------------------- measuring a night


def _status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class PeakWatcher:
    """Samples the high-water mark (VmHWM) of processes and all their descendants while they run,
    and their CPU seconds over time (so a phase's CPU can be read off between two moments)."""

    def __init__(self, *pids: int, interval: float = 0.25) -> None:
        self.pids, self.interval = pids, interval
        self.peaks: dict[int, int] = {}  # pid -> kB
        self.cpu: list[tuple[float, float]] = []  # (epoch seconds, CPU seconds of every process watched)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PeakWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(self.interval):
            self.cpu.append((time.time(), sum(tree_cpu(pid) for pid in self.pids)))
            todo = list(self.pids)
            while todo:
                pid = todo.pop()
                hwm = _status(pid).get("VmHWM", "").strip().removesuffix("kB").strip()
                if hwm.isdigit():
                    self.peaks[pid] = max(self.peaks.get(pid, 0), int(hwm))
                todo.extend(_children(pid))


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system, with reaped children's) of a live process and its descendants."""
    total, todo, ticks = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15]) / ticks  # utime, stime, cutime, cstime
        todo.extend(_children(current))
    return total


class NightFailed(RuntimeError):
    """A night's process failed (its error is above); the benchmark goes on with the next."""


@dataclass
class Night:
    label: str
    wall: float
    cpu: float  # user + system seconds of the night's process and every process it waited for
    peak_mb: dict[int, float]
    summary: dict
    trace: list[tuple[float, float]]  # (epoch seconds, CPU seconds so far), sampled while it ran

    def cpu_between(self, start: float, end: float) -> float:
        """CPU seconds the night's processes spent between two moments (epoch seconds), from the samples."""

        def at(moment: float) -> float:
            before = [cpu for when, cpu in self.trace if when <= moment]
            after = [cpu for when, cpu in self.trace if when >= moment]
            return before[-1] if before else (after[0] if after else 0.0)

        return at(end) - at(start)

    @property
    def records(self) -> int:
        return sum(r.get("new", 0) + r.get("changed", 0) + r.get("unchanged", 0) for r in self.summary["runs"])

    @property
    def credentials(self) -> int:
        issuing = self.summary.get("issuing") or {}
        return issuing.get("issued", 0) + issuing.get("clrs", 0)


def night(
    config: Path, db: str, label: str, env: dict[str, str], workers: list[int] = (), *, full: bool = True
) -> Night:
    """One `lerconnect sync` (`--full`: re-read everything) in a child process, measured with the
    Celery `workers` (pids) it fed."""
    command = [LERCONNECT, "--config", str(config), "--log-level", "WARNING", "sync", "--db", db, "--json"]
    command += ["--full"] if full else []
    before = sum(tree_cpu(pid) for pid in workers)
    started = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    with PeakWatcher(child.pid, *workers) as watcher:
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1) or not out.strip():
        raise NightFailed(f"`{' '.join(command)}` exited {child.returncode}")
    peaks = {pid: kb / 1024 for pid, kb in watcher.peaks.items()}
    peaks[child.pid] = max(peaks.get(child.pid, 0), usage.ru_maxrss / 1024)
    cpu = usage.ru_utime + usage.ru_stime + sum(tree_cpu(pid) for pid in workers) - before
    return Night(label, wall, cpu, peaks, json.loads(out), watcher.cpu)


# ---------------------------------------------------------------- Celery workers


def listening(url: str) -> bool:
    """Whether something accepts connections at the URL's host and port (a broker, before we lean on it)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    default = {"redis": 6379, "rediss": 6379, "amqp": 5672, "amqps": 5671}.get(parts.scheme, 0)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default), timeout=2):
            return True
    except OSError:
        return False


@contextmanager
def celery_workers(config: Path, count: int, env: dict[str, str]) -> Iterator[list[int]]:
    """`count` real `lerconnect worker` processes (one task at a time each) for the block; yields their pids."""
    started: list[tuple[subprocess.Popen, Path]] = []
    try:
        for i in range(count):
            log = config.with_name(f"{config.stem}-worker-{i}.log")
            command = [LERCONNECT, "--config", str(config), "worker", "--concurrency=1"]
            child = subprocess.Popen(
                command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
            started.append((child, log))
        deadline = time.monotonic() + 120
        for child, log in started:
            while b" ready." not in log.read_bytes():
                if child.poll() is not None or time.monotonic() > deadline:
                    raise NightFailed(f"a worker did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield [child.pid for child, _ in started]
    finally:
        for child, _ in started:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child, _ in started:
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()


# ---------------------------------------------------------------- stores


@contextmanager
def sqlite_store(folder: Path) -> Iterator[str]:
    yield str(folder / f"scale-{uuid.uuid4().hex[:8]}.db")


@contextmanager
def postgres_store(server: str) -> Iterator[str]:
    """A database of its own on the PostgreSQL server, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"lerconnect_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        from connector_core.store import Store

        Store(url, auto_upgrade=True).dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def store_size(db: str) -> int:
    """Bytes the store occupies: the SQLite file (with WAL), or the PostgreSQL database."""
    if "://" not in db:
        return sum(p.stat().st_size for p in Path(db).parent.glob(Path(db).name + "*"))
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.connect() as connection:
        size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    return int(size)


def exported_json(db: str) -> tuple[int, int, int, int]:
    """(records, bytes of their JSON export, live credentials, bytes of theirs): what the store holds, streamed."""
    from connector_core.store import Store
    from connector_core.store import credentials as cred_store
    from connector_core.store import records as record_store

    store = Store(db, auto_upgrade=False)
    records = record_bytes = credentials = credential_bytes = 0
    for status in ("active", "superseded", "withdrawn"):
        for row, _ in record_store.iter_records(store, status=status):
            records += 1
            record_bytes += len(json.dumps(row.data, separators=(",", ":"), ensure_ascii=False).encode())
    for document in cred_store.iter_documents(store, run_id=None):
        credentials += 1
        credential_bytes += len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())
    store.dispose()
    return records, record_bytes, credentials, credential_bytes


def issuing_span(db: str) -> tuple[float, float]:
    """When the newest issuing run started and finished (epoch seconds), from run history."""
    from datetime import UTC

    from sqlalchemy import select

    from connector_core.store import Store
    from connector_core.store.tables import IssueRunRow

    store = Store(db, auto_upgrade=False)
    with store.session() as session:
        row = session.scalars(select(IssueRunRow).order_by(IssueRunRow.started_at.desc()).limit(1)).one()
    store.dispose()
    start, end = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (row.started_at, row.finished_at))
    return start.timestamp(), end.timestamp()


def raw_signing_seconds(db: str, sample: int = 500) -> tuple[tuple[float, float], tuple[float, float]]:
    """Seconds the bare signer needs per OB credential and per CLR of this night (re-signing a sample),
    as ((CPU per OB, per CLR), (wall per OB, per CLR)): wall time is what the issuing phase is timed in,
    and on a shared machine it is the fair comparison, measured in the same conditions.
    """
    from sqlalchemy import select

    from connector_core.issuer import Canonicalizer, SigningKey, sign_many
    from connector_core.store import Store
    from connector_core.store.tables import CredentialRow

    store = Store(db, auto_upgrade=False)
    key, canon, cpu, wall = SigningKey.generate(), Canonicalizer(), [], []
    for kind in ("achievement", "clr"):
        with store.session() as session:
            query = select(CredentialRow.document).where(CredentialRow.kind == kind).limit(sample)
            drafts = [{k: v for k, v in d.items() if k != "proof"} for d in session.scalars(query)]
        sign_many(drafts, key, canonicalizer=canon)  # warm, as the night's signer is after its first batch
        started, clock = time.process_time(), time.perf_counter()
        sign_many(drafts, key, canonicalizer=canon)
        cpu.append((time.process_time() - started) / max(len(drafts), 1))
        wall.append((time.perf_counter() - clock) / max(len(drafts), 1))
    store.dispose()
    return (cpu[0], cpu[1]), (wall[0], wall[1])


def table_counts(db: str) -> dict[str, int]:
    """Rows per table, to show what a night wrote."""
    from sqlalchemy import create_engine, inspect, text

    from connector_core.store.database import database_url

    engine = create_engine(database_url(db))
    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
        counts = {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}
    engine.dispose()
    return counts


HISTORY = {"sync_run", "issue_run"}
"""Run history: what an unchanged night may add to."""


# ---------------------------------------------------------------- the report


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def print_night(n: Night) -> None:
    issuing = n.summary.get("issuing") or {}
    peaks = ", ".join(f"{mb:,.0f}" for _, mb in sorted(n.peak_mb.items()))
    print(
        f"{n.label:<34}{n.wall:>8.1f}s{n.records / n.wall:>11.0f}{n.credentials / n.wall:>10.0f}"
        f"{n.cpu:>9.1f}s  peak MB [{peaks}]  signed {issuing.get('issued', 0)} + {issuing.get('clrs', 0)} CLRs",
        flush=True,
    )


@dataclass(frozen=True)
class Mode:
    """Where a night runs: `store` (sqlite, postgres), `executor` (local, celery), `count` processes or workers."""

    store: str
    executor: str
    count: int

    @classmethod
    def parse(cls, text: str) -> Mode:
        store, executor, count = text.split(":") if text.count(":") == 2 else ("", "", "")
        if store not in ("sqlite", "postgres") or executor not in ("local", "celery") or not count.isdigit():
            raise SystemExit(f"unknown mode {text!r}: store:executor:count, e.g. {', '.join(MODES)}")
        if (store, executor) == ("sqlite", "celery"):
            raise SystemExit(f"{text}: Celery needs the PostgreSQL store (SQLite cannot be shared between machines)")
        return cls(store, executor, int(count))

    def __str__(self) -> str:
        return f"{self.store}:{self.executor}:{self.count}"


def engine_tables(mode: Mode, db: str, broker: str) -> dict[str, dict[str, object]]:
    """The `[engine]` (and, for Celery workers, `[store]`) tables asking for `mode`; local:1 needs none."""
    if mode.executor == "celery":
        queue = f"lerconnect-scale-{uuid.uuid4().hex[:8]}"
        return {"store": {"url": db}, "engine": {"executor": "celery", "broker_url": broker, "queue": queue}}
    if mode.count == 1:
        return {}
    return {"engine": {"executor": "local", "processes": mode.count}}


def with_engine(config: Path, mode: Mode, db: str, broker: str) -> Path:
    """A copy of the campus config that runs in `mode` against `db`."""
    import tomllib

    from connector_core.demo import write_config

    tables = tomllib.loads(config.read_text())
    sources = {f"sources.{name}": table for name, table in tables.pop("sources").items()}
    path = config.with_name(f"lerconnect-{str(mode).replace(':', '-')}.toml")
    write_config(path, {**tables, **engine_tables(mode, db, broker), **sources})
    return path


@dataclass
class Outcome:
    """A mode's nights: the first, and the unchanged ones after it (empty when only the first ran)."""

    mode: Mode
    first: Night
    quiet: list[Night]


def print_issuing_phase(first: Night, db: str, issuing: dict) -> None:
    """The issuing phase's time against what the bare signer needs for the same credentials."""
    (ob, clr), (ob_wall, clr_wall) = raw_signing_seconds(db)
    obs, clrs = issuing.get("issued", 0), issuing.get("clrs", 0)
    raw, raw_wall = obs * ob + clrs * clr, obs * ob_wall + clrs * clr_wall
    start, end = issuing_span(db)
    phase, phase_cpu = end - start, first.cpu_between(start, end)
    print(
        f"  issuing phase {phase:.1f}s wall, {phase_cpu:.1f}s CPU; the bare signer needs {raw:.1f}s CPU for the "
        f"same credentials ({1 / ob:,.0f} OB/s, {1 / clr:,.1f} CLR/s): {raw / phase_cpu:.0%} of the raw rate by "
        f"CPU ({raw / phase:.0%} CPU against wall; {raw_wall:.1f}s wall re-signing a sample now: "
        f"{raw_wall / phase:.0%})",
        flush=True,
    )


def print_store(db: str) -> None:
    """The store's size against its JSON export, per record and per credential (when any)."""
    size = store_size(db)
    records, rbytes, creds, cbytes = exported_json(db)
    per = f"{size / records:,.0f} B per record" if records else "no records"
    if creds:
        per += f" or {size / creds:,.0f} B per credential"
    print(
        f"  store {_mb(size)} = {size / max(rbytes + cbytes, 1):.2f}x its JSON export "
        f"({records} records {_mb(rbytes)}, {creds} credentials {_mb(cbytes)}); {per}",
        flush=True,
    )


def measure(config: Path, db: str, label: str, env: dict[str, str], second: bool, workers: list[int]) -> Outcome:
    """First night (and the unchanged ones after it) into `db`, with the figures printed."""
    first = night(config, db, f"{label} first", env, workers)
    print_night(first)
    if not first.summary.get("issuing"):
        raise NightFailed("the night stopped before issuing (see its runs above)")
    issuing = first.summary["issuing"]
    if issuing.get("issued", 0) + issuing.get("clrs", 0):
        print_issuing_phase(first, db, issuing)
    else:  # the sync's figures above stand; a night that signed nothing has no signing rate
        print(f"  issuing signed nothing: {issuing.get('error') or issuing.get('status') or 'see its run'}", flush=True)
    print_store(db)
    quiet: list[Night] = []
    # the same campus again, nothing changed: the scheduler's night (`sync`, each stream from its
    # cursor) and a forced re-read of everything (`sync --full`); nothing is signed, only run history grows
    for kind, full in (("second", False), ("full re-read", True)) if second else ():
        before = table_counts(db)
        again = night(config, db, f"{label} {kind}", env, workers, full=full)
        print_night(again)
        added = {t: n - before.get(t, 0) for t, n in table_counts(db).items() if n != before.get(t, 0)}
        outside = {t: n for t, n in added.items() if t not in HISTORY}
        print(
            f"  {kind} night: {again.cpu / first.cpu:.1%} of the first's CPU, {again.credentials} signed, "
            f"rows added {added or 'none'}; outside run history: {outside or 'none'}",
            flush=True,
        )
        quiet.append(again)
    return Outcome(Mode.parse(label.split()[1]), first, quiet)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode")
    child = sub.add_parser("serve", help="(internal) the sandbox process")
    for p in (parser, child):
        p.add_argument("--learners", type=int, default=20000)
        p.add_argument("--seed", type=int, default=42)
    child.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--small", type=int, default=2000, help="the smaller campus of the memory comparison (0: none)")
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated store:executor:count (default: all of them)"
    )
    parser.add_argument(
        "--first-night-only",
        action="store_true",
        help="skip the unchanged nights after the first (at 20,000 learners a forced re-read takes about as long)",
    )
    parser.add_argument("--pg", default=os.environ.get("LERCONNECT_SCALE_PG", PG_DEFAULT), help="PostgreSQL server URL")
    parser.add_argument(
        "--broker",
        default=os.environ.get("LERCONNECT_SCALE_BROKER", BROKER_DEFAULT),
        help="Celery broker (Redis or RabbitMQ) URL",
    )
    args = parser.parse_args()
    if args.mode == "serve":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        serve(args.learners, args.seed, args.workdir)
        return
    run(args)


def run_mode(
    mode: Mode, config: Path, workdir: Path, learners: int, quiet_nights: bool, args: argparse.Namespace
) -> Outcome:
    """One mode's nights on a store of its own, with its workers when on Celery."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with ExitStack() as stack:
        db = stack.enter_context(sqlite_store(workdir) if mode.store == "sqlite" else postgres_store(args.pg))
        path = with_engine(config, mode, db, args.broker)
        workers = stack.enter_context(celery_workers(path, mode.count, env)) if mode.executor == "celery" else []
        return measure(path, db, f"{learners} {mode}", env, quiet_nights, workers)


def summary(outcomes: list[Outcome], peaks: dict[int, float], sizes: list[int]) -> None:
    """Speed-ups of 2 processes or workers over 1, the quiet night's ratio, and memory by campus size."""
    by_mode = {str(o.mode): o for o in outcomes}
    for o in outcomes:
        one = by_mode.get(f"{o.mode.store}:{o.mode.executor}:1")
        if o.mode.count == 2 and one is not None:
            what = "workers" if o.mode.executor == "celery" else "processes"
            print(f"{o.mode.store} {o.mode.executor}: 2 {what} {one.first.wall / o.first.wall:.2f}x as fast as 1")
    for o in outcomes:
        for quiet in o.quiet:
            print(
                f"{o.mode}: unchanged night ({quiet.label.split(' ', 2)[-1]}) {quiet.cpu / o.first.cpu:.1%} of the "
                f"first night's CPU ({quiet.cpu:.1f}s of {o.first.cpu:.1f}s), {quiet.credentials} signed"
            )
    if len(peaks) == 2:
        small, large = (peaks[n] for n in sizes)
        print(
            f"peak memory of one lerconnect process: {small:,.0f} MB at {sizes[0]} learners, "
            f"{large:,.0f} MB at {sizes[1]}: {large / small:.2f}x"
        )


def run(args: argparse.Namespace) -> None:
    modes = [Mode.parse(text) for text in args.modes.split(",") if text]
    if any(m.executor == "celery" for m in modes) and not listening(args.broker):
        print(f"no broker listening at {args.broker}: the Celery modes are left out", flush=True)
        modes = [m for m in modes if m.executor != "celery"]
    if not modes:
        raise SystemExit("no mode left to run")
    peaks: dict[int, float] = {}
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="lerconnect-scale-") as folder:
        base = Path(folder)
        print(f"{'night':<34}{'wall':>9}{'records/s':>11}{'creds/s':>10}{'CPU':>10}")
        sizes = [args.small, args.learners] if args.small and args.small != args.learners else [args.learners]
        for learners in sizes:
            workdir = base / f"campus-{learners}"
            workdir.mkdir()
            full = learners == args.learners
            quiet_nights = full and not args.first_night_only
            with campus(learners, args.seed, workdir) as (config, _):
                for mode in modes if full else modes[:1]:  # the small campus: memory of the first mode's night
                    try:
                        outcome = run_mode(mode, config, workdir, learners, quiet_nights, args)
                    except NightFailed as exc:
                        print(f"{learners} {mode}: {exc}", flush=True)
                        continue
                    peaks[learners] = max(peaks.get(learners, 0), max(outcome.first.peak_mb.values()))
                    if full:
                        outcomes.append(outcome)
        summary(outcomes, peaks, sizes)


if __name__ == "__main__":
    main()
