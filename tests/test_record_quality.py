"""Records a registrar would sign: one credential per learner, achievement and term, however many
sources (or enrollments) state it; one term vocabulary; the privacy policy on OB and CLR alike."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.issuer import SigningKey
from connector_core.issuing import IssuingService, load_key_ring
from connector_core.plugins import load_registry
from connector_core.store import credentials as cred_store
from connector_core.store import records as record_store
from connector_core.store.database import Store

PASSPHRASE = "correct horse battery staple"
HEADER = ["id", "student", "email", "first", "last", "activity", "title", "role", "term", "completed"]
COLUMNS = {
    "record_id": "id",
    "learner_id": "student",
    "institution_id": "student",
    "email": "email",
    "given_name": "first",
    "family_name": "last",
    "achievement_id": "activity",
    "catalog_key": "activity",
    "title": "title",
    "role": "role",
    "term": "term",
    "completed_on": "completed",
}
TERMS = [
    {"code": "202530", "name": "Fall 2025", "start": "2025-08-25", "end": "2025-12-15"},
    {"code": "202610", "name": "Spring 2026", "start": "2026-01-12", "end": "2026-05-08"},
]


def row(rid: str, student: str, term: str, role: str = "Member", activity: str = "ACT-7") -> dict[str, str]:
    return {
        "id": rid,
        "student": student,
        "email": f"{student.lower()}@example.edu",
        "first": "Ana",
        "last": f"Garcia{student}",
        "activity": activity,
        "title": "Robotics Club",
        "role": role,
        "term": term,
        "completed": "2025-12-15" if term in ("202530", "Fall 2025") else "2026-05-08",
    }


class TwoExports:
    """An engagement platform and a student-life portal, both exporting co-curricular participation."""

    def __init__(self, tmp: Path, store, monkeypatch, privacy: dict | None = None) -> None:
        monkeypatch.setenv("TEST_ISSUER_PASSPHRASE", PASSPHRASE)
        SigningKey.generate().save(tmp / "key.pem", PASSPHRASE)
        self.tmp, self.store = tmp, store
        source = {"plugin": "files", "terms": TERMS}
        self.settings = settings_from_dict(
            {
                "issuer": {
                    "key_file": str(tmp / "key.pem"),
                    "passphrase_env": "TEST_ISSUER_PASSPHRASE",
                    "status_dir": str(tmp / "status"),
                    **({"privacy": privacy} if privacy else {}),
                },
                "sources": {
                    name: {**source, "files": {"cocurricular": {"path": str(tmp / f"{name}.csv"), "columns": COLUMNS}}}
                    for name in ("engage", "portal")
                },
            }
        )
        self.registry = load_registry()

    def export(self, name: str, rows: list[dict[str, str]]) -> None:
        with (self.tmp / f"{name}.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, HEADER)
            writer.writeheader()
            writer.writerows(rows)

    def night(self, *names: str):
        engine = SyncEngine(self.store, self.registry, self.settings)
        for name in names:
            for result in engine.sync(name, full=True):
                assert result.status == "succeeded", result.error
        ring = load_key_ring(self.settings.issuer, self.tmp)
        return IssuingService(self.store, self.settings.issuer, ring, base_dir=self.tmp).reconcile()

    def live(self, kind: str = "achievement") -> list:
        return cred_store.list_credentials(self.store, status="active", kind=kind)


@pytest.fixture
def exports(tmp_path: Path, store, monkeypatch) -> TwoExports:
    return TwoExports(tmp_path, store, monkeypatch)


def test_one_live_credential_per_learner_achievement_and_term_with_every_provenance_kept(exports) -> None:
    # S1 holds two enrollments in one activity and term (member, then officer); S1 also in spring
    exports.export(
        "engage",
        [row("e1", "S1", "Fall 2025"), row("e2", "S1", "Fall 2025", "Officer"), row("e3", "S1", "Spring 2026")],
    )
    exports.night("engage")
    terms = sorted((c.document["credentialSubject"]["term"], c.learner_key) for c in exports.live())
    assert [t for t, _ in terms] == ["Fall 2025", "Spring 2026"]  # one per term, shown by name

    exports.export("portal", [row("p1", "S1", "202530")])  # the same fact from a second source, by term code
    report = exports.night("portal")
    fall = [c for c in exports.live() if c.document["credentialSubject"]["term"] == "Fall 2025"]
    assert len(fall) == 1 and len(exports.live()) == 2
    assert report.revoked == 1  # the newest provenance speaks for the fact; the old credential is replaced
    with exports.store.session() as session:
        silent = record_store.silent_provenances(session, {fall[0].learner_key})  # e1, e2 stay beside the portal's p1
    assert len(silent) == 2 and {voice.id for voice in silent.values()} == {fall[0].record_id}
    (clr,) = exports.live("clr")
    assert len(clr.document["credentialSubject"]["verifiableCredential"]) == 2

    again = exports.night("engage", "portal")
    assert (again.issued, again.revoked, again.clrs) == (0, 0, 0)  # reruns stay idempotent


def test_the_privacy_policy_reaches_open_badges_and_clr(tmp_path: Path, store, monkeypatch) -> None:
    shown = TwoExports(tmp_path, store, monkeypatch, privacy={"show_name": True, "identifiers": ["institution_id"]})
    shown.export("engage", [row("e1", "S1", "Fall 2025")])
    shown.night("engage")
    (ob,), (clr,) = shown.live(), shown.live("clr")
    for document in (ob.document, clr.document):
        kinds = [i["identityType"] for i in document["credentialSubject"]["identifier"]]
        assert kinds == ["sisSourcedId", "name"]
        assert "s1@example.edu" not in str(document)
    assert clr.document["name"] == "Comprehensive Learner Record: Ana GarciaS1"


def test_demo_records_are_what_a_registrar_would_sign(tmp_path: Path) -> None:
    """The sandbox campus through every plugin: each §7–§13 property checked on the real CLRs."""
    from click.testing import CliRunner

    from connector_core.cli import cli
    from connector_core.store import Store

    db = tmp_path / "campus.db"
    result = CliRunner().invoke(cli, ["demo", "--learners", "24", "--db", str(db), "--json", "--verify-limit", "5"])
    assert result.exit_code == 0, result.output
    store = Store(f"sqlite:///{db}")
    obs, clrs = (cred_store.list_credentials(store, status="active", kind=k) for k in ("achievement", "clr"))
    assert obs and clrs
    linked = 0
    for clr in clrs:
        subject = clr.document["credentialSubject"]
        listed = {a["id"] for a in subject["achievement"]}
        for link in subject.get("association", []):  # §7: associations name what the CLR lists
            assert {link["sourceId"], link["targetId"]} <= listed, link
            linked += 1
        assert ":" not in clr.document["name"]  # §13: no name by default, as the hashed recipient intends
    assert linked > 0
    ids: dict[tuple[str, str], set[str]] = {}
    facts: dict[tuple, int] = {}
    for ob in obs:
        subject = ob.document["credentialSubject"]
        achievement = subject["achievement"]
        ids.setdefault((achievement["achievementType"], achievement["name"]), set()).add(achievement["id"])
        fact = (ob.learner_key, achievement["id"], subject.get("term"))
        facts[fact] = facts.get(fact, 0) + 1
        assert "<" not in achievement["description"], achievement["description"]  # §10: plain text
        assert not subject.get("term", "x")[0].isdigit(), subject["term"]  # §11: "Fall 2025", not "202530"
    assert max(len(v) for v in ids.values()) == 1  # §8: one achievement per course, outcome, activity
    assert max(facts.values()) == 1  # §9: one live credential per learner, achievement and term
    store.dispose()


def test_achievements_are_keyed_by_catalog_and_version_across_sources() -> None:
    from connector_core.model import Achievement, AchievementKind, Association, achievement_key, association_target_key

    def course(key: str, **catalog: str) -> Achievement:
        return Achievement(key=key, kind=AchievementKind.course, title="Calculus I", **catalog)

    lms, sis = course("canvas:course:10", catalog_key="MATH 101"), course("crn-4711", catalog_key="MATH 101")
    assert achievement_key("canvas", lms) == achievement_key("banner", sis) == "catalog:course:MATH 101"
    revised = course("crn-9000", catalog_key="MATH 101", version="2026")
    assert achievement_key("banner", revised) == "catalog:course:MATH 101@2026"  # a new catalog version, a new one
    assert achievement_key("canvas", course("10")) == "canvas:10"  # no catalog key: per source, as before
    outcome = Achievement(key="o1", kind=AchievementKind.competency, catalog_key="MATH 101", title="Limits")
    assert achievement_key("canvas", outcome) != achievement_key("canvas", lms)  # kinds never collide
    assert association_target_key("x", Association.to(revised)) == achievement_key("banner", revised)


def test_a_learner_the_policy_leaves_unidentified_is_refused_by_name_not_the_run(tmp_path, store, monkeypatch) -> None:
    did_only = TwoExports(tmp_path, store, monkeypatch, privacy={"identifiers": ["did"]})
    did_only.export("engage", [row("e1", "S1", "Fall 2025"), row("e2", "S2", "Fall 2025")])
    report = did_only.night("engage")
    assert (report.issued, len(report.refused), did_only.live()) == (0, 2, [])
    assert "has none of the recipient identifiers ['did']" in report.refused[0]
    assert "[issuer.privacy].identifiers" in report.refused[0]


def test_open_badges_and_the_clr_identify_the_learner_the_same_way(exports) -> None:
    import hashlib

    exports.export("engage", [row("e1", "S1", "Fall 2025")])
    exports.export("portal", [{**row("p1", "S1", "Spring 2026"), "email": ""}])  # this export has no email
    exports.night("engage", "portal")
    documents = [c.document for c in exports.live() + exports.live("clr")]
    assert len(documents) == 3
    for document in documents:
        (ident,) = document["credentialSubject"]["identifier"]
        digest = hashlib.sha256(("s1@example.edu" + ident["salt"]).encode()).hexdigest()
        assert (ident["identityType"], ident["identityHash"]) == ("emailAddress", f"sha256${digest}")


@pytest.fixture
def narrow_store(tmp_path: Path) -> Iterator[Store]:
    """An SQLite store that refuses a statement with more than 600 bound parameters (the default is
    32,766): a query whose `IN (...)` grows with the campus fails here at a test's size."""
    narrow = Store(f"sqlite:///{tmp_path / 'narrow.db'}", auto_upgrade=True)
    event.listen(narrow.engine, "connect", lambda dbapi, _: dbapi.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 600))
    narrow.engine.dispose()  # the connections made before the limit go
    yield narrow
    narrow.dispose()


def test_more_provenances_than_a_statement_can_bind_are_revoked_and_replaced(tmp_path, narrow_store, monkeypatch):
    # 700 facts of one learner from one export, then all 700 again from a second: 700 silent provenances
    exports = TwoExports(tmp_path, narrow_store, monkeypatch)
    facts = [row(f"e{n}", "S1", "Fall 2025", activity=f"ACT-{n}") for n in range(700)]
    exports.export("engage", facts)
    assert exports.night("engage").issued == 700
    exports.export("portal", [{**fact, "id": f"p{n}", "term": "202530"} for n, fact in enumerate(facts)])
    report = exports.night("portal")
    assert (report.issued, report.revoked) == (700, 700)  # each fact's credential moves to its new speaker
    live = exports.live()
    with narrow_store.session() as session:
        silent = record_store.silent_provenances(session, {c.learner_key for c in live})
    assert len(live) == 700 and {c.record_id for c in live} == {voice.id for voice in silent.values()}


def test_revocations_are_found_a_batch_of_learners_at_a_time_and_none_is_missed(exports) -> None:
    exports.export("engage", [row(f"e{n}", f"S{n}", "Fall 2025") for n in range(5)])
    exports.night("engage")
    exports.export("portal", [row(f"p{n}", f"S{n}", "202530") for n in range(5)])
    engine = SyncEngine(exports.store, exports.registry, exports.settings)
    assert engine.sync("portal", full=True)[0].status == "succeeded"  # stored, not yet issued

    found = list(cred_store.credentials_to_revoke(exports.store, batch=2))  # three batches of learners

    assert sorted(c.id for c, _ in found) == sorted(c.id for c in exports.live())  # each engage credential once
    assert all(reason.startswith("merged: record") for _, reason in found)
