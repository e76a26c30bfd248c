"""`lerconnect verify <folder>`: every credential file below it, on a process pool, with the serial run's results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_issuing import PASSPHRASE_ENV, Campus

from connector_core import verify_files
from connector_core.cli import cli
from connector_core.testing import issuer_toml


@pytest.fixture
def exported(tmp_path: Path, store, monkeypatch) -> Path:
    """The issuing campus's credentials exported to a folder, with one tampered copy among them."""
    campus = Campus(tmp_path, store, monkeypatch)
    campus.sync()
    config = tmp_path / "lerconnect.toml"
    config.write_text(issuer_toml(PASSPHRASE_ENV))
    out = tmp_path / "export"
    result = CliRunner().invoke(
        cli, ["--config", str(config), "credentials", "export", "--db", campus.store.url, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    first = sorted(out.glob("achievement-*.json"))[0]
    tampered = json.loads(first.read_text())
    tampered["credentialSubject"]["result"][0]["value"] = "A+"
    (out / "zz-tampered.json").write_text(json.dumps(tampered))
    return out


def test_a_folder_is_verified_on_a_pool_with_exactly_the_serial_results(exported: Path, monkeypatch) -> None:
    monkeypatch.setattr(verify_files, "POOL_FROM", 2)  # the campus is small; make the pool start anyway
    started = []
    real = verify_files.ProcessPoolExecutor
    monkeypatch.setattr(verify_files, "ProcessPoolExecutor", lambda *a, **k: started.append(a[0]) or real(*a, **k))
    files = verify_files.credential_files([exported])
    options = verify_files.VerifyOptions(status_dirs=(exported,))
    serial = verify_files.verify_files(files, options, processes=1)
    assert not started, "one process asked for: no pool"
    assert verify_files.verify_files(files, options, processes=2) == serial
    assert started == [2], "two worker processes checked the folder"
    by_file = {Path(item["file"]).name: item for item in serial}
    assert len(by_file) == 13, "8 credentials, 4 CLRs and the tampered copy; the status lists are no *.json"
    assert not by_file.pop("zz-tampered.json")["verified"]
    assert all(item["verified"] for item in by_file.values()), [i for i in by_file.values() if not i["verified"]]
    clr = next(item for name, item in by_file.items() if name.startswith("clr-"))
    assert ["embedded", True, "2 embedded credential(s) verified"] in clr["checks"]


def test_verify_of_a_folder_checks_every_file_below_it_on_every_core(exported: Path, monkeypatch) -> None:
    monkeypatch.setattr(verify_files, "POOL_FROM", 2)
    monkeypatch.setattr(verify_files.os, "cpu_count", lambda: 2)
    started = []
    real = verify_files.ProcessPoolExecutor
    monkeypatch.setattr(verify_files, "ProcessPoolExecutor", lambda *a, **k: started.append(a[0]) or real(*a, **k))
    result = CliRunner().invoke(cli, ["verify", str(exported)])
    assert result.exit_code == 1 and "12 verified, 1 failed" in result.output, result.output
    assert "zz-tampered.json: FAILED" in result.output and "FAIL proof" in result.output
    assert started == [2]


def test_an_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["verify", str(tmp_path)])
    assert result.exit_code == 2 and "no *.json credential files in" in result.output
