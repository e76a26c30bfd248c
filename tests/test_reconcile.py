"""Issuing reconciliation: revocation by hand sticks, reaches the CLR, holds take back and gate
issuing, A → B → A keeps a live credential, dry runs tell the truth, and run history says how
issuing went. Real files sources, real signing and verification, SQLite or PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select
from test_issuing import COLUMNS, PASSPHRASE_ENV, Campus, PolicyAndDelivery, _row

from connector_core.cli import cli
from connector_core.demo import write_config
from connector_core.plugins import load_registry
from connector_core.store import credentials as cred_store
from connector_core.store import runs
from connector_core.store.tables import StatusListRow


class CliCampus(Campus):
    """The same campus, also as a config file, so the `lerconnect` commands run against it."""

    def __init__(self, tmp_path: Path, store, monkeypatch) -> None:
        super().__init__(tmp_path, store, monkeypatch)
        self.config = tmp_path / "lerconnect.toml"
        issuer = self.settings.issuer
        write_config(
            self.config,
            {
                "issuer": {
                    "name": issuer.name,
                    "key_file": str(issuer.key_file),
                    "passphrase_env": PASSPHRASE_ENV,
                    "status_dir": str(issuer.status_dir),
                    "status_base_url": issuer.status_base_url,
                },
                "sources.registrar": self.settings.sources["registrar"],
            },
        )

    def cli(self, *args: str, db: bool = True) -> tuple[int, str]:
        """Run a command; returns its exit code and standard output (logs go to standard error)."""
        store = ["--db", self.store.url] if db else []
        result = CliRunner().invoke(cli, ["--config", str(self.config), *args, *store])
        return result.exit_code, result.stdout

    def record_credential(self, title: str, status: str = "active"):
        return [
            r
            for r in cred_store.list_credentials(self.store, kind="achievement", status=status)
            if r.document["credentialSubject"]["achievement"]["name"] == title
        ]

    def slots_used(self) -> int:
        with self.store.session() as session:
            return sum(row.allocated for row in session.scalars(select(StatusListRow)))


@pytest.fixture
def campus(tmp_path: Path, store, monkeypatch) -> CliCampus:
    return CliCampus(tmp_path, store, monkeypatch)


def embedded_ids(clr: dict) -> set[str]:
    return {c["id"] for c in clr["credentialSubject"]["verifiableCredential"]}


def learner_clr(campus: CliCampus, learner_key: str):
    (clr,) = [r for r in campus.live("clr") if r.learner_key == learner_key]
    return clr


# ---------------------------------------------------------------- issue 8 §1, issue 9 §6


def test_revocation_by_hand_sticks_through_key_rotation_and_sync_until_reinstated(campus: CliCampus) -> None:
    campus.sync()
    (revoked,) = campus.record_credential("Course 3")
    code, out = campus.cli("credentials", "revoke", revoked.id, "--reason", "issued in error")
    assert code == 0, out
    code, out = campus.cli("keys", "rotate", db=False)
    assert code == 0, out
    live_before = {r.id for r in cred_store.list_credentials(campus.store, status="active")}

    _, report = campus.sync()
    _, again = campus.sync()

    assert (report.issued, report.clrs, report.withheld) == (0, 0, 1), "rotation alone re-issues nothing"
    assert (again.issued, again.clrs) == (0, 0)
    assert campus.record_credential("Course 3") == []
    assert {r.id for r in cred_store.list_credentials(campus.store, status="active")} == live_before

    code, out = campus.cli("credentials", "reinstate", revoked.id, "--reason", "grade confirmed by the registrar")
    assert code == 0, out
    (fresh,) = campus.record_credential("Course 3")
    assert fresh.id != revoked.id
    new_key = campus.service().ring.current.did_key
    assert fresh.document["proof"]["verificationMethod"].startswith(new_key), "new signatures use the new key"
    assert campus.verify(fresh.document).verified
    assert fresh.id in embedded_ids(learner_clr(campus, fresh.learner_key).document)
    trail = [(e.action, e.reason) for e in cred_store.audit_entries(campus.store, revoked.id)]
    assert trail == [
        ("issue", "new record"),
        ("revoke", "issued in error"),
        ("reinstate", "grade confirmed by the registrar"),
    ]
    _, after = campus.sync()
    assert (after.issued, after.clrs, after.withheld) == (0, 0, 0)


def test_revocation_reaches_the_clr_at_once(campus: CliCampus) -> None:
    campus.sync()
    (revoked,) = campus.record_credential("Course 3")
    old_clr = learner_clr(campus, revoked.learner_key)
    assert revoked.id in embedded_ids(old_clr.document)

    code, out = campus.cli("credentials", "revoke", revoked.id, "--reason", "issued in error")

    assert code == 0, out
    new_clr = learner_clr(campus, revoked.learner_key)
    assert new_clr.id != old_clr.id and revoked.id not in embedded_ids(new_clr.document)
    assert embedded_ids(new_clr.document) == embedded_ids(old_clr.document) - {revoked.id}
    stale = campus.verify(old_clr.document)
    assert not stale.verified and any("revocation" in f for f in stale.failures())
    assert campus.verify(new_clr.document).verified
    lists = {json.loads(p.read_text())["id"]: json.loads(p.read_text()) for p in (campus.tmp / "status").glob("*.json")}
    from connector_core.issuer import verify_credential

    assert not verify_credential(old_clr.document, status_resolver=lists.__getitem__).verified, "lists republished"


def test_revoking_a_clr_by_hand_withholds_the_learners_clr(campus: CliCampus) -> None:
    campus.sync()
    clr = campus.live("clr")[0]
    assert campus.cli("credentials", "revoke", clr.id, "--reason", "learner asked")[0] == 0
    campus.rows[1] = _row(1, grade="A")  # the learner's records change: still no CLR until reinstated
    campus.write()
    _, report = campus.sync()
    assert report.clrs == 0 or clr.learner_key not in {r.learner_key for r in campus.live("clr")}
    assert clr.learner_key not in {r.learner_key for r in campus.live("clr")}
    assert campus.cli("credentials", "reinstate", clr.id, "--reason", "asked again")[0] == 0
    assert learner_clr(campus, clr.learner_key).id != clr.id


# ---------------------------------------------------------------- issue 10 §2


def test_a_grade_that_goes_a_b_a_keeps_a_live_credential_and_wastes_no_slot(campus: CliCampus) -> None:
    campus.sync()
    (first,) = campus.record_credential("Course 3")
    for grade in ("A-", "B"):
        campus.rows[3] = _row(3, grade=grade)
        campus.write()
        _, report = campus.sync()
        assert (report.issued, report.revoked) == (1, 1)
    (live,) = campus.record_credential("Course 3")
    assert live.id != first.id, "the same content as the revoked one, yet a new credential"
    assert live.document["credentialSubject"]["result"][0]["value"] == "B"
    assert campus.verify(live.document).verified
    assert not campus.verify(first.document).verified
    used = campus.slots_used()
    assert used == len(cred_store.list_credentials(campus.store)), "every slot is a kept credential"
    _, report = campus.sync()
    assert (report.issued, report.clrs) == (0, 0) and campus.slots_used() == used


def test_a_policy_refusal_spends_no_status_slot(campus: CliCampus) -> None:
    campus.registry = load_registry(extra_modules=(PolicyAndDelivery(),))
    campus.sync()
    campus.sync()
    assert campus.slots_used() == len(cred_store.list_credentials(campus.store))


# ---------------------------------------------------------------- issue 10 §1


def test_a_hold_that_appears_revokes_what_was_issued_and_stops_delivery(campus: CliCampus) -> None:
    campus.sync()
    held_key = campus.record_credential("Course 2")[0].learner_key
    plugin = PolicyAndDelivery()
    campus.registry = load_registry(extra_modules=(plugin,))
    for i in (2, 6):
        campus.rows[i] = _row(i, grade="A", hold="Y")  # a changed grade too: nothing new may go out
    campus.write()

    _, report = campus.sync()

    assert [r for r in cred_store.list_credentials(campus.store, status="active") if r.learner_key == held_key] == []
    revoked = [r for r in cred_store.list_credentials(campus.store, status="revoked") if r.learner_key == held_key]
    assert {r.kind for r in revoked} == {"achievement", "clr"}
    assert all(r.revoke_reason == "FERPA hold flagged by registrar" for r in revoked if r.replaces is None)
    assert report.held == 2 and report.issued == 0
    assert not any(r.id in plugin.delivered for r in revoked)
    assert all(d not in {r.id for r in revoked} for d in plugin.delivered)
    assert plugin.delivered == [], "nothing delivered for the held learner"


REGISTRAR_HEADER = ["id", "student", "email", "course", "title", "grade", "hold"]


def two_sources(campus: CliCampus, registrar_rows: list[dict] | None) -> None:
    """The grades come from an LMS export (no hold column); the registrar's export carries holds."""
    import csv

    lms = dict(campus.settings.sources.get("lms") or campus.settings.sources["registrar"])
    lms_columns = {k: v for k, v in COLUMNS.items() if k != "confidential"}
    lms["files"] = {"grades": {**lms["files"]["grades"], "columns": lms_columns}}
    registrar_file = campus.tmp / "holds.csv"
    if registrar_rows is None:
        registrar_file.unlink(missing_ok=True)  # the export is missing tonight
    else:
        with registrar_file.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, REGISTRAR_HEADER)
            writer.writeheader()
            writer.writerows(registrar_rows)
    registrar = {
        "plugin": "files",
        "files": {
            "grades": {
                "path": str(registrar_file),
                "kind": "course",
                "columns": {k: v for k, v in COLUMNS.items() if v in {*REGISTRAR_HEADER, "id"}},
            }
        },
    }
    campus.settings = campus.settings.model_copy(update={"sources": {"lms": lms, "registrar": registrar}})


def night(campus: CliCampus):
    from connector_core.engine import SyncEngine
    from connector_core.issuing import issue_after

    engine = SyncEngine(campus.store, campus.registry, campus.settings)
    results = [r for name in engine.holds_last(["registrar", "lms"]) for r in engine.sync(name)]
    return results, issue_after(
        campus.store, campus.settings, campus.registry.hook, run_ids=[r.run_id for r in results]
    )


def registrar_rows(held: set[str]) -> list[dict]:
    return [
        {
            "id": f"reg-{s}",
            "student": s,
            "email": f"{s.lower()}@example.edu",
            "course": "ENROLLED",
            "title": "Enrolled",
            "grade": "",
            "hold": "Y" if s in held else "N",
        }
        for s in ("S0", "S1", "S2", "S3")
    ]


def held_live(campus: CliCampus, institution_id: str) -> list:
    from connector_core.store.tables import LearnerRow

    with campus.store.session() as session:
        key = session.scalars(select(LearnerRow).where(LearnerRow.institution_id == institution_id)).one().key
    return [r for r in cred_store.list_credentials(campus.store, status="active") if r.learner_key == key]


def test_issuing_waits_while_the_hold_flagging_export_is_missing(campus: CliCampus) -> None:
    two_sources(campus, registrar_rows({"S2"}))
    night(campus)  # registers the registrar's stream as one that flags holds
    assert held_live(campus, "S2") == [] and len(campus.live()) == 6
    campus.rows[9] = {**_row(9), "student": "S2", "email": "s2@example.edu"}  # a new grade for the held learner
    campus.rows[11] = _row(11)
    campus.write()
    two_sources(campus, None)

    results, report = night(campus)

    assert {r.source: r.status for r in results} == {"lms": "succeeded", "registrar": "failed"}
    assert report.issued == 0 and report.held == 4, "both new grades wait, with the held learner's two"
    assert any("for registrar/grades to complete a pass" in n for n in report.notes)
    two_sources(campus, registrar_rows({"S2"}))
    _, report = night(campus)
    assert report.issued == 1 and held_live(campus, "S2") == []


def test_without_wait_for_holds_issuing_goes_ahead(campus: CliCampus) -> None:
    two_sources(campus, None)
    issuer = campus.settings.issuer.model_copy(update={"wait_for_holds": False})
    campus.settings = campus.settings.model_copy(update={"issuer": issuer})
    _, report = night(campus)
    assert report.issued == 8


# ---------------------------------------------------------------- issue 8 §3


def test_a_run_that_could_not_sign_is_recorded_as_failed_issuing(campus: CliCampus, monkeypatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV)
    code, out = campus.cli("sync")
    assert code == 1 and "Issuing failed" in out and PASSPHRASE_ENV in out
    code, out = campus.cli("runs", "--json")
    (row,) = json.loads(out)
    assert row["status"] == "succeeded" and row["issuing"]["status"] == "failed"
    assert PASSPHRASE_ENV in row["issuing"]["error"]
    table = CliRunner().invoke(cli, ["runs", "--db", campus.store.url]).output
    assert "failed:" in table
    shown = CliRunner().invoke(cli, ["runs", "show", row["id"][:8], "--db", campus.store.url]).output
    assert "issuing status: failed" in shown and PASSPHRASE_ENV in shown

    monkeypatch.setenv(PASSPHRASE_ENV, "correct horse battery staple")
    code, out = campus.cli("sync", "--json")
    assert code == 0, out
    issuing = json.loads(out)["issuing"]
    assert (issuing["status"], issuing["issued"], issuing["clrs"]) == ("succeeded", 8, 4)
    newest = runs.list_runs(campus.store)[0]
    shown = CliRunner().invoke(cli, ["runs", "show", newest.id, "--db", campus.store.url]).output
    assert "issuing issued: 8" in shown


# ---------------------------------------------------------------- issue 8 §5 and issue 10's smaller defects


def test_dry_run_reports_exactly_what_the_real_run_then_does(campus: CliCampus) -> None:
    campus.sync()
    for i in (2, 6):
        campus.rows[i] = _row(i, hold="Y")
    campus.rows[3] = _row(3, grade="A")
    campus.rows[9] = _row(9)
    campus.write()
    before = {r.id: r.status for r in cred_store.list_credentials(campus.store)}

    code, out = campus.cli("sync", "--dry-run", "--json")

    assert code == 0, out
    dry = json.loads(out)["issuing"]
    assert dry["dry_run"] is True
    assert {r.id: r.status for r in cred_store.list_credentials(campus.store)} == before, "nothing written"
    code, out = campus.cli("sync", "--json")
    real = json.loads(out)["issuing"]
    assert {k: v for k, v in dry.items() if k != "dry_run"} == {k: v for k, v in real.items() if k != "dry_run"}
    assert (real["issued"], real["held"]) == (2, 2) and real["revoked"] > 0
    listed = json.loads(campus.cli("runs", "--json")[1])
    assert [r["dry_run"] for r in listed] == [False, True, False]
    assert listed[1]["issuing"]["dry_run"] is True and listed[1]["issuing"]["issued"] == 2
    assert "(dry run)" in CliRunner().invoke(cli, ["runs", "--db", campus.store.url]).output


def test_dry_run_on_a_store_that_completed_a_sync(campus: CliCampus) -> None:
    assert campus.cli("sync")[0] == 0
    code, out = campus.cli("sync", "--dry-run")
    assert code == 0, out
    assert "Dry run" in out and "0 issued" in out


def test_the_status_list_is_not_re_signed_when_no_bit_changed(campus: CliCampus) -> None:
    campus.sync()
    (path,) = (p for p in (campus.tmp / "status").rglob("*") if p.is_file())  # at the path its URL names
    first, written = path.read_bytes(), path.stat().st_mtime_ns
    campus.sync()
    assert path.stat().st_mtime_ns == written, "left alone: not signed and written again"
    (revoked,) = campus.record_credential("Course 3")
    campus.cli("credentials", "revoke", revoked.id, "--reason", "issued in error")
    assert path.read_bytes() != first


def test_a_record_id_twice_in_one_file_is_dead_lettered_not_flipped_every_full_sync(campus: CliCampus) -> None:
    campus.rows["again"] = {**_row(3), "grade": "A"}  # the export lists enr-3 twice, with two grades
    campus.write()
    campus.sync(full=True)
    (kept,) = campus.record_credential("Course 3")
    used = campus.slots_used()
    for _ in range(2):
        result, report = campus.sync(full=True)
        assert (result.count("changed"), report.issued, report.revoked, report.clrs) == (0, 0, 0, 0)
    assert campus.record_credential("Course 3") == [kept] and campus.slots_used() == used
    assert kept.document["credentialSubject"]["result"][0]["value"] == "B", "the first row is kept"
    letters = runs.list_dead_letters(campus.store)
    assert letters and "'enr-3' appears again with different content (first in grades.csv line" in letters[0].reason
