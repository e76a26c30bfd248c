"""Partitions of a stream: own cursors, a pass that completes only when all did, leases, the executors.

The local executor's pool and the config's executor checks run everywhere (SQLite included); the
Celery executor's own tests are in test_celery_executor.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from distributed_kit import (
    PASSPHRASE,
    credentials_of,
    records_of,
    share_key,
    status_slots,
    write_config,
    write_export,
)
from sqlalchemy import select

from connector_core import Learner, LearningRecord, Page, Source, SourceConfig, SourceError, hookimpl
from connector_core.config import ConfigError, load_settings, settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.pipeline import Pipeline
from connector_core.plugins import default_registry, load_registry
from connector_core.store import Store, partitions
from connector_core.store.tables import ClaimItemRow, CredentialRow, RecordRow, StreamStateRow

TERMS: dict[str, list[str]] = {}
"""Partition -> the record ids the fake source returns for it."""
FAILING: set[str] = set()
PULLS: list[tuple[str, Any]] = []


class TermsSource(Source):
    """A source whose one stream is split by term; each partition's cursor is the last id it read."""

    name = "terms"
    Config = SourceConfig
    streams: ClassVar[tuple[str, ...]] = ("grades",)

    def check(self) -> str:
        return f"{len(TERMS)} terms"

    def partitions(self, stream: str) -> list[str] | None:
        return sorted(TERMS)

    def pull(self, stream: str, cursor: Any, partition: str | None = None) -> Iterator[Page]:
        assert partition is not None
        PULLS.append((partition, cursor))
        ids = [i for i in TERMS[partition] if cursor is None or i > cursor]
        for start in range(0, len(ids), 2):
            if partition in FAILING and start >= 2:
                raise SourceError(f"term {partition} is down")
            chunk = ids[start : start + 2]
            yield Page([{"id": i, "term": partition} for i in chunk], cursor=chunk[-1])

    def normalize(self, stream: str, raw: Mapping[str, Any]) -> Iterator[LearningRecord]:
        yield LearningRecord.cocurricular(
            source_id=raw["id"],
            learner=Learner(source_id=f"S-{raw['id']}"),
            activity_key=f"club-{raw['term']}",
            activity=f"Club {raw['term']}",
            completed_on="2025-10-01",
        )


@hookimpl
def lerconnect_register_sources(register: Any) -> None:
    register(TermsSource)


@pytest.fixture
def terms() -> Iterator[dict[str, list[str]]]:
    TERMS.clear()
    TERMS.update({"2025FA": [f"fa{i}" for i in range(5)], "2026SP": [f"sp{i}" for i in range(4)]})
    FAILING.clear()
    PULLS.clear()
    yield TERMS


def engine(store: Store) -> SyncEngine:
    settings = settings_from_dict({"sources": {"t": {"plugin": "terms"}}})
    return SyncEngine(store, load_registry(extra_modules=(sys.modules[__name__],)), settings)


def active(store: Store) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(RecordRow.source_record_id).where(RecordRow.status == "active")))


def test_each_partition_keeps_its_own_cursor(store: Store, terms: dict[str, list[str]]) -> None:
    (first,) = engine(store).sync("t")
    assert first.status == "succeeded" and first.count("new") == 9
    rows = {row.key: row for row in partitions.of_stream(store, "t", "grades")}
    assert rows["2025FA"].cursor == "fa4" and rows["2026SP"].cursor == "sp3" and all(r.done for r in rows.values())

    terms["2026SP"].append("sp4")
    PULLS.clear()
    (second,) = engine(store).sync("t")
    assert second.count("new") == 1
    assert sorted(PULLS) == [("2025FA", "fa4"), ("2026SP", "sp3")]  # each resumed from its own cursor


def test_a_full_pass_withdraws_only_once_every_partition_finished(store: Store, terms: dict[str, list[str]]) -> None:
    engine(store).sync("t")
    terms["2025FA"].remove("fa1")  # gone at the source
    FAILING.add("2026SP")

    (broken,) = engine(store).sync("t", full=True)
    assert broken.status == "failed" and "term 2026SP is down" in broken.error
    assert "fa1" in active(store)  # one partition unfinished: nothing is withdrawn yet
    with store.session() as session:
        assert session.get(StreamStateRow, ("t", "grades")).pass_open

    FAILING.clear()
    PULLS.clear()
    (resumed,) = engine(store).sync("t")
    assert resumed.status == "succeeded", resumed.error
    assert [p for p, _ in PULLS] == ["2026SP"]  # the finished partition is not read again
    assert PULLS[0][1] == "sp1"  # the unfinished one resumes after its last committed page
    assert resumed.count("withdrawn") == 1 and "fa1" not in active(store)
    kept = {r.key: r.done for r in partitions.of_stream(store, "t", "grades")}
    assert kept == {"2025FA": True, "2026SP": True}


def test_a_partition_lease_is_one_attempts_until_it_expires_or_its_holder_dies(
    store: Store, terms: dict[str, list[str]]
) -> None:
    partitions.seed(store, "t", "grades", ["2025FA"], generation=1, full=True)
    ttl = timedelta(seconds=60)

    def claim(token: str, holder: str, gone: bool = False) -> partitions.Claim:
        return partitions.claim(
            store,
            "t",
            "grades",
            "2025FA",
            generation=1,
            run_id="r1",
            token=token,
            holder=holder,
            ttl=ttl,
            holder_gone=lambda _h: gone,
        )

    assert claim("a", "other-host:1").status == "held"
    assert claim("b", "other-host:2").status == "busy"  # a second delivery of the same task
    assert claim("c", "this-host:3", gone=True).status == "held"  # its holder's process is gone
    (row,) = partitions.of_stream(store, "t", "grades")
    with store.session() as session:
        assert not partitions.renew(session, row, "a", ttl)  # the first attempt lost it: its next page stops
        assert partitions.renew(session, row, "c", ttl)
    assert claim("d", "x:4", gone=False).status == "busy"
    assert (
        partitions.claim(
            store, "t", "grades", "2025FA", generation=2, run_id="r2", token="e", holder="x:5", ttl=ttl
        ).status
        == "stale"
    )


def test_the_local_pool_stores_and_signs_what_one_process_does(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LERCONNECT_KEY_PASSPHRASE", PASSPHRASE)
    write_export(tmp_path / "one" / "export", 3, 60)
    write_export(tmp_path / "two" / "export", 3, 60)
    one = write_config(tmp_path / "one", f"sqlite:///{tmp_path / 'one.db'}", processes=1)
    share_key(tmp_path / "one", tmp_path / "two")  # one issuer: the same credential ids
    two = write_config(tmp_path / "two", db_url, processes=2)
    nights, stored = {}, {}
    for name, config in (("one", one), ("two", two)):
        settings = load_settings(config)
        store = Store(settings.store.url, auto_upgrade=True)
        nights[name] = Pipeline(store, default_registry(), settings).run()
        stored[name] = (records_of(store), credentials_of(store), status_slots(store))
        store.dispose()
    assert nights["one"].succeeded and nights["two"].succeeded, nights["two"]
    assert nights["two"].issuing.issued > 0 and nights["two"].issuing.clrs > 0
    assert stored["one"][:2] == stored["two"][:2] and len(stored["two"][0]) == 180
    assert len(set(stored["two"][2])) == len(stored["two"][2])  # no status-list index used twice


def test_a_night_on_the_local_pool_announces_what_its_worker_processes_signed(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claim links cover every credential of the night, wherever it was signed: the delivery sink
    reads the night's credentials back from the store instead of collecting them in one process."""
    monkeypatch.setenv("LERCONNECT_KEY_PASSPHRASE", PASSPHRASE)
    write_export(tmp_path / "export", 3, 60)
    config = write_config(tmp_path, db_url, processes=2)
    text = config.read_text().replace("[engine]\n", "[engine]\nissue_batch = 40  # several signing tasks\n")
    config.write_text(text + '\n[delivery]\nsink = "csv"\ncsv_dir = "claims"\n')
    settings = load_settings(config)
    store = Store(settings.store.url, auto_upgrade=True)
    try:
        night = Pipeline(store, default_registry(), settings).run()
        assert night.succeeded and night.issuing.issued == 180 and night.issuing.clrs > 0, night
        with store.session() as session:
            live = {
                (c.id, c.learner_key)
                for c in session.scalars(select(CredentialRow).where(CredentialRow.status == "active"))
            }
            queued = {(i.credential_id, i.learner_key) for i in session.scalars(select(ClaimItemRow))}
            announced = {
                i.learner_key for i in session.scalars(select(ClaimItemRow).where(ClaimItemRow.claim_id.is_not(None)))
            }
    finally:
        store.dispose()
    assert queued == live  # the 180 achievement credentials and every CLR, none left out
    [sheet] = (tmp_path / "claims").glob("*.csv")
    assert len(sheet.read_text().splitlines()) - 1 == len(announced) == len({key for _, key in live})


def test_celery_needs_a_broker_and_a_store_every_worker_can_open(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"engine.broker_url is not set: add broker_url = \"redis://"):
        settings_from_dict({"store": {"url": "postgresql+psycopg://x@db/l"}, "engine": {"executor": "celery"}})
    with pytest.raises(ConfigError, match=r"SQLite file .* which workers on other machines cannot share"):
        settings_from_dict({"engine": {"executor": "celery", "broker_url": "redis://127.0.0.1:6379/0"}})
    with pytest.raises(ConfigError, match="must be a redis:// or amqp:// URL"):
        settings_from_dict(
            {"store": {"url": "postgresql+psycopg://x@db/l"}, "engine": {"executor": "celery", "broker_url": "x://y"}}
        )
    settings = settings_from_dict(
        {"store": {"url": "postgresql+psycopg://x@db/l"}, "engine": {"executor": "celery", "broker_url": "redis://b/0"}}
    )
    assert settings.engine.budget_url() == "redis://b/0"  # rate budgets shared through the Redis broker
