"""No secret reaches the store, any command's output or either log format, whatever it holds (issue 10 §9).

The source's token is echoed back by the server in its error body; the store URL carries a password
(PostgreSQL); the key passphrase comes from `${VAR}`. Each secret holds quotes, a backslash and
non-ASCII text. Every form a secret could take (as is, JSON-escaped, percent-encoded) is looked for.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import example_source
import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.engine import make_url
from werkzeug.wrappers import Request, Response

from connector_core import plugins
from connector_core.cli import cli
from connector_core.config import load_settings
from connector_core.issuer import SigningKey
from connector_core.plugins import load_registry
from connector_core.scheduler import build_scheduler
from connector_core.testing import serve_sandbox

TOKEN = 'tok"en\\ünï-ß-7f3a'  # HTTP headers carry Latin-1 only
PASSWORD = 'pa"ss\\wörd-🔑-9c1e'
PASSPHRASE = 'pass"phrase\\ß-2b8d'


def forms(secret: str) -> list[str]:
    return [secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=True)[1:-1], quote(secret, safe="")]


def leaks(text: str) -> list[str]:
    return [f for s in (TOKEN, PASSWORD, PASSPHRASE) for f in forms(s) if f in text]


def echoing_server(environ, start_response):  # a server that puts the caller's token in its error body
    request = Request(environ)
    body = json.dumps({"error": f"invalid token {request.headers.get('Authorization')}"}, ensure_ascii=False)
    return Response(body, status=401, content_type="application/json")(environ, start_response)


def store_text(db_url: str) -> str:
    """Every value of every table (the SQLite file's bytes, too), as text to search."""
    chunks = []
    if db_url.startswith("sqlite"):
        raw = Path(make_url(db_url).database).read_bytes()
        chunks.append(raw.decode("utf-8", "replace"))
    engine = create_engine(db_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)):
                    for value in row:
                        chunks.append(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
    finally:
        engine.dispose()
    return "\n".join(chunks)


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch):
    url = db_url if db_url.startswith("sqlite") else make_url(db_url).set(password=PASSWORD).render_as_string(False)
    monkeypatch.setenv("STORE_URL", url)
    monkeypatch.setenv("API_TOKEN", TOKEN)
    monkeypatch.setenv("KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(plugins, "default_registry", lambda: load_registry(extra_modules=(example_source,)))
    SigningKey.generate().save(tmp_path / "key.pem", PASSPHRASE)
    with serve_sandbox(echoing_server) as base_url:
        config = tmp_path / "lerconnect.toml"
        config.write_text(
            f'[store]\nurl = "${{STORE_URL}}"\n'
            f'[issuer]\nkey_file = "key.pem"\npassphrase = "${{KEY_PASSPHRASE}}"\n'
            f'[sources.api]\nplugin = "example"\nbase_url = "{base_url}"\ntoken = "${{API_TOKEN}}"\n'
            f'schedule = "0 2 * * *"\nstreams = ["grades"]\n'
        )
        yield config, url


def test_no_secret_in_the_store_in_any_output_or_in_either_log_format(project, db_url: str) -> None:
    config, url = project
    outputs = []

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
        outputs.append(f"$ {' '.join(args)}\n{result.output}")
        return result.output

    run("db", "upgrade")
    for log_format in ("text", "json"):
        base = ("--log-format", log_format, "--log-level", "DEBUG")
        assert "invalid token" in run(*base, "sync", "--json"), outputs[-1]
        run(*base, "sync")
        run(*base, "check")
        run(*base, "keys", "show")
    run_id = re.search(r'"run_id": "([0-9a-f]+)"', "\n".join(outputs)).group(1)
    run("runs")
    run("runs", "--json")
    run("runs", "show", run_id)
    run("runs", "show", run_id, "--json")
    run("dead-letters", "--json")
    build_scheduler(load_settings(config), url, config_path=config).shutdown(wait=False)  # what `run` stores

    everything = "\n".join(outputs)
    assert "***" in everything  # the echoed token was there, masked
    assert leaks(everything) == [], everything
    assert leaks(store_text(db_url)) == []
