"""credentialSchema on every OB and CLR credential we issue; `verify` validates against the pinned
1EdTech schemas when the credential names them (files from ../shared/standards/schemas here)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_issuing import Campus

from connector_core.cli import cli
from connector_core.issuer import verify_credential
from connector_core.issuer.schemas import CLR_SCHEMA, OB_ACHIEVEMENT_SCHEMA, VALIDATOR_TYPE, PinnedSchemas
from connector_core.testing import shared_path


@pytest.fixture
def schemas() -> Path:
    """The 1EdTech schemas of the shared reference data (the test skips without them)."""
    return shared_path("standards", "schemas")


def schema_check(result):
    return next(c for c in result.checks if c.name == "schema")


@pytest.fixture
def issued(tmp_path: Path, store, monkeypatch) -> Campus:
    campus = Campus(tmp_path, store, monkeypatch)
    campus.sync()
    return campus


def test_every_credential_names_its_1edtech_schema_and_passes_it(issued: Campus, schemas: Path) -> None:
    resolver = PinnedSchemas([schemas])
    for kind, url in (("achievement", OB_ACHIEVEMENT_SCHEMA), ("clr", CLR_SCHEMA)):
        for row in issued.live(kind):
            assert row.document["credentialSchema"] == [{"id": url, "type": VALIDATOR_TYPE}]
            assert "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json" in row.document["@context"]
            result = verify_credential(
                row.document, status_resolver=issued.lists().__getitem__, schema_resolver=resolver
            )
            assert result.verified, result.failures()
            assert schema_check(result).passed is True, schema_check(result).message


def test_a_credential_breaking_its_schema_fails_the_schema_check(issued: Campus, schemas: Path) -> None:
    document = copy.deepcopy(issued.live()[0].document)
    document["credentialSubject"]["result"][0]["status"] = "Graduated"  # not in the Result status enum
    check = schema_check(verify_credential(document, schema_resolver=PinnedSchemas([schemas])))
    assert check.passed is False and "credentialSubject/result" in check.message and "Graduated" in check.message


def test_missing_or_altered_schema_files_are_never_trusted(issued: Campus, tmp_path: Path) -> None:
    document = issued.live()[0].document
    missing = schema_check(verify_credential(document, schema_resolver=PinnedSchemas([])))
    assert missing.passed is None and "--schema-dir" in missing.message
    altered = tmp_path / "altered"
    altered.mkdir()
    (altered / "ob_v3p0_achievementcredential_schema.json").write_text('{"type": "object"}')
    check = schema_check(verify_credential(document, schema_resolver=PinnedSchemas([altered])))
    assert check.passed is False and "is pinned at" in check.message


def test_verify_command_validates_named_schema(issued: Campus, tmp_path: Path, schemas: Path) -> None:
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(issued.live("clr")[0].document), encoding="utf-8")
    result = CliRunner().invoke(cli, ["verify", str(path), "--schema-dir", str(schemas)])
    assert "valid against clr_v2p0_clrcredential_schema.json" in result.output, result.output


def test_every_result_has_a_stable_id_of_its_own(issued: Campus) -> None:
    """Identical blank-node results in several embedded credentials made LearnCard (Rust ssi) reject
    45 % of demo CLRs; a result id per credential removes the repeated structure (tests/interop)."""
    for clr in issued.live("clr"):
        results = [
            r
            for vc in clr.document["credentialSubject"]["verifiableCredential"]
            for r in vc["credentialSubject"]["result"]
        ]
        ids = [r["id"] for r in results]
        assert all(i.startswith("urn:uuid:") for i in ids) and len(set(ids)) == len(ids)
    again = {r.document["id"]: r.document["credentialSubject"]["result"][0]["id"] for r in issued.live()}
    issued.sync()  # nothing changed: same credentials, same result ids
    assert {r.document["id"]: r.document["credentialSubject"]["result"][0]["id"] for r in issued.live()} == again
