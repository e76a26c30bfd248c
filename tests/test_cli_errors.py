"""Read-only commands need no secrets (issue 8 §9); errors instead of tracebacks or silence (§10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from operator_project import PASSPHRASE_ENV, open_project, run


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch) -> Path:
    config = open_project(tmp_path, db_url, monkeypatch) / "lerconnect.toml"
    config.write_text(
        config.read_text() + '\n[sources.lms]\nplugin = "canvas"\nbase_url = "http://127.0.0.1:9"\n'
        'token = "${OPERATOR_TEST_CANVAS_TOKEN}"\n'
    )
    monkeypatch.delenv("OPERATOR_TEST_CANVAS_TOKEN", raising=False)
    code, out, err = run("sync", "sis")
    assert code == 0, out + err
    return tmp_path


def test_read_only_commands_work_without_any_source_token_or_passphrase(project: Path, monkeypatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV)
    for args in (
        ("runs",),
        ("dead-letters",),
        ("credentials", "list"),
        ("records", "export", "--out", "all.jsonl"),
        ("state", "list"),
    ):
        code, out, err = run(*args)
        assert code == 0, (args, out, err)
    code, out, err = run("credentials", "export", "--out", "export")
    assert code == 0, out + err
    assert list((project / "export").glob("achievement-*.json")) and [
        p for p in (project / "export").rglob("*") if p.is_file() and not p.name.startswith(("achievement-", "clr-"))
    ]  # the published status lists, copied
    code, out, err = run("sync", "lms")
    assert code == 2 and "OPERATOR_TEST_CANVAS_TOKEN" in out + err and "[sources.lms].token" in out + err


def test_unknown_stream_names_the_streams(project: Path) -> None:
    code, out, err = run("sync", "sis", "--stream", "nosuch")
    assert code == 2 and "no stream 'nosuch'" in err and "grades" in err and "Traceback" not in out + err


def test_a_missing_store_file_is_an_error_for_commands_that_only_read(project: Path) -> None:
    missing = project / "typo.db"
    for args in (("runs",), ("credentials", "list"), ("dead-letters",), ("identities", "review")):
        code, out, err = run(*args, "--db", str(missing))
        assert code == 3 and f"no store at {missing}" in err, (args, out, err)
    assert not missing.exists()
    assert run("db", "upgrade", "--db", str(missing))[0] == 0 and missing.exists()


def test_out_dash_writes_to_standard_output(project: Path) -> None:
    code, out, err = run("records", "export", "--out", "-")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 3 and "Wrote 3 records" in err
    assert not (project / "-").exists()


def test_config_is_accepted_after_the_subcommand(project: Path, monkeypatch) -> None:
    (project / "lerconnect.toml").rename(project / "elsewhere.toml")
    code, out, err = run("credentials", "list", "--config", str(project / "elsewhere.toml"), "--json")
    assert code == 0, out + err
    assert len(json.loads(out)) == 5  # three records, two learners' CLRs
    code, out, err = run("runs", "--config=elsewhere.toml", "--json")
    assert code == 0 and json.loads(out)[0]["source"] == "sis"
