"""`lerconnect demo`: every installed sandbox synced and issued; run again, it is the next quiet night."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector_core.cli import cli
from connector_core.store import Store, records, redact


def demo(db: Path) -> dict:
    result = CliRunner().invoke(cli, ["demo", "--learners", "12", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_demo_syncs_issues_and_verifies_then_reruns_without_rewriting(tmp_path: Path) -> None:
    db = tmp_path / "campus.db"
    first = demo(db)
    sources = {run["source"] for run in first["runs"]}
    assert {"files", "canvas"} <= sources
    assert all(run["status"] == "succeeded" and run["new"] > 0 for run in first["runs"])
    assert first["issuing"]["issued"] > 0 and first["issuing"]["clrs"] > 0
    assert first["verified"] == first["issuing"]["issued"] + first["issuing"]["clrs"]
    assert first["verify_failures"] == []
    assert (db.parent / "campus.db.sandbox" / "DEMO-ONLY-issuer-key.pem").exists()

    second = demo(db)
    assert all(run["new"] == run["changed"] == run["withdrawn"] == 0 for run in second["runs"])
    assert [run["unchanged"] for run in second["runs"]] == [run["new"] for run in first["runs"]]
    # two sources flag holds (files' ferpa_hold column, Banner's persons): records stored after the
    # first one's pass completed waited for its next pass, and are issued now; nothing is revoked
    assert second["issuing"]["revoked"] == second["issuing"]["held"] == 0
    assert second["issuing"]["issued"] <= first["issuing"]["held"]

    third = demo(db)
    assert (third["issuing"]["issued"], third["issuing"]["revoked"], third["issuing"]["clrs"]) == (0, 0, 0)


def test_the_demo_fills_a_postgresql_store_given_by_url(tmp_path: Path, store: Store, monkeypatch) -> None:
    if store.is_sqlite:
        pytest.skip("needs LERCONNECT_TEST_DATABASE_URL (PostgreSQL)")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["demo", "--learners", "8", "--no-issue", "--db", store.url, "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert all(run["status"] == "succeeded" for run in report["runs"]) and report["db"] == redact(store.url)
    assert sum(1 for _ in records.iter_records(store)) == sum(run["new"] for run in report["runs"]) > 0
    assert [p.name for p in tmp_path.iterdir()] == [f"lerconnect-demo-{store.database}.sandbox"]


def test_the_demos_next_steps_work_when_pasted(tmp_path: Path, monkeypatch) -> None:
    import glob
    import shlex

    monkeypatch.chdir(tmp_path)
    steps = demo(Path("campus.db"))["next_steps"]
    assert len(steps) == 5
    for step in steps:
        words = shlex.split(step)
        assert words[0] == "lerconnect"
        args = [match for word in words[1:] for match in (sorted(glob.glob(word)) if "*" in word else [word])]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, (step, result.output)
    assert "verified, 0 failed" in result.output
