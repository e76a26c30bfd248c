"""`--json` on every command that reports something (issue 8 §11): each answer parses and says what happened."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from operator_project import open_project, run

from connector_core.cli import cli

NOT_REPORTING = {
    ("run",): "serves schedules until SIGTERM; what it does is in `runs` and the logs",
    ("worker",): "a Celery worker until SIGTERM; its work shows in `runs show` and `status`",
}


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch) -> Path:
    folder = open_project(tmp_path, db_url, monkeypatch)
    code, out, err = run("sync")
    assert code == 0, out + err
    return folder


def answer(*args: str) -> dict:
    code, out, err = run(*args, "--json")
    assert code == 0, out + err
    return json.loads(out)


def leaf_commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_every_command_but_the_scheduler_takes_json() -> None:
    cli.load_plugin_commands()
    missing = [
        " ".join(path)
        for path, command in leaf_commands(cli)
        if path not in NOT_REPORTING and not any(p.name == "as_json" for p in command.params)
    ]
    assert missing == []


def test_init_json_names_the_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = answer("init", "starter.toml")
    assert Path(data["config"]) == tmp_path / "starter.toml" and (tmp_path / "starter.toml").exists()
    assert "lerconnect check" in data["next"]


def test_db_upgrade_json_gives_the_revision(project: Path) -> None:
    _, text, _ = run("db", "upgrade")
    data = answer("db", "upgrade")
    assert data["revision"] and data["revision"] in text and data["store"] in text


def test_revoke_and_reinstate_json_report_what_was_signed(project: Path) -> None:
    listed = answer("credentials", "list")
    achievement = next(c for c in listed if c["kind"] == "achievement")

    revoked = answer("credentials", "revoke", achievement["id"], "--reason", "issued in error")
    assert (revoked["revoked"], revoked["kind"], revoked["reason"]) == (
        achievement["id"],
        "achievement",
        "issued in error",
    )
    assert revoked["issuing"]["clrs"] == 1  # the learner's CLR, re-issued without it
    assert revoked["issuing"]["withheld"] == 1

    reinstated = answer("credentials", "reinstate", achievement["id"][:20], "--reason", "grade confirmed")
    assert reinstated["revoked_stays"] == achievement["id"]
    assert (reinstated["issuing"]["issued"], reinstated["issuing"]["clrs"]) == (1, 1)
    code, out, err = run("credentials", "revoke", achievement["id"], "--reason", "again", "--json")
    assert code != 0 and "already revoked" in err and out == ""


def test_exports_json_count_what_they_wrote(project: Path) -> None:
    code, out, err = run("records", "export", "--out", "-", "--json")
    assert code == 0, err
    assert json.loads(err)["records"] == len(out.splitlines()) == 3  # the JSON summary keeps off the data

    data = answer("records", "export", "--out", "records.jsonl")
    assert data["records"] == 3 and Path(data["out"]) == project / "records.jsonl"

    data = answer("credentials", "export", "--out", "creds")
    assert data["credentials"] == len(list((project / "creds").glob("*-*.json"))) > 0
    assert data["status_lists"] and all((project / "creds" / p).is_file() for p in data["status_lists"])


def test_state_reset_json_lists_the_streams(project: Path) -> None:
    assert answer("state", "reset", "sis", "--yes") == {"source": "sis", "reset": ["grades"]}
