"""Who is who (issue 8 §6): any id finds a learner; reviews, listings and exports name people."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from operator_project import open_project, run, source_toml, write_csv


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch) -> Path:
    open_project(tmp_path, db_url, monkeypatch)
    code, out, err = run("sync")
    assert code == 0, out + err
    return tmp_path


def test_learners_show_answers_to_every_kind_of_id(project: Path) -> None:
    key = json.loads(run("learners", "show", "S1", "--json")[1])["key"]
    for ident in ("S1", "sis:S1", "ADA@example.edu", key, key[:8]):
        code, out, err = run("learners", "show", ident, "--json")
        assert code == 0, (ident, err)
        assert json.loads(out)["key"] == key
    code, out, _ = run("learners", "show", "ada@example.edu")
    assert "Ada Lovelace" in out and "id in sis:" in out and "S1" in out and "2 records:" in out
    assert "Calculus I — completed A" in out and "3 credentials:" in out  # two records and the CLR
    code, _, err = run("learners", "show", "nobody@example.edu")
    assert code == 2 and "no learner answers to 'nobody@example.edu'" in err


def test_records_and_credentials_take_the_same_ids_and_credentials_name_the_learner(project: Path) -> None:
    code, out, _ = run("records", "export", "--learner", "ada@example.edu", "--out", "-")
    assert code == 0 and {json.loads(x)["learner"]["ids"]["sis"] for x in out.splitlines()} == {"S1"}
    code, out, _ = run("credentials", "list", "--learner", "sis:S2")
    assert code == 0 and len(out.splitlines()) == 2 and all("Alan Turing (S2)" in line for line in out.splitlines())
    code, out, _ = run("credentials", "list", "--json")
    assert {c["learner"] for c in json.loads(out)} == {"Ada Lovelace (S1)", "Alan Turing (S2)"}


def test_credentials_export_writes_one_folder_per_learner_that_verifies(project: Path) -> None:
    code, out, err = run("credentials", "export", "--out", "by-learner", "--by-learner")
    assert code == 0, out + err
    assert "in 2 learner folders" in out
    ada = sorted((project / "by-learner" / "S1").glob("*.json"))
    assert len(ada) == 3 and len(list((project / "by-learner" / "S2").glob("*.json"))) == 2
    code, out, err = run("verify", "--status-dir", str(project / "by-learner"), *map(str, ada))
    assert code == 0, out + err


def test_identity_review_shows_names_emails_ids_and_the_rule_per_candidate(project: Path) -> None:
    write_csv(project / "events.csv", [["x1", "S1", "alan@example.edu", "Ada", "L.", "F1", "Fair", "", "2026-06-01"]])
    config = project / "lerconnect.toml"
    config.write_text(config.read_text() + source_toml("events", project / "events.csv"))
    assert run("sync", "events")[0] == 0
    code, out, _ = run("identities", "review")
    assert code == 0
    assert "events id S1" in out and "rules point to different learners" in out
    (ada,) = [line for line in out.splitlines() if "Ada Lovelace" in line]
    (alan,) = [line for line in out.splitlines() if "Alan Turing" in line]
    assert "ada@example.edu" in ada and "sis S1" in ada and "matched by institution_id" in ada
    assert "alan@example.edu" in alan and "sis S2" in alan and "matched by verified_email" in alan
    (review,) = json.loads(run("identities", "review", "--json")[1])
    code, out, _ = run("identities", "merge", str(review["id"]), "--into", "ada@example.edu", "--json")
    ada_key = next(c["key"] for c in review["candidates"] if "ada" in c["email"])
    assert code == 0 and json.loads(out)["into"] == ada_key
