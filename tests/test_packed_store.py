"""Documents are stored packed, read back unchanged, and an older store upgrades (and downgrades) losslessly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from test_issuing import Campus

from connector_core.store import credentials as cred_store
from connector_core.store import records as record_store
from connector_core.store.packed import pack, unpack


@pytest.fixture
def campus(tmp_path: Path, store, monkeypatch) -> Campus:
    return Campus(tmp_path, store, monkeypatch)


def _contents(campus: Campus) -> tuple[dict, dict]:
    credentials = {row.id: row.document for row in cred_store.list_credentials(campus.store)}
    records = {row.id: row.data for row, _ in record_store.iter_records(campus.store)}
    return credentials, records


def test_pack_keeps_the_value_and_its_key_order_and_is_smaller_than_json() -> None:
    document = {"z": 1, "a": [True, None, 2.5, "é"], "m": {"y": "x" * 200, "b": {}}}
    packed = pack(document)
    assert unpack(packed) == document
    assert list(unpack(packed)) == ["z", "a", "m"]
    assert len(packed) < len(json.dumps(document))
    with pytest.raises(ValueError, match="not a packed document"):
        unpack(b'{"plain": "json"}')


def test_credentials_and_records_are_stored_packed_not_as_json_text(campus: Campus) -> None:
    campus.sync()
    credentials, _ = _contents(campus)
    with campus.store.engine.connect() as connection:
        blob = connection.execute(text("SELECT document FROM credential WHERE kind = 'clr'")).scalars().first()
        data = connection.execute(text("SELECT data FROM learning_record")).scalars().first()
    assert bytes(blob)[:1] == b"\x01" and b"credentialSubject" not in bytes(blob)
    assert bytes(data)[:1] == b"\x01"
    clr = unpack(bytes(blob))
    assert clr == credentials[clr["id"]]
    assert campus.verify(clr).verified


def test_an_older_store_upgrades_to_packed_documents_and_back_without_loss(campus: Campus) -> None:
    campus.sync()
    before = _contents(campus)
    config = campus.store._alembic()
    command.downgrade(config, "claims")
    with campus.store.engine.connect() as connection:
        plain = connection.execute(text("SELECT document FROM credential")).scalars().first()
    plain = plain if isinstance(plain, dict) else json.loads(plain)  # psycopg parses json columns itself
    assert plain["type"][0] == "VerifiableCredential", "downgraded to plain JSON"
    campus.store.upgrade()
    assert _contents(campus) == before
    _, report = campus.sync()
    assert report.issued == 0 and report.clrs == 0, "the upgraded store is the same store: nothing to re-sign"
