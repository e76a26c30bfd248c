"""`lerconnect demo`: every installed sandbox synced and issued; run again, it is the next quiet night."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector_core.cli import cli
from connector_core.demo import sample_ids
from connector_core.store import Store, records, redact


def demo(db: Path, *options: str) -> dict:
    result = CliRunner().invoke(cli, ["demo", "--learners", "12", "--db", str(db), "--json", *options])
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
    # two sources flag holds (files' ferpa_hold column, Banner's persons): both completed a pass
    # tonight, so what the night stored was issued tonight and the next night signs nothing
    assert first["issuing"]["held_waiting"] == 0
    assert (second["issuing"]["issued"], second["issuing"]["revoked"], second["issuing"]["clrs"]) == (0, 0, 0)


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


def test_a_large_run_is_verified_by_a_seeded_random_sample_and_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["demo", "--learners", "12", "--db", str(tmp_path / "c.db"), "--verify-limit", "9"]
    )
    assert result.exit_code == 0, result.output
    assert "Verified a random sample of 9 of the " in result.output and "seed 42" in result.output
    assert "9 checked, no failures" in result.output
    report = demo(tmp_path / "other.db", "--verify-limit", "9")
    sample = report["verify_sample"]
    assert report["verified"] == sample["size"] == 9 and not sample["complete"] and sample["seed"] == 42
    assert sample["of"] == report["issuing"]["issued"] + report["issuing"]["clrs"] > 9


def test_the_sample_is_uniform_over_the_ids_and_the_same_for_the_same_seed() -> None:
    ids = [f"urn:uuid:{n:04d}" for n in range(1000)]
    chosen = sample_ids(iter(ids), 50, seed=7)
    assert chosen == sample_ids(iter(ids), 50, seed=7) != sample_ids(iter(ids), 50, seed=8)
    assert len(set(chosen)) == 50 and set(chosen) <= set(ids) and chosen == sorted(chosen)
    assert sample_ids(iter(ids[:5]), 50, seed=7) == ids[:5]
    hits = Counter(i for seed in range(400) for i in sample_ids(iter(ids[:20]), 5, seed))
    assert set(hits) == set(ids[:20]) and max(hits.values()) < 2 * min(hits.values()), "no id is favoured"


def test_the_demo_caches_sandbox_wsdls_in_its_own_folder_not_the_users(tmp_path: Path, monkeypatch) -> None:
    """Sandboxes reuse loopback ports: a WSDL cached by URL in the user's cache would be served stale
    to a later demo (seen: a Workday sandbox WSDL without Get_Worker_Event_History)."""
    users = tmp_path / "user-cache"
    monkeypatch.setenv("LERCONNECT_CACHE_DIR", str(users))
    db = tmp_path / "campus.db"
    demo(db)
    assert not (users / "wsdl").exists()
    assert list((tmp_path / "campus.db.sandbox" / "cache" / "wsdl").glob("*.wsdl"))
    assert os.environ["LERCONNECT_CACHE_DIR"] == str(users), "the user's setting is restored"
