"""Two `lerconnect sync` processes on one store: one issuer at a time, nothing signed twice.

Both processes are real (`lerconnect` on the command line) and reach issuing together: the first
night stored the records but could not sign (passphrase unset), so both find the same backlog.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import func, select

from connector_core.issuer import SigningKey
from connector_core.store import Store
from connector_core.store import credentials as cred_store
from connector_core.store.tables import CredentialRow, StatusListRow
from connector_core.testing import files_grades_toml, issuer_toml

LERCONNECT = str(Path(sys.executable).with_name("lerconnect"))
RECORDS, LEARNERS = 600, 60
PASSPHRASE_ENV = "TEST_ISSUER_PASSPHRASE"


def write_project(tmp: Path) -> Path:
    with (tmp / "grades.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "student", "course", "title", "grade", "completed"])
        for i in range(RECORDS):
            writer.writerow([f"e{i}", f"S{i % LEARNERS}", f"C{i}", f"Course {i}", "B", "2026-05-10"])
    SigningKey.generate().save(tmp / "key.pem", "correct horse battery staple")
    config = tmp / "lerconnect.toml"
    config.write_text(issuer_toml(PASSPHRASE_ENV) + files_grades_toml("registrar", "grades.csv"))
    return config


def sync(config: Path, db_url: str, passphrase: str | None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != PASSPHRASE_ENV}
    if passphrase:
        env[PASSPHRASE_ENV] = passphrase
    return subprocess.Popen(
        [LERCONNECT, "--config", str(config), "sync", "--db", db_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_concurrent_syncs_issue_once_and_spend_no_slot_twice(tmp_path: Path, db_url: str, store: Store) -> None:
    config = write_project(tmp_path)
    first = sync(config, db_url, None)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 1 and PASSPHRASE_ENV in out + err, out + err  # records stored, nothing signed

    racers = [sync(config, db_url, "correct horse battery staple") for _ in range(2)]
    outputs = [(p.communicate(timeout=300), p.returncode) for p in racers]

    for (out, err), code in outputs:
        assert "Traceback" not in err and "UniqueViolation" not in err, err
        assert code == 0 or "already being synced" in out + err, out + err
    live = cred_store.list_credentials(store, status="active", kind="achievement")
    assert len(live) == len({r.record_id for r in live}) == RECORDS
    assert len(cred_store.list_credentials(store, status="active", kind="clr")) == LEARNERS
    with store.session() as session:
        stored = session.scalar(select(func.count()).select_from(CredentialRow))
        slots = session.scalar(select(func.sum(StatusListRow.allocated)))
    assert stored == RECORDS + LEARNERS, "nothing signed twice"
    assert slots == stored, "no status slot spent on a credential that is not kept"
