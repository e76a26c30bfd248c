"""Status lists are reachable where credentials say they are: a plain static server over status_dir.

Credentials point at `<status_base_url>/1`; the list is written at exactly `status_dir/1`, so serving
`status_dir` at `status_base_url` answers every credential. `verify` stays offline unless told
`--fetch-status-lists` (status lists only, https or loopback http).
"""

from __future__ import annotations

import functools
import json
import threading
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_issuing import Campus

from connector_core.cli import cli
from connector_core.store import credentials as cred_store


@pytest.fixture
def web_root(tmp_path: Path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def served_campus(tmp_path: Path, store, monkeypatch, web_root) -> Campus:
    root, origin = web_root
    campus = Campus(tmp_path, store, monkeypatch)
    issuer = campus.settings.issuer.model_copy(
        update={"status_dir": root / "status", "status_base_url": f"{origin}/status"}
    )
    campus.settings = campus.settings.model_copy(update={"issuer": issuer})
    return campus


def verify_cli(path: Path, *options: str):
    return CliRunner().invoke(cli, ["verify", str(path), "--status-dir", str(path.parent / "nolists"), *options])


def test_list_is_written_at_its_url_path_and_verify_fetches_it(served_campus: Campus, web_root, tmp_path) -> None:
    root, origin = web_root
    served_campus.sync()
    credential = served_campus.live()[0].document
    url = credential["credentialStatus"]["statusListCredential"]
    assert url == f"{origin}/status/1"
    assert (root / "status" / "1").is_file() and not list((root / "status").glob("status-list-*"))
    with urllib.request.urlopen(url, timeout=10) as response:  # the plain static server answers the URL
        assert json.loads(response.read())["id"] == url

    path = tmp_path / "credential.json"
    (tmp_path / "nolists").mkdir()
    path.write_text(json.dumps(credential), encoding="utf-8")
    offline = verify_cli(path)
    assert (
        offline.exit_code == 1
        and "STATUS_RETRIEVAL_ERROR" in offline.output
        and "--fetch-status-lists" in offline.output
    )
    fetched = verify_cli(path, "--fetch-status-lists")
    assert fetched.exit_code == 0, fetched.output
    assert "revocation: index" in fetched.output and "is clear" in fetched.output

    cred_store.revoke_by_hand(served_campus.store, credential["id"], "issued in error")
    served_campus.service().publish_status_lists()
    revoked = verify_cli(path, "--fetch-status-lists")
    assert revoked.exit_code == 1 and "is set in" in revoked.output, revoked.output


def test_a_list_url_outside_loopback_over_plain_http_is_not_fetched(tmp_path: Path) -> None:
    from connector_core.issuer.status_fetch import HttpStatusLists

    with pytest.raises(LookupError, match="https"):
        HttpStatusLists()("http://status.example.edu/status/1")
