"""State you can see and reset; dead letters that resolve and can be retried (issue 8 §8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from operator_project import ROWS, open_project, run, write_csv


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch) -> Path:
    open_project(tmp_path, db_url, monkeypatch, issuer=False)
    assert run("sync")[0] == 0
    return tmp_path


def test_state_list_show_and_reset_with_confirmation(project: Path) -> None:
    code, out, _ = run("state", "list")
    assert code == 0 and "sis/grades: pass 1, idle, has a cursor" in out
    code, out, _ = run("state", "show", "sis", "grades", "--json")
    assert json.loads(out)["cursor"]["done"] == {"grades.csv": json.loads(out)["cursor"]["done"]["grades.csv"]}
    code, out, _ = run("state", "show", "sis", "grades")
    fields = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in out.splitlines()}
    assert fields["pass open"] == "no" and fields["stream"] == "grades" and fields["cursor"].startswith("{")
    assert json.loads(run("sync", "--json")[1])["runs"][0]["fetched"] == 0  # nothing new: nothing read

    code, out, err = run("state", "reset", "sis", stdin="n\n")
    assert code == 1 and "Aborted" in out + err
    assert "has a cursor" in run("state", "list")[1]
    code, out, _ = run("state", "reset", "sis", "--stream", "grades", "--yes")
    assert code == 0 and "Reset 1 stream of sis: grades." in out
    assert "Nothing has been synced" in run("state", "list")[1] or "No saved state" in run("state", "list")[1]
    assert json.loads(run("sync", "--json")[1])["runs"][0]["fetched"] == 4  # read everything again

    code, _, err = run("state", "show", "sis", "nosuch")
    assert code == 2 and "streams with state: grades" in err
    code, _, err = run("state", "reset", "nosuch", "--yes")
    assert code == 2 and "no source 'nosuch'" in err


def test_dead_letters_carry_file_and_line_and_leave_when_fixed(project: Path) -> None:
    code, out, _ = run("dead-letters")
    assert code == 0 and "sis/grades e4 at grades.csv:5 [completed]" in out
    fixed = [row if row[0] != "e4" else [*row[:-1], "2026-05-11"] for row in ROWS]
    write_csv(project / "grades.csv", fixed)
    assert run("sync")[0] == 0
    assert run("dead-letters")[1].strip() == "No dead letters."


def test_dead_letters_retry_after_a_config_fix(project: Path) -> None:
    write_csv(
        project / "grades.csv", [*ROWS, ["e5", "S4", "k@example.edu", "K", "J", "C1", "Calculus I", "B", "05/11/2026"]]
    )
    assert run("sync")[0] == 0
    assert {d["source_record_id"] for d in json.loads(run("dead-letters", "--json")[1])} == {"e4", "e5"}
    config = project / "lerconnect.toml"
    config.write_text(config.read_text().replace('kind = "course"', 'kind = "course"\ndate_format = "%m/%d/%Y"'))
    code, out, err = run("dead-letters", "retry", "sis")
    assert code == 0, out + err
    assert "sis/grades: 2 dead letters retried, 1 stored, 1 still failing" in out
    assert [d["source_record_id"] for d in json.loads(run("dead-letters", "--json")[1])] == ["e4"]
    exported = [json.loads(x) for x in run("records", "export", "--out", "-")[1].splitlines()]
    assert "e5" in {x["provenance"]["source_record_id"] for x in exported}


def test_filtering_by_an_unknown_source_is_an_error(project: Path) -> None:
    code, _, err = run("dead-letters", "--source", "sys")
    assert code == 2 and "no source 'sys'" in err and "known: sis" in err
