"""Credentials handed to a wallet (re-signed for the holder's DID) verify with Digital Bazaar's and
LearnCard's verifiers too, and Digital Bazaar reads the original's revocation on the bound copy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_issuing import Campus
from test_npm_verifiers import node_verify, pytestmark  # noqa: F401 - the same skips (node, npm ci)

from connector_core.delivery.handover import hand_over
from connector_core.issuer import DocumentLoader, SigningKey
from connector_core.store import claims as claim_store
from connector_core.store import credentials as cred_store


def _write(folder: Path, documents: list[dict], lists: list[dict]) -> Path:
    folder.mkdir()
    for n, document in enumerate(documents):
        (folder / f"bound-{n}.json").write_text(json.dumps(document), encoding="utf-8")
    for listed in lists:  # status lists at their URL's path: no extension
        (folder / listed["id"].rsplit("/", 1)[1]).write_text(json.dumps(listed), encoding="utf-8")
    return folder


@pytest.fixture
def bound(tmp_path: Path, store, monkeypatch) -> tuple[Campus, list[dict], Path]:
    campus = Campus(tmp_path, store, monkeypatch)
    campus.sync()
    service = campus.service()
    learner = campus.live()[0].learner_key
    rows = claim_store.live_credentials(store, learner)
    expires = datetime.now(UTC) + timedelta(minutes=15)
    offer = claim_store.create_offer(store, "vcapi", "0" * 64, learner, [r.id for r in rows], expires)
    holder = SigningKey.generate().did_key
    documents = hand_over(service, offer, learner, [r.id for r in rows], holder)
    assert all(d["credentialSubject"]["id"] == holder for d in documents)
    return campus, documents, DocumentLoader().export(tmp_path / "contexts")


def test_both_verifiers_accept_the_holder_bound_copies(bound, tmp_path: Path) -> None:
    campus, documents, contexts = bound
    folder = _write(tmp_path / "bound", documents, campus.service().status_list_documents())
    summary = node_verify(contexts, folder)
    for verifier in ("db", "learncard"):
        result = summary[verifier]
        assert result["failures"] == [], (verifier, result["failures"][:3])
        assert result["ob"]["accepted"] == result["ob"]["total"] == len(documents) - 1
        assert result["clr"]["accepted"] == result["clr"]["total"] == 1


def test_digital_bazaar_reads_the_originals_revocation_on_the_bound_copy(bound, tmp_path: Path) -> None:
    campus, documents, contexts = bound
    course = next(d for d in documents if "OpenBadgeCredential" in d["type"])
    (original,) = [r for r in campus.live() if r.document["credentialStatus"] == course["credentialStatus"]]
    cred_store.revoke_by_hand(campus.store, original.id, "interop test")
    folder = _write(tmp_path / "revoked", [course], campus.service().status_list_documents())
    summary = node_verify(contexts, folder, "--only", "db")["db"]
    assert summary["ob"] == {"total": 1, "accepted": 0}
    assert "status bit set: revocation" in summary["failures"][0]["error"]
