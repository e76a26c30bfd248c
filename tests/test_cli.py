"""The `lerconnect` command end to end on a files source: JSON output, exit codes, logs, identities."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector_core.cli import cli
from connector_core.store import Store, StoreError

HEADER = ["id", "student", "email", "activity", "title", "completed"]


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)


def _source(name: str, path: Path, verified: bool = True) -> str:
    return f"""
[sources.{name}]
plugin = "files"
email_verified = {str(verified).lower()}
[sources.{name}.files.cocurricular]
path = "{path}"
[sources.{name}.files.cocurricular.columns]
record_id = "id"
learner_id = "student"
institution_id = "student"
email = "email"
achievement_id = "activity"
title = "title"
completed_on = "completed"
"""


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch) -> Path:
    _write(
        tmp_path / "a.csv",
        [
            ["a1", "S1", "one@example.edu", "club", "Robotics Club", "2026-05-01"],
            ["a2", "S2", "two@example.edu", "club", "Robotics Club", "2026-05-01"],
            ["a3", "S3", "three@example.edu", "club", "Robotics Club", "not-a-date"],
        ],
    )
    (tmp_path / "lerconnect.toml").write_text(_source("engage", tmp_path / "a.csv"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LERCONNECT_DB", db_url)
    assert run("db", "upgrade")[0] == 0  # PostgreSQL is never migrated behind the operator's back
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    """Invoke the CLI in-process; returns exit code, stdout, stderr."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_sync_json_counts_dead_letters_and_run_history(project: Path) -> None:
    code, out, _ = run("sync", "--json")
    assert code == 0, out
    (row,) = json.loads(out)["runs"]
    assert (row["source"], row["stream"], row["new"], row["dead_lettered"]) == ("engage", "cocurricular", 2, 1)

    code, out, _ = run("dead-letters", "--json")
    (letter,) = json.loads(out)
    assert letter["source_record_id"] == "a3" and letter["field"] == "completed"
    assert "'not-a-date' is not a date" in letter["reason"]

    code, out, _ = run("runs", "--json")
    runs = json.loads(out)
    assert code == 0 and runs[0]["status"] == "succeeded" and runs[0]["new"] == 2

    code, out, _ = run("runs", "show", runs[0]["id"][:8])
    assert code == 0 and "1 dead letter:\n  a3 at a.csv:4: completed:" in out and "status:          succeeded" in out


def test_records_export_is_portable_jsonl_with_provenance(project: Path) -> None:
    run("sync")
    code, out, _ = run("records", "export", "--learner", "S1", "--out", "s1.jsonl")
    assert code == 0 and "Wrote 1 record to s1.jsonl" in out
    (line,) = [json.loads(x) for x in (project / "s1.jsonl").read_text().splitlines()]
    assert line["learner"]["ids"] == {"engage": "S1"} and line["achievement"]["title"] == "Robotics Club"
    assert line["provenance"]["source"] == "engage" and line["provenance"]["source_record_id"] == "a1"
    assert line["provenance"]["plugin"] == "files" and len(line["provenance"]["content_hash"]) == 64


def test_json_logs_carry_the_run_and_no_learner_pii(project: Path) -> None:
    code, _, err = run("--log-format", "json", "sync")
    assert code == 0
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    run_lines = [x for x in lines if x["logger"] == "lerconnect.engine"]
    assert run_lines and all({"run_id", "source", "stream"} <= x.keys() for x in run_lines)
    assert "one@example.edu" not in err and "S1" not in err


def test_config_errors_exit_2_naming_file_and_key(project: Path) -> None:
    (project / "bad.toml").write_text('[sources.engage]\nplugin = "files"\nfiles = "${NOT_SET_ANYWHERE}"\n')
    code, out, err = run("--config", "bad.toml", "sync")
    assert code == 2
    assert "bad.toml: [sources.engage].files uses ${NOT_SET_ANYWHERE}, which is not set" in out + err


def test_identity_conflict_goes_to_review_and_can_be_merged(project: Path) -> None:
    _write(project / "b.csv", [["b1", "S1", "two@example.edu", "fair", "Career Fair", "2026-06-01"]])
    config = project / "lerconnect.toml"
    config.write_text(config.read_text() + _source("events", project / "b.csv"))
    assert run("sync")[0] == 0
    code, out, _ = run("identities", "review", "--json")
    (review,) = json.loads(out)
    assert review["source"] == "events" and len(review["candidates"]) == 2
    assert "rules point to different learners" in review["reason"]
    into = review["candidates"][0]["key"]
    code, out, _ = run("identities", "merge", str(review["id"]), "--into", into)
    assert code == 0 and "merged" in out
    assert json.loads(run("identities", "review", "--json")[1]) == []


def test_a_store_behind_the_code_asks_for_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with pytest.raises(StoreError, match="run `lerconnect db upgrade`"):
        Store(url, auto_upgrade=False)
    code, out, _ = run("db", "upgrade", "--db", url)
    store = Store(url, auto_upgrade=False)  # at the head now: no error
    assert code == 0 and f"schema revision {store.revision()}" in out
    store.dispose()
