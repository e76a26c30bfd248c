"""Small defects of issue 10: unknown streams, an unreachable store, a hostile status folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from connector_core.cli import cli
from connector_core.store import Store
from connector_core.testing import shared_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_an_unknown_stream_name_is_a_configuration_error(tmp_path: Path, db_url: str, store: Store) -> None:
    config = tmp_path / "lerconnect.toml"
    config.write_text(
        '[sources.engage]\nplugin = "files"\nstreams = ["gradez"]\n'
        '[sources.engage.files.cocurricular]\npath = "*.csv"\n'
        "[sources.engage.files.cocurricular.columns]\n"
        'record_id = "id"\nlearner_id = "s"\nachievement_id = "a"\ntitle = "t"\n'
    )
    code, out = invoke("--config", str(config), "sync", "--db", db_url)
    assert code == 2, out
    assert "[sources.engage].streams names 'gradez'" in out and "grades" in out and "Traceback" not in out


def test_an_unreachable_store_names_the_url_without_its_password() -> None:
    code, out = invoke("runs", "--db", "postgresql+psycopg://registrar:hunter2-pw@127.0.0.1:9/lerconnect")
    assert code == 3, out
    assert "cannot reach the database postgresql+psycopg://registrar:***@127.0.0.1:9/lerconnect" in out
    assert "hunter2-pw" not in out and "Traceback" not in out


def test_a_deeply_nested_json_file_among_the_status_lists_is_skipped(tmp_path: Path) -> None:
    example = shutil.copy(shared_path("standards", "examples", "ob-v3p0", "signed", "simple.json"), tmp_path)
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    proof = json.loads(Path(example).read_text())["proof"]
    method = (proof[0] if isinstance(proof, list) else proof)["verificationMethod"]
    did = tmp_path / "issuer.did"
    did.write_text(json.dumps({"verificationMethod": [{"id": method, "publicKeyMultibase": method.split("#")[1]}]}))

    code, out = invoke("verify", str(example), "--did-document", str(did))

    assert code == 0, out
    assert "pass proof" in out and "RecursionError" not in out
