"""Issuing after sync: sign new, revoke replaced and withdrawn, refresh CLRs; idempotent and auditable."""

from __future__ import annotations

import csv
import json
import threading
from contextlib import nullcontext
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector_core import IssuePolicyError, hookimpl
from connector_core.cli import cli
from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.issuer import SigningKey, verify_credential
from connector_core.issuing import IssuingService, load_key_ring
from connector_core.plugins import load_registry
from connector_core.store import credentials as cred_store
from connector_core.store import runs
from connector_core.store.tables import CredentialRow
from connector_core.testing import issuer_toml

PASSPHRASE_ENV = "TEST_ISSUER_PASSPHRASE"
COLUMNS = {
    "record_id": "id",
    "learner_id": "student",
    "institution_id": "student",
    "email": "email",
    "achievement_id": "course",
    "title": "title",
    "grade": "grade",
    "status": "status",
    "completed_on": "completed",
    "confidential": "hold",
    "credits": "credits",
}
HEADER = ["id", "student", "email", "course", "title", "grade", "status", "completed", "hold", "credits"]


def _row(i: int, grade: str = "B", hold: str = "N") -> dict[str, str]:
    return {
        "id": f"enr-{i}",
        "student": f"S{i % 4}",
        "email": f"s{i % 4}@example.edu",
        "course": f"C{i}",
        "title": f"Course {i}",
        "grade": grade,
        "status": "completed",
        "completed": "2026-05-10",
        "hold": hold,
        "credits": "3",
    }


class Campus:
    """A grades export on disk, a store, an engine and an issuer wired together."""

    def __init__(self, tmp_path: Path, store, monkeypatch) -> None:
        monkeypatch.setenv(PASSPHRASE_ENV, "correct horse battery staple")
        self.tmp, self.store = tmp_path, store
        self.rows = {i: _row(i) for i in range(1, 9)}
        SigningKey.generate().save(tmp_path / "key.pem", "correct horse battery staple")
        self.settings = settings_from_dict(
            {
                "issuer": {
                    "name": "Test University",
                    "key_file": str(tmp_path / "key.pem"),
                    "passphrase_env": PASSPHRASE_ENV,
                    "status_dir": str(tmp_path / "status"),
                    "status_base_url": "https://test.example.edu/status",
                },
                "sources": {
                    "registrar": {
                        "plugin": "files",
                        "files": {
                            "grades": {"path": str(tmp_path / "grades.csv"), "kind": "course", "columns": COLUMNS}
                        },
                    }
                },
            }
        )
        self.registry = load_registry()
        self.write()

    def write(self) -> None:
        with (self.tmp / "grades.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, HEADER)
            writer.writeheader()
            writer.writerows(self.rows.values())

    def service(self, store=None) -> IssuingService:
        ring = load_key_ring(self.settings.issuer, self.tmp)
        return IssuingService(
            store or self.store, self.settings.issuer, ring, hook=self.registry.hook, base_dir=self.tmp
        )

    def sync(self, *, full: bool = True, dry_run: bool = False):
        with runs.rehearsal(self.store) if dry_run else nullcontext(self.store) as target:
            engine = SyncEngine(target, self.registry, self.settings, dry_run=dry_run)
            (result,) = engine.sync("registrar", full=full)
            assert result.status == "succeeded", result.error
            return result, self.service(target).reconcile(run_id=result.run_id, dry_run=dry_run)

    def live(self, kind: str = "achievement") -> list[CredentialRow]:
        return cred_store.list_credentials(self.store, status="active", kind=kind)

    def lists(self) -> dict[str, dict]:
        return {d["id"]: d for d in self.service().status_list_documents()}

    def verify(self, document: dict):
        return verify_credential(document, status_resolver=self.lists().__getitem__)


@pytest.fixture
def campus(tmp_path: Path, store, monkeypatch) -> Campus:
    return Campus(tmp_path, store, monkeypatch)


def test_first_sync_issues_one_verifiable_credential_per_record_and_a_clr_per_learner(campus: Campus) -> None:
    _, report = campus.sync()
    assert report.issued == 8 and report.revoked == 0 and report.clrs == 4
    live = campus.live()
    assert len(live) == 8
    for row in live + campus.live("clr"):
        result = campus.verify(row.document)
        assert result.verified, result.failures()
        assert row.document["credentialStatus"]["statusPurpose"] == "revocation"
    clr = campus.live("clr")[0].document
    assert len(clr["credentialSubject"]["verifiableCredential"]) == 2


def test_rerun_without_changes_signs_nothing(campus: Campus) -> None:
    campus.sync()
    before = {r.id: r.document for r in cred_store.list_credentials(campus.store)}
    result, report = campus.sync()
    assert result.count("unchanged") == 8
    assert (report.issued, report.revoked, report.clrs) == (0, 0, 0)
    assert {r.id: r.document for r in cred_store.list_credentials(campus.store)} == before


def test_changed_grade_revokes_the_old_credential_and_names_it_in_the_new_one(campus: Campus) -> None:
    campus.sync()
    old = next(r for r in campus.live() if r.document["credentialSubject"]["achievement"]["name"] == "Course 3")
    campus.rows[3] = _row(3, grade="A-")
    campus.write()
    result, report = campus.sync()
    assert result.count("changed") == 1
    assert (report.issued, report.replaced, report.revoked, report.clrs) == (1, 1, 1, 1)
    new = next(r for r in campus.live() if r.document["credentialSubject"]["achievement"]["name"] == "Course 3")
    assert new.replaces == old.id and new.id != old.id
    stale = campus.verify(old.document)
    assert not stale.verified and any("revocation" in f for f in stale.failures())
    assert campus.verify(new.document).verified
    trail = cred_store.audit_entries(campus.store, old.id)
    assert [e.action for e in trail] == ["issue", "revoke"]
    assert "grade changed from B to A-" in trail[-1].reason
    replace = cred_store.audit_entries(campus.store, new.id)
    assert replace[0].action == "replace" and "grade changed from B to A-" in replace[0].reason


def test_withdrawn_record_is_revoked_and_the_clr_shrinks(campus: Campus) -> None:
    campus.sync()
    del campus.rows[5]
    campus.write()
    result, report = campus.sync(full=True)
    assert result.count("withdrawn") == 1 and report.revoked == 1 and report.clrs == 1  # the CLR is replaced
    learner_clr = next(
        r
        for r in campus.live("clr")
        if r.learner_key
        == cred_store.list_credentials(campus.store, status="revoked", kind="achievement")[0].learner_key
    )
    assert len(learner_clr.document["credentialSubject"]["verifiableCredential"]) == 1


def test_a_learner_with_no_live_credential_left_loses_their_clr(campus: Campus) -> None:
    campus.sync()
    del campus.rows[1], campus.rows[5]  # both records of learner S1
    campus.write()
    result, report = campus.sync(full=True)
    assert result.count("withdrawn") == 2
    assert report.revoked == 3 and report.clrs == 0  # two achievements, then the CLR that embedded them
    assert len(campus.live("clr")) == 3
    (trail,) = [e for e in cred_store.audit_entries(campus.store) if e.reason == "no live achievement credentials left"]
    assert trail.action == "revoke"


def test_nothing_is_issued_for_a_learner_under_ferpa_hold_until_cleared(campus: Campus) -> None:
    for i in (2, 6):  # both records of learner S2
        campus.rows[i] = _row(i, hold="Y")
    campus.write()
    _, report = campus.sync()
    assert report.issued == 6 and report.held == 2
    assert all(
        r.document["credentialSubject"]["achievement"]["name"] not in {"Course 2", "Course 6"} for r in campus.live()
    )
    for i in (2, 6):
        campus.rows[i] = _row(i)
    campus.write()
    _, report = campus.sync()
    assert report.issued == 2 and report.held == 0


def test_status_indexes_are_unique_and_not_sequential_under_concurrent_issuing(campus: Campus) -> None:
    from connector_core.issuer.status import allocate_index

    reserved: list[tuple[int, int]] = []
    lock = threading.Lock()

    def grab() -> None:
        got = cred_store.reserve(campus.store, "https://test.example.edu/status", 50)
        with lock:
            reserved.extend(
                (row.id, allocate_index(bytes.fromhex(row.seed), counter, row.size)) for row, counter in got
            )

    threads = [threading.Thread(target=grab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reserved) == 200 and len(set(reserved)) == 200
    indexes = [index for _, index in reserved]
    assert sorted(indexes) != list(range(min(indexes), min(indexes) + 200))


def test_crash_between_signing_and_storing_leaves_one_live_credential_per_record(campus: Campus, monkeypatch) -> None:
    real = cred_store.add_credentials

    def store_then_die(session, rows):
        real(session, rows)
        raise RuntimeError("power cut before commit")

    monkeypatch.setattr(cred_store, "add_credentials", store_then_die)
    with pytest.raises(RuntimeError):
        campus.sync()
    assert campus.live() == []  # signed, but the batch's transaction rolled back whole
    monkeypatch.setattr(cred_store, "add_credentials", real)
    refresh = IssuingService._refresh_clrs
    monkeypatch.setattr(IssuingService, "_refresh_clrs", lambda *a: (_ for _ in ()).throw(RuntimeError("crash")))
    with pytest.raises(RuntimeError):
        campus.sync()  # achievements stored, then a crash before the CLRs
    monkeypatch.setattr(IssuingService, "_refresh_clrs", refresh)
    _, report = campus.sync()
    _, again = campus.sync()
    live = campus.live()
    assert (report.issued, report.clrs) == (0, 4) and (again.issued, again.clrs) == (0, 0)
    assert len(live) == len({r.record_id for r in live}) == 8
    assert len(campus.live("clr")) == 4


def test_dry_run_signs_and_writes_nothing(campus: Campus) -> None:
    result, report = campus.sync(dry_run=True)
    assert result.count("new") == 8 and report.dry_run
    assert cred_store.list_credentials(campus.store) == []
    with campus.store.engine.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from learning_record").scalar() == 0


def test_cli_export_then_verify_passes_and_a_tampered_file_fails(campus: Campus, tmp_path: Path) -> None:
    campus.sync()
    config = tmp_path / "lerconnect.toml"
    config.write_text(issuer_toml(PASSPHRASE_ENV))
    runner = CliRunner()
    out = tmp_path / "export"
    exported = runner.invoke(
        cli, ["--config", str(config), "credentials", "export", "--db", campus.store.url, "--out", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    files = sorted(out.glob("achievement-*.json")) + sorted(out.glob("clr-*.json"))
    assert len(files) == 12
    ok = runner.invoke(cli, ["verify", *map(str, files)])
    assert ok.exit_code == 0, ok.output
    assert "pass status" in ok.output and "pass proof" in ok.output
    tampered = json.loads(files[0].read_text())
    tampered["credentialSubject"]["result"][0]["value"] = "A+"
    bad = tmp_path / "export" / "tampered.json"
    bad.write_text(json.dumps(tampered))
    failed = runner.invoke(cli, ["verify", str(bad)])
    assert failed.exit_code == 1 and "FAIL proof" in failed.output
    revoked = json.loads(files[1].read_text())["id"]
    config_args = ["--config", str(config)]
    revoke = runner.invoke(
        cli, [*config_args, "credentials", "revoke", revoked, "--reason", "issued in error", "--db", campus.store.url]
    )
    assert revoke.exit_code == 0, revoke.output
    runner.invoke(cli, [*config_args, "credentials", "export", "--db", campus.store.url, "--out", str(out)])
    after = runner.invoke(cli, ["verify", str(files[1])])
    assert after.exit_code == 1 and "FAIL status: revocation: index" in after.output


def test_wrong_passphrase_is_a_clear_error_without_key_material(campus: Campus, monkeypatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
    with pytest.raises(Exception, match="wrong passphrase") as caught:
        campus.service()
    assert "PRIVATE" not in str(caught.value)


class PolicyAndDelivery:
    """A plugin: refuses to sign Course 4 (policy), collects what was signed (delivery)."""

    __name__ = "policy_and_delivery"

    def __init__(self) -> None:
        self.delivered: list[str] = []

    @hookimpl
    def lerconnect_before_issue(self, draft: dict, context: dict) -> None:
        if draft.get("name") == "Course 4":
            raise IssuePolicyError("Course 4 is under grade appeal")
        if context["kind"] == "achievement":
            draft["credentialSubject"]["achievement"]["tag"] = ["appeal-checked"]

    @hookimpl
    def lerconnect_after_issue(self, credential: dict, context: dict) -> None:
        self.delivered.append(credential["id"])


def test_policy_hook_refuses_and_extends_and_delivery_hook_sees_each_signed_credential(campus: Campus) -> None:
    plugin = PolicyAndDelivery()
    campus.registry = load_registry(extra_modules=(plugin,))
    _, report = campus.sync()
    assert report.issued == 7
    assert len(report.refused) == 1 and report.refused[0].endswith("Course 4 is under grade appeal")
    live = campus.live()
    assert all(r.document["credentialSubject"]["achievement"]["tag"] == ["appeal-checked"] for r in live)
    assert all(campus.verify(r.document).verified for r in live)  # the extension was signed, not added after
    assert sorted(plugin.delivered) == sorted([r.id for r in live] + [r.id for r in campus.live("clr")])
