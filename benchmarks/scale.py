"""A whole night at campus scale: every installed plugin's sandbox, synced and issued, on SQLite and PostgreSQL.

The sandbox servers run in their own process (as a campus's systems would); each night runs as
`lerconnect sync --full` in a child process, so its wall time, CPU seconds and peak memory are its
own. For every store and executor it prints wall time, records/s, credentials/s, CPU seconds and
peak memory of the lerconnect processes, and the store's size (with bytes per record and per
credential against the same data exported as JSON); then the unchanged second night's share of
the first night's CPU, and peak memory at a small and the full size. Network: loopback only.

    .venv/bin/python benchmarks/scale.py [--learners 20000] [--stores sqlite,postgres]
        [--executors local:1,local:2] [--small 2000] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
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
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


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
    """Samples the high-water mark (VmHWM) of a process and all its descendants while it runs."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, int] = {}  # pid -> kB
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
            todo = [self.pid]
            while todo:
                pid = todo.pop()
                hwm = _status(pid).get("VmHWM", "").strip().removesuffix("kB").strip()
                if hwm.isdigit():
                    self.peaks[pid] = max(self.peaks.get(pid, 0), int(hwm))
                todo.extend(_children(pid))


class NightFailed(RuntimeError):
    """A night's process failed (its error is above); the benchmark goes on with the next."""


@dataclass
class Night:
    label: str
    wall: float
    cpu: float  # user + system seconds of the night's process and every process it waited for
    peak_mb: dict[int, float]
    summary: dict

    @property
    def records(self) -> int:
        return sum(r.get("new", 0) + r.get("changed", 0) + r.get("unchanged", 0) for r in self.summary["runs"])

    @property
    def credentials(self) -> int:
        issuing = self.summary.get("issuing") or {}
        return issuing.get("issued", 0) + issuing.get("clrs", 0)


def night(config: Path, db: str, label: str, env: dict[str, str]) -> Night:
    """One `lerconnect sync --full` in a child process, measured."""
    command = [str(Path(PYTHON).with_name("lerconnect")), "--config", str(config), "--log-level", "WARNING"]
    command += ["sync", "--full", "--db", db, "--json"]
    started = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    with PeakWatcher(child.pid) as watcher:
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1) or not out.strip():
        raise NightFailed(f"`{' '.join(command)}` exited {child.returncode}")
    peaks = {pid: kb / 1024 for pid, kb in watcher.peaks.items()}
    peaks[child.pid] = max(peaks.get(child.pid, 0), usage.ru_maxrss / 1024)
    return Night(label, wall, usage.ru_utime + usage.ru_stime, peaks, json.loads(out))


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


def issuing_seconds(db: str) -> float:
    """Wall seconds of the newest issuing run, from run history."""
    from sqlalchemy import select

    from connector_core.store import Store
    from connector_core.store.tables import IssueRunRow

    store = Store(db, auto_upgrade=False)
    with store.session() as session:
        row = session.scalars(select(IssueRunRow).order_by(IssueRunRow.started_at.desc()).limit(1)).one()
    store.dispose()
    return (row.finished_at - row.started_at).total_seconds()


def raw_signing_seconds(db: str, sample: int = 200) -> tuple[float, float]:
    """Seconds the bare signer needs per OB credential and per CLR of this night (re-signing a sample).

    The issuing phase's share of the raw rate is (OBs x the first + CLRs x the second) / its wall time.
    """
    from sqlalchemy import select

    from connector_core.issuer import Canonicalizer, SigningKey, sign_many
    from connector_core.store import Store
    from connector_core.store.tables import CredentialRow

    store = Store(db, auto_upgrade=False)
    key, canon, out = SigningKey.generate(), Canonicalizer(), []
    for kind in ("achievement", "clr"):
        with store.session() as session:
            query = select(CredentialRow.document).where(CredentialRow.kind == kind).limit(sample)
            drafts = [{k: v for k, v in d.items() if k != "proof"} for d in session.scalars(query)]
        started = time.process_time()
        sign_many(drafts, key, canonicalizer=canon)
        out.append((time.process_time() - started) / max(len(drafts), 1))
    store.dispose()
    return out[0], out[1]


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
        f"{n.label:<30}{n.wall:>8.1f}s{n.records / n.wall:>11.0f}{n.credentials / n.wall:>10.0f}"
        f"{n.cpu:>9.1f}s  peak MB [{peaks}]  signed {issuing.get('issued', 0)} + {issuing.get('clrs', 0)} CLRs",
        flush=True,
    )


def engine_table(executor: str) -> dict[str, object]:
    """`local:2` -> the `[engine]` table asking for it; the default (`local:1`) needs none."""
    kind, _, processes = executor.partition(":")
    if (kind, processes or "1") == ("local", "1"):
        return {}
    return {"engine": {"executor": kind, "processes": int(processes or 1)}}


def with_engine(config: Path, executor: str) -> Path:
    """A copy of the campus config that runs on `executor`."""
    import tomllib

    from connector_core.demo import write_config

    tables = tomllib.loads(config.read_text())
    sources = {f"sources.{name}": table for name, table in tables.pop("sources").items()}
    path = config.with_name(f"lerconnect-{executor.replace(':', '-')}.toml")
    write_config(path, {**tables, **engine_table(executor), **sources})
    return path


def measure(config: Path, db: str, label: str, env: dict[str, str], second: bool) -> Night:
    """First night (and the unchanged second one) into `db`, with the figures printed."""
    first = night(config, db, f"{label} first", env)
    print_night(first)
    if not first.summary.get("issuing"):
        raise NightFailed("the night stopped before issuing (see its runs above)")
    ob, clr = raw_signing_seconds(db)
    issuing = first.summary.get("issuing") or {}
    raw = issuing.get("issued", 0) * ob + issuing.get("clrs", 0) * clr
    phase = issuing_seconds(db)
    print(
        f"  issuing phase {phase:.1f}s; the bare signer needs {raw:.1f}s CPU for the same credentials "
        f"({1 / ob:,.0f} OB/s, {1 / clr:,.1f} CLR/s): {raw / phase:.0%} of the raw rate",
        flush=True,
    )
    size = store_size(db)
    records, rbytes, creds, cbytes = exported_json(db)
    print(
        f"  store {_mb(size)} = {size / (rbytes + cbytes):.2f}x its JSON export "
        f"({records} records {_mb(rbytes)}, {creds} credentials {_mb(cbytes)}); "
        f"{size / records:,.0f} B per record or {size / creds:,.0f} B per credential",
        flush=True,
    )
    if second:
        before = table_counts(db)
        again = night(config, db, f"{label} second", env)
        print_night(again)
        added = {t: n - before.get(t, 0) for t, n in table_counts(db).items() if n != before.get(t, 0)}
        outside = {t: n for t, n in added.items() if t not in HISTORY}
        print(
            f"  second night: {again.cpu / first.cpu:.1%} of the first's CPU, {again.credentials} signed, "
            f"rows added {added or 'none'}; outside run history: {outside or 'none'}",
            flush=True,
        )
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode")
    child = sub.add_parser("serve", help="(internal) the sandbox process")
    for p in (parser, child):
        p.add_argument("--learners", type=int, default=20000)
        p.add_argument("--seed", type=int, default=42)
    child.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--small", type=int, default=2000, help="the smaller campus of the memory comparison (0: none)")
    parser.add_argument("--stores", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument(
        "--executors",
        default="local:1,local:2",
        help="comma-separated local:N (N processes)",
    )
    parser.add_argument("--pg", default=os.environ.get("LERCONNECT_SCALE_PG", PG_DEFAULT), help="PostgreSQL server URL")
    args = parser.parse_args()
    if args.mode == "serve":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        serve(args.learners, args.seed, args.workdir)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="lerconnect-scale-") as folder:
        base = Path(folder)
        print(f"{'night':<30}{'wall':>9}{'records/s':>11}{'creds/s':>10}{'CPU':>10}")
        sizes = [args.small, args.learners] if args.small and args.small != args.learners else [args.learners]
        for learners in sizes:
            workdir = base / f"campus-{learners}"
            workdir.mkdir()
            full = learners == args.learners
            with campus(learners, args.seed, workdir) as (config, _):
                for kind in args.stores.split(",") if full else ["sqlite"]:
                    for executor in args.executors.split(",") if full else ["local:1"]:
                        if kind == "sqlite" and not executor.startswith("local"):
                            continue  # SQLite cannot be shared between machines
                        with ExitStack() as stack:
                            db = stack.enter_context(
                                sqlite_store(workdir) if kind == "sqlite" else postgres_store(args.pg)
                            )
                            label = f"{learners} {kind} {executor}"
                            try:
                                first = measure(with_engine(config, executor), db, label, env, second=full)
                            except NightFailed as exc:
                                print(f"{label}: {exc}", flush=True)
                                continue
                            peaks[learners] = max(peaks.get(learners, 0), max(first.peak_mb.values()))
        if len(peaks) == 2:
            small, large = (peaks[n] for n in sizes)
            print(
                f"peak memory of one lerconnect process: {small:,.0f} MB at {sizes[0]} learners, "
                f"{large:,.0f} MB at {sizes[1]}: {large / small:.2f}x"
            )


if __name__ == "__main__":
    main()
