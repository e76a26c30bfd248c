"""A registrar's project on disk for CLI tests: a grades export, a files source, an issuer with a key."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from connector_core.cli import cli
from connector_core.issuer import SigningKey
from connector_core.testing import files_grades_toml, issuer_toml

PASSPHRASE_ENV = "OPERATOR_TEST_PASSPHRASE"
PASSPHRASE = "correct horse battery staple"
HEADER = ["id", "student", "email", "first", "last", "course", "title", "grade", "completed"]
ROWS = [
    ["e1", "S1", "ada@example.edu", "Ada", "Lovelace", "C1", "Calculus I", "A", "2026-05-10"],
    ["e2", "S1", "ada@example.edu", "Ada", "Lovelace", "C2", "Physics I", "B", "2026-05-10"],
    ["e3", "S2", "alan@example.edu", "Alan", "Turing", "C1", "Calculus I", "A-", "2026-05-10"],
    ["e4", "S3", "grace@example.edu", "Grace", "Hopper", "C2", "Physics I", "B+", "not-a-date"],
]
PERSON_COLUMNS = {"email": "email", "given_name": "first", "family_name": "last"}
ISSUER = issuer_toml(PASSPHRASE_ENV)


def source_toml(name: str, path: Path) -> str:
    """A files source `name` over a grades CSV with this project's header (names and emails verified)."""
    return files_grades_toml(name, str(path), columns=PERSON_COLUMNS, email_verified=True)


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)


def make_project(folder: Path, *, issuer: bool = True) -> Path:
    """Write the export, the config and (with `issuer`) an encrypted key; returns the config path."""
    write_csv(folder / "grades.csv", ROWS)
    config = folder / "lerconnect.toml"
    config.write_text((ISSUER if issuer else "") + source_toml("sis", folder / "grades.csv"))
    if issuer:
        SigningKey.generate().save(folder / "key.pem", PASSPHRASE)
    return config


def open_project(folder: Path, db_url: str, monkeypatch, *, issuer: bool = True) -> Path:
    """Make the project, work inside it with its store at `db_url` (migrated: PostgreSQL never is
    behind the operator's back) and the key's passphrase set."""
    make_project(folder, issuer=issuer)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("LERCONNECT_DB", db_url)
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    code, out, err = run("db", "upgrade")
    assert code == 0, out + err
    return folder


def run(*args: str, env: dict[str, str | None] | None = None, stdin: str | None = None) -> tuple[int, str, str]:
    """Invoke the CLI in-process; returns exit code, stdout, stderr."""
    result = CliRunner().invoke(cli, list(args), env=env, input=stdin)
    return result.exit_code, result.stdout, result.stderr
