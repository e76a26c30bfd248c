"""`lerconnect serve` commands: clients add/list/remove, settings; FastAPI stays unloaded for --help."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner

from connector_core.cli import cli
from connector_core.config import ServeSettings, settings_from_dict
from connector_core.serve.clients import authenticate
from connector_core.settings_doc import settings_of
from connector_core.store import Store

ROOT = Path(__file__).resolve().parents[2]


def test_clients_add_list_remove(tmp_path: Path) -> None:
    db = str(tmp_path / "serve.db")
    runner = CliRunner()
    added = runner.invoke(cli, ["serve", "--db", db, "clients", "add", "Registrar CRM", "--scope", "issue", "--json"])
    assert added.exit_code == 0, added.output
    client = json.loads(added.output)
    store = Store(db)
    assert authenticate(store, client["client_id"], client["client_secret"]) is not None
    listed = runner.invoke(cli, ["serve", "--db", db, "clients", "list"])
    assert client["client_id"] in listed.output and "Registrar CRM" in listed.output
    assert client["client_secret"] not in listed.output
    removed = runner.invoke(cli, ["serve", "--db", db, "clients", "remove", client["client_id"], "--json"])
    assert removed.exit_code == 0
    assert json.loads(removed.output) == {"client_id": client["client_id"], "removed": True}
    assert authenticate(store, client["client_id"], client["client_secret"]) is None
    again = runner.invoke(cli, ["serve", "--db", db, "clients", "remove", client["client_id"]])
    assert again.exit_code != 0 and "no client" in again.output
    bad = runner.invoke(cli, ["serve", "--db", db, "clients", "add", "X", "--scope", "admin"])
    assert bad.exit_code == 2
    store.dispose()


def test_every_serve_setting_is_documented() -> None:
    docs = settings_of(ServeSettings)
    assert [d.key for d in docs if not d.description] == []
    output = CliRunner().invoke(cli, ["serve", "settings"]).output
    assert all(f"[serve].{d.key}" in output for d in docs)


def test_the_readme_serve_table_is_a_valid_config() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(\[serve\]\n.*?)```", readme, re.S).group(1)
    settings = settings_from_dict(tomllib.loads(block.replace("file:/run/secrets/serve-key", "x")))
    assert settings.serve.public_base_url.startswith("https://")


def test_help_does_not_load_the_web_framework() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from connector_core.cli import cli; "
        "r = CliRunner().invoke(cli, ['--help']); assert r.exit_code == 0 and 'serve' in r.output, r.output; "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"


def test_lerconnect_serve_starts_and_answers(tmp_path: Path) -> None:
    import os
    import signal
    import time

    import requests

    from connector_core.issuer import SigningKey
    from connector_core.serve.runner import bound_socket

    SigningKey.generate().save(tmp_path / "key.pem", "pass phrase")
    (tmp_path / "lerconnect.toml").write_text(
        f"""
[store]
url = "{tmp_path / "serve.db"}"
[issuer]
key_file = "key.pem"
passphrase_env = "SERVE_TEST_PASSPHRASE"
did_method = "web"
domain = "registrar.test.example.edu"
[serve]
public_base_url = "https://registrar.test.example.edu"
""",
        encoding="utf-8",
    )
    Store(str(tmp_path / "serve.db"), auto_upgrade=True).dispose()
    probe = bound_socket("127.0.0.1", 0)
    port = probe.getsockname()[1]
    probe.close()
    lerconnect = Path(sys.executable).with_name("lerconnect")
    env = {**os.environ, "SERVE_TEST_PASSPHRASE": "pass phrase"}
    args = [str(lerconnect), "--config", str(tmp_path / "lerconnect.toml"), "serve", "--port", str(port)]
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, response = time.monotonic() + 60, None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/.well-known/did.json", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert response is not None, process.communicate(timeout=10)
        assert response.status_code == 200 and response.json()["id"] == "did:web:registrar.test.example.edu"
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "GET /.well-known/did.json 200" in err  # the access log: route, status, no body


def test_a_wrong_passphrase_fails_start_up_with_the_reason(tmp_path: Path) -> None:
    import os

    from connector_core.issuer import SigningKey

    SigningKey.generate().save(tmp_path / "key.pem", "right")
    (tmp_path / "lerconnect.toml").write_text(
        '[store]\nurl = "serve.db"\n[issuer]\nkey_file = "key.pem"\npassphrase_env = "SERVE_TEST_PASSPHRASE"\n',
        encoding="utf-8",
    )
    Store(str(tmp_path / "serve.db"), auto_upgrade=True).dispose()
    lerconnect = Path(sys.executable).with_name("lerconnect")
    env = {**os.environ, "SERVE_TEST_PASSPHRASE": "not-the-right-one-9f3"}
    result = subprocess.run(
        [str(lerconnect), "--config", str(tmp_path / "lerconnect.toml"), "serve", "--db", str(tmp_path / "serve.db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1 and "cannot decrypt key file" in result.stderr
    assert "Traceback" not in result.stderr and "Serving on" not in result.stderr
