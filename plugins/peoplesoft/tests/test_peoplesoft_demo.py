"""`lerconnect demo --campus peoplesoft`: a PeopleSoft + Canvas campus synced, issued and verified."""

from __future__ import annotations

import json
from pathlib import Path

from connector_core.testing import run_cli


def demo(db: Path, *campus: str) -> dict:
    result = run_cli("demo", "--learners", "12", "--db", str(db), "--json", *campus)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_demo_on_a_peoplesoft_campus_runs_peoplesoft_streams_and_issues(tmp_path: Path) -> None:
    report = demo(tmp_path / "ps.db", "--campus", "peoplesoft")
    runs = {(run["source"], run["stream"]): run for run in report["runs"]}
    assert {("peoplesoft", s) for s in ("grades", "cocurricular", "competencies")} <= set(runs)
    assert ("canvas", "grades") in runs
    assert all(run["status"] == "succeeded" for run in report["runs"])
    assert runs[("peoplesoft", "grades")]["learners_merged"] > 0  # EMPLID = Canvas sis_user_id: one learner
    assert report["issuing"]["issued"] > 0 and report["verify_failures"] == []


def test_the_default_demo_campus_has_no_peoplesoft(tmp_path: Path) -> None:
    report = demo(tmp_path / "default.db")
    assert "peoplesoft" not in {run["source"] for run in report["runs"]}


def test_an_unknown_campus_is_refused_naming_the_choices(tmp_path: Path) -> None:
    result = run_cli("demo", "--campus", "oracle", "--db", str(tmp_path / "x.db"))
    assert result.exit_code != 0 and "peoplesoft" in result.output
