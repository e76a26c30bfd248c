"""Fail at start, not at 2 a.m. (issue 8 §4): `check` and `run` validate everything a night needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from operator_project import PASSPHRASE_ENV, open_project, run


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch) -> Path:
    open_project(tmp_path, db_url, monkeypatch)
    return tmp_path


def _edit(project: Path, old: str, new: str) -> None:
    config = project / "lerconnect.toml"
    assert old in config.read_text()
    config.write_text(config.read_text().replace(old, new, 1))


def _checks(*args: str) -> tuple[int, dict[str, dict]]:
    code, out, _ = run("check", "--json", *args)
    return code, {c["check"]: c for c in json.loads(out)}


def test_a_good_night_passes_every_check(project: Path) -> None:
    _edit(project, 'plugin = "files"', 'plugin = "files"\nschedule = "0 2 * * 1-5"')
    code, checks = _checks()
    assert code == 0, checks
    assert set(checks) == {"time zone", "schedule sis", "store", "signing key", "status directory", "source sis"}
    assert checks["signing key"]["message"].startswith("decrypts; issuer DID did:key:z6Mk")
    code, out, _ = run("check")
    assert code == 0 and "6 checks passed, 0 failed" in out


def test_a_bad_schedule_names_the_source_and_key_and_run_refuses_to_start(project: Path) -> None:
    _edit(project, 'plugin = "files"', 'plugin = "files"\nschedule = "every night"')
    code, checks = _checks()
    assert code == 2 and not checks["schedule sis"]["ok"]
    assert "[sources.sis].schedule 'every night' is not a valid crontab" in checks["schedule sis"]["message"]
    code, out, err = run("run")
    assert code == 2 and "not starting" in err and "FAILED" in out


def test_time_zone_key_passphrase_status_directory_and_source_are_checked(project: Path, monkeypatch) -> None:
    (project / "lerconnect.toml").write_text(
        '[scheduler]\ntimezone = "Mars/Olympus"\n'
        + (project / "lerconnect.toml").read_text().replace('status_dir = "status"', 'status_dir = "grades.csv/x"')
    )
    monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
    (project / "grades.csv").rename(project / "grades.csv.bak")
    (project / "grades.csv").write_text("a file where a folder should be")
    _edit(project, 'path = "', 'path = "missing-')
    code, checks = _checks()
    assert code == 2  # the time zone is a configuration problem
    assert "scheduler.timezone 'Mars/Olympus' is not a known time zone" in checks["time zone"]["message"]
    assert not checks["signing key"]["ok"] and "passphrase" in checks["signing key"]["message"]
    assert not checks["status directory"]["ok"] and "cannot be written" in checks["status directory"]["message"]
    assert not checks["source sis"]["ok"] and "no file matches" in checks["source sis"]["message"]
    assert checks["store"]["ok"]
