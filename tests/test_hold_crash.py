"""A night killed with SIGKILL while the hold-flagging stream is half read lets no hold slip.

The registrar's feed (the example API, served here, gated page by page) carries FERPA holds; an
LMS export (files, no hold column) carries grades for the same students and syncs first. The child
process runs the night as `lerconnect sync` does (LMS, then registrar, then issuing) and is killed
while it waits for a registrar page. The next night the registrar is unreachable; the night after
it is back. At no point may a held learner have a live credential.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import example_source
from example_source import ExampleApi, example_table, grade
from sqlmodel import select

from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.issuer import SigningKey
from connector_core.issuing import issue_after
from connector_core.plugins import load_registry
from connector_core.store import Store
from connector_core.store import credentials as cred_store
from connector_core.store.tables import LearnerIdentifierRow
from connector_core.testing import serve_sandbox
from connector_core.testing.project import GRADE_COLUMNS

TESTS = Path(__file__).resolve().parent
STUDENTS = 30
HELD = {f"9{i:05d}" for i in range(1, STUDENTS + 1) if i % 4 == 0}
PASSPHRASE = "correct horse battery staple"
LEASE = 0.5
CHILD = """
import json, sys
from datetime import timedelta
sys.path.insert(0, sys.argv[1])
import example_source
from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.issuing import issue_after
from connector_core.plugins import load_registry
from connector_core.store import Store

store, registry = Store(sys.argv[2]), load_registry(extra_modules=(example_source,))
settings = settings_from_dict(json.loads(sys.argv[3]))
engine = SyncEngine(store, registry, settings, lease_ttl=timedelta(seconds=float(sys.argv[4])))
results = [r for name in engine.holds_last(["registrar", "lms"]) for r in engine.sync(name)]
print(issue_after(store, settings, registry.hook, run_ids=[r.run_id for r in results]), flush=True)
"""


def registrar_api() -> ExampleApi:
    api = ExampleApi()
    for i in range(1, STUDENTS + 1):
        institution_id = f"9{i:05d}"
        api.put(
            "grades",
            {
                **grade(f"r{i:03d}", f"S{i:04d}", "ENROLLED", None, institution_id=institution_id),
                "completed": None,
                "student": {"id": f"S{i:04d}", "institution_id": institution_id, "ferpa": institution_id in HELD},
            },
        )
    return api


def write_lms(path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "student", "course", "title", "grade", "completed"])
        for i in range(1, STUDENTS + 1):
            writer.writerow([f"lms-{i}", f"9{i:05d}", f"C{i % 3}", f"Course {i % 3}", "A", "2026-05-10"])


def settings_for(tmp: Path, registrar_url: str) -> dict:
    return {
        "engine": {"commit_records": 1},  # each page a commit: the registrar pages read before the kill are stored
        "issuer": {
            "name": "Test University",
            "key_file": str(tmp / "key.pem"),
            "passphrase": PASSPHRASE,
            "status_dir": str(tmp / "status"),
            "status_base_url": "https://test.example.edu/status",
        },
        "sources": {
            "registrar": example_table(registrar_url, page_size=3),
            "lms": {
                "plugin": "files",
                "files": {
                    "grades": {
                        "path": str(tmp / "lms.csv"),
                        "kind": "course",
                        "columns": dict(GRADE_COLUMNS),
                    }
                },
            },
        },
    }


def live_for_held(store: Store) -> list[str]:
    """Live credentials of learners the registrar holds (by institution id, known or not yet)."""
    with store.session() as session:
        keys = {
            row.learner_key
            for row in session.scalars(select(LearnerIdentifierRow).where(LearnerIdentifierRow.source_id.in_(HELD)))
        }
    return [r.id for r in cred_store.list_credentials(store, status="active") if r.learner_key in keys]


def night(store: Store, tmp: Path, url: str):
    registry = load_registry(extra_modules=(example_source,))
    settings = settings_from_dict(settings_for(tmp, url))
    engine = SyncEngine(store, registry, settings, lease_ttl=timedelta(seconds=LEASE))
    results = [r for name in engine.holds_last(["registrar", "lms"]) for r in engine.sync(name)]
    return results, issue_after(store, settings, registry.hook, run_ids=[r.run_id for r in results])


def test_sigkill_during_the_hold_flagging_stream_lets_no_held_learner_keep_a_credential(
    tmp_path: Path, db_url: str, store: Store
) -> None:
    SigningKey.generate().save(tmp_path / "key.pem", PASSPHRASE)
    write_lms(tmp_path / "lms.csv")
    api = registrar_api()
    api.gate = threading.Semaphore(2)  # two registrar pages, then the child waits for the third
    with serve_sandbox(api) as url:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(TESTS), db_url, json.dumps(settings_for(tmp_path, url)), str(LEASE)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while len([r for r in api.requests_seen if "/api/grades" in r]) < 3 and time.monotonic() < deadline:
                assert child.poll() is None, child.communicate()
                time.sleep(0.01)
            time.sleep(0.2)  # the child is blocked on page 3; pages 1 and 2 are committed
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
            api.gate = None
    assert live_for_held(store) == [] and cred_store.counts(store) == {}, "the killed night issued nothing"
    time.sleep(LEASE + 0.2)  # the dead child's leases expire by themselves

    results, report = night(store, tmp_path, url)  # the registrar is gone tonight: nothing listens at url
    assert {r.source: r.status for r in results} == {"lms": "succeeded", "registrar": "failed"}
    assert live_for_held(store) == [], "a hold not yet read must hold, not sign"
    assert report.issued == 0 and report.held > STUDENTS, "the LMS grades and the registrar pages read wait"

    with serve_sandbox(registrar_api()) as url:  # back again: the pass completes, holds are known
        results, report = night(store, tmp_path, url)
    assert all(r.status == "succeeded" for r in results), [r.error for r in results]
    assert live_for_held(store) == []
    assert (report.issued, report.held) == (
        2 * (STUDENTS - len(HELD)),
        2 * len(HELD),
    )  # an LMS and a registrar record each
