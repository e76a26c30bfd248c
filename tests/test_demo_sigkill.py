"""`lerconnect demo` killed with SIGKILL while its hold-flagging stream (files/cocurricular) is half
read, then run again: no held learner has a live credential, and nothing is lost or issued twice.

The demo runs as the real console script in its own process. The moment is found, not guessed: a
probe plugin, installed for the child the ordinary way (a distribution with a `lerconnect` entry
point on its path), stops inside `lerconnect_transform` on the hold-flagging stream's first
records and says so in a file; the test sees the file, checks in the store that the stream's run is
open, and kills the process. The outcome is compared with a demo of the same campus never killed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import func, select

from connector_core.sandbox import build_campus
from connector_core.store import Store
from connector_core.store import credentials as cred_store
from connector_core.store.identities import holds
from connector_core.store.tables import (
    CredentialRow,
    LearnerRow,
    RecordRow,
    StatusListRow,
    SyncRunRow,
)
from connector_core.testing import temporary_database

LEARNERS, SEED = 20, 48  # a campus with FERPA holds that both Banner and the files export flag
HOLD_STREAM = "files/cocurricular"
PROBE = '''
"""Stops the demo inside the hold-flagging stream, once, and says where (test instrumentation)."""
import os, pathlib, threading
from connector_core import hookimpl

seen = 0

@hookimpl
def lerconnect_transform(record, context):
    global seen
    if f"{context.source}/{context.stream}" == os.environ.get("PROBE_STOP_IN"):
        seen += 1
        if seen == int(os.environ["PROBE_STOP_AFTER"]):
            pathlib.Path(os.environ["PROBE_MARKER"]).write_text(context.run_id)
            threading.Event().wait()  # until killed
    return record
'''


def install_probe(folder: Path) -> Path:
    """A distribution `lerconnect-stop-probe` with entry point `stop-probe`, importable from `folder`."""
    folder.mkdir()
    (folder / "lerconnect_stop_probe.py").write_text(PROBE)
    dist = folder / "lerconnect_stop_probe-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: lerconnect-stop-probe\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[lerconnect]\nstop-probe = lerconnect_stop_probe\n")
    return folder


def lerconnect() -> str:
    script = shutil.which("lerconnect", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("no `lerconnect` console script beside this interpreter: run `python3 tasks.py install`")
    return script


def demo_command(db: str) -> list[str]:
    return [lerconnect(), "demo", "--learners", str(LEARNERS), "--seed", str(SEED), "--db", db, "--json"]


def child_env(tmp_path: Path, probe: Path, **extra: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(probe), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "LERCONNECT_CACHE_DIR": str(tmp_path / "cache"), **extra}


def run_demo(db: str, cwd: Path, env: dict[str, str]) -> dict:
    done = subprocess.run(demo_command(db), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout)


def kill_inside_hold_stream(store: Store, cwd: Path, env: dict[str, str], tmp_path: Path) -> str:
    """Start the demo, wait until it stands inside the hold-flagging stream, SIGKILL it; the run's id."""
    marker = tmp_path / f"stopped-{time.monotonic_ns()}"
    env = {**env, "PROBE_STOP_IN": HOLD_STREAM, "PROBE_STOP_AFTER": "5", "PROBE_MARKER": str(marker)}
    child = subprocess.Popen(
        demo_command(store.url), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():  # polls a condition the child sets: no guessed sleep
            if child.poll() is not None:
                pytest.fail(f"the demo ended ({child.returncode}) before reaching {HOLD_STREAM}: {child.stderr.read()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the demo did not reach {HOLD_STREAM} in 300 s")
            time.sleep(0.05)
        run_id = marker.read_text()
        with store.session() as session:
            row = session.get(SyncRunRow, run_id)
            assert (row.source, row.stream, row.status) == ("files", "cocurricular", "running")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return run_id


def outcome(store: Store) -> dict:
    """What a night leaves, in terms that do not depend on ids made up by the run (learner keys, run ids)."""
    with store.session() as session:
        institution = dict(session.execute(select(LearnerRow.key, LearnerRow.institution_id)).all())
        records = {
            (r.source, r.stream, r.source_record_id, r.content_hash): r
            for r in session.scalars(select(RecordRow).where(RecordRow.status == "active"))
        }
        credentials = list(session.scalars(select(CredentialRow)))
        slots = session.scalar(select(func.sum(StatusListRow.allocated))) or 0
        held = holds(session)
    by_record = {r.id: key for key, r in records.items()}
    live = [c for c in credentials if c.status == "active"]
    return {
        "records": set(records),
        "held": {institution[k] for k in held},
        "live_achievements": Counter(by_record[c.record_id] for c in live if c.kind == "achievement"),
        "live_clrs": Counter(institution[c.learner_key] for c in live if c.kind == "clr"),
        "live_learners": {institution[c.learner_key] for c in live},
        "credentials": len(credentials),
        "slots": slots,
    }


def assert_like_a_night_never_killed(after: dict, reference: dict) -> None:
    held = after["held"]
    assert held, "the campus has FERPA holds the sources flag"
    assert held & after["live_learners"] == set(), "a held learner has a live credential"
    assert after["held"] == reference["held"], "every hold the sources carry is known"
    assert after["records"] == reference["records"], "every record the sandbox serves is stored, once"
    assert after["live_achievements"] == reference["live_achievements"]
    assert max(after["live_achievements"].values()) == 1 and max(after["live_clrs"].values()) == 1, "issued twice"
    assert after["live_clrs"] == reference["live_clrs"]
    assert after["credentials"] == reference["credentials"], "nothing signed then thrown away or revoked"
    assert after["slots"] == after["credentials"], "a status slot spent on a credential that was not kept"


def test_sigkill_of_the_demo_inside_the_hold_stream_lets_no_hold_slip(tmp_path: Path, store: Store) -> None:
    campus_holds = {p.institution_id for p in build_campus(LEARNERS, SEED).people if p.confidential}
    env = child_env(tmp_path, install_probe(tmp_path / "probe"))
    with temporary_database(tmp_path / "reference", os.environ.get("LERCONNECT_TEST_DATABASE_URL")) as url:
        (tmp_path / "reference").mkdir(exist_ok=True)
        reference_store = Store(url, auto_upgrade=True)
        try:
            run_demo(url, tmp_path / "reference", env)
            reference = outcome(reference_store)
        finally:
            reference_store.dispose()
    assert set(reference["held"]) <= campus_holds and reference["held"]
    work = tmp_path / "killed"
    work.mkdir()

    # first night: killed inside the hold stream; issuing never started, so nothing is signed yet
    kill_inside_hold_stream(store, work, env, tmp_path)
    assert outcome(store)["credentials"] == 0
    report = run_demo(store.url, work, env)  # the same command again: it resumes and completes
    assert all(run["status"] == "succeeded" for run in report["runs"]) and report["verify_failures"] == []
    assert_like_a_night_never_killed(outcome(store), reference)

    # a later night, killed at the same moment after credentials are live, then run again
    killed_run = kill_inside_hold_stream(store, work, env, tmp_path)
    with store.session() as session:
        assert session.get(SyncRunRow, killed_run).status == "running", "the killed run is left as it died"
    assert_like_a_night_never_killed(outcome(store), reference)
    report = run_demo(store.url, work, env)
    assert report["issuing"]["issued"] == report["issuing"]["revoked"] == report["issuing"]["clrs"] == 0
    assert_like_a_night_never_killed(outcome(store), reference)
    assert cred_store.list_credentials(store, status="revoked") == []
