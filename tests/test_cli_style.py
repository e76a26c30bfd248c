"""One style of output (issue 8 §11): labelled views, id prefixes, --json, plurals, summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from operator_project import open_project, run


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch) -> Path:
    open_project(tmp_path, db_url, monkeypatch)
    code, out, err = run("sync")
    assert code == 0, out + err
    assert "2 CLRs; 0 records held" in out
    return tmp_path


def test_runs_show_is_an_ordered_labelled_view(project: Path) -> None:
    run_id = json.loads(run("runs", "--json")[1])[0]["id"]
    code, out, _ = run("runs", "show", run_id[:6])
    labels = [line.split(":", 1)[0] for line in out.splitlines() if line and not line.startswith(" ")]
    assert code == 0 and labels[:6] == ["run", "source", "stream", "status", "kind", "started (UTC)"]
    assert "model_dump" not in out and "datetime.datetime(" not in out and "{'pull'" not in out
    assert f"run:             {run_id}" in out and "1 dead letter:" in out


def test_credential_ids_take_prefixes_and_show_has_json(project: Path) -> None:
    credential = json.loads(run("credentials", "list", "--json")[1])[0]["id"]
    prefix = credential.removeprefix("urn:uuid:")[:8]
    code, out, err = run("credentials", "show", prefix, "--json")
    shown = json.loads(out)
    assert code == 0 and shown["credential"]["id"] == credential and shown["audit"][0]["action"] == "issue"
    code, _, err = run("credentials", "show", "zzzz")
    assert code == 1 and "no credential 'zzzz'" in err


def test_verify_ends_with_a_summary_line(project: Path) -> None:
    assert run("credentials", "export", "--out", "export")[0] == 0
    files = sorted(str(p) for p in (project / "export").glob("achievement-*.json"))
    code, out, _ = run("verify", *files)
    assert code == 0 and out.splitlines()[-1] == "3 verified, 0 failed"


def test_keys_generate_prints_the_did_the_config_will_use_and_keys_speak_json(tmp_path: Path) -> None:
    config = tmp_path / "web.toml"
    config.write_text('[issuer]\nkey_file = "k.pem"\ndid_method = "web"\ndomain = "registrar.example.edu"\n')
    env = {"LERCONNECT_KEY_PASSPHRASE": "s3cret-pass"}
    code, out, _ = run("--config", str(config), "keys", "generate", env=env)
    assert code == 0 and "DID the config will use: did:web:registrar.example.edu" in out
    code, out, _ = run("--config", str(config), "keys", "show", "--json", env=env)
    assert code == 0 and json.loads(out)["did"] == "did:web:registrar.example.edu"


def test_help_lists_the_new_command_groups() -> None:
    code, out, _ = run("--help")
    assert code == 0 and all(name in out for name in ("state", "learners", "dead-letters", "identities"))
