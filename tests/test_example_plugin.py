"""The in-repo example plugin over real loopback HTTP, and the test kit catching broken variants of it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import example_source
import pytest
import requests
from example_source import ExampleApi, ExampleSource, example_table, seed

from connector_core import LearningRecord, Page, SourceAuthError, testing
from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.plugins import load_registry
from connector_core.sandbox import build_campus
from connector_core.store import Store, records
from connector_core.testing import (
    check_source_contract,
    make_source,
    run_contract,
    serve_sandbox,
)

lerconnect_sandbox = testing.lerconnect_sandbox  # the kit's fixture, as a plugin author would use it


@pytest.fixture
def api() -> ExampleApi:
    api = ExampleApi()
    seed(api, 9)
    seed(api, 2, stream="activities")
    return api


@pytest.fixture
def base_url(api: ExampleApi) -> Iterator[str]:
    with serve_sandbox(api) as url:
        yield url


def test_the_api_pages_with_link_headers(api: ExampleApi, base_url: str) -> None:
    headers = {"Authorization": f"Bearer {example_source.TOKEN}"}
    first = requests.get(f"{base_url}/api/grades?per_page=4", headers=headers, timeout=5)
    assert [r["id"] for r in first.json()] == ["g0001", "g0002", "g0003", "g0004"]
    assert first.links["next"]["url"] == f"{base_url}/api/grades?after=4&per_page=4"
    last = requests.get(f"{base_url}/api/grades?after=8&per_page=4", headers=headers, timeout=5)
    assert [r["id"] for r in last.json()] == ["g0009"] and "next" not in last.links
    assert requests.get(f"{base_url}/api/grades", timeout=5).status_code == 401


def test_registered_through_load_registry_and_synced_end_to_end(store: Store, api: ExampleApi, base_url: str) -> None:
    registry = load_registry(extra_modules=(example_source,))
    assert registry.sources["example"] is ExampleSource
    assert registry.source_plugin["example"].name == "example_source"
    assert registry.source_plugin["example"].version == "0.0.1"
    settings = settings_from_dict({"sources": {"lms": example_table(base_url, streams=None, page_size=2)}})
    engine = SyncEngine(store, registry, settings)
    assert engine.make_source("lms").check() == "signed in as lerconnect service account"

    results = {r.stream: r for r in engine.sync("lms")}

    assert {s: (r.status, r.count("new"), r.count("pages")) for s, r in results.items()} == {
        "grades": ("succeeded", 9, 5),
        "activities": ("succeeded", 2, 1),
    }
    stored = {(row.stream, row.source_record_id): row for row, _ in records.iter_records(store, source="lms")}
    assert len(stored) == 11
    row = stored["grades", "g0004"]
    assert (row.stream, row.plugin, row.plugin_version, row.data["result"]["grade"]) == (
        "grades",
        "example",
        "0.0.1",
        "C",
    )
    assert row.data["achievement"]["credits"] == "4"
    assert sum(1 for p in api.requests_seen if p.startswith("/api/grades")) == 5


def test_a_refused_token_says_which_setting_to_fix(base_url: str) -> None:
    source = make_source(ExampleSource, example_table(base_url, token="wrong"), name="lms")
    with pytest.raises(
        SourceAuthError,
        match=r"refused the token \(401 invalid access token\): "
        r"set \[sources\.lms\]\.token",
    ):
        source.check()


def test_the_example_source_meets_the_contract() -> None:
    report = check_source_contract(ExampleSource, None, campus=build_campus(learners=10, seed=3))
    assert report.ok and report.records == {"grades": 23, "activities": 1}


def test_the_contract_against_a_config_table(lerconnect_sandbox: Any, tmp_path: Path) -> None:
    sandbox = lerconnect_sandbox(ExampleSource, records=9)
    assert sandbox.base_url.startswith("http://127.0.0.1:")
    report = check_source_contract(
        ExampleSource,
        sandbox.table,
        bad_config_table={**sandbox.table, "token": "x"},
        streams=["grades"],
        db_url=f"sqlite:///{tmp_path / 'kit.db'}",
    )
    assert report.records == {"grades": 9}
    kit_store = Store(f"sqlite:///{tmp_path / 'kit.db'}")
    stored = list(records.iter_records(kit_store, source="contract", stream="grades"))
    kit_store.dispose()
    assert len(stored) == 9, "the kit's end-to-end sync went into the database it was given"


# ---------------------------------------------------------------- broken variants the kit must catch


class NoAuthCheck(ExampleSource):
    def check(self) -> str:
        return "fine"


class RawHttpErrors(ExampleSource):
    def check(self) -> str:
        response = self.session.get(f"{self.config.base_url}/api/me", timeout=5)
        response.raise_for_status()
        return "ok"


class SkippingCursor(ExampleSource):
    def pull(self, stream: str, cursor: Any) -> Iterator[Page]:
        for page in super().pull(stream, cursor):
            yield Page(page.records, page.cursor + 1 if page.records else page.cursor)


class RepeatingCursor(ExampleSource):
    def pull(self, stream: str, cursor: Any) -> Iterator[Page]:
        for page in super().pull(stream, cursor):
            yield Page(page.records, page.records[0]["seq"] - 1 if page.records else page.cursor)


class DatetimeCursor(ExampleSource):
    def pull(self, stream: str, cursor: Any) -> Iterator[Page]:
        for page in super().pull(stream, None):
            yield Page(page.records, datetime.now(UTC))


class ClockInTheData(ExampleSource):
    def normalize(self, stream: str, raw: Any) -> Iterator[Any]:
        for item in super().normalize(stream, raw):
            yield (
                item.model_copy(update={"evidence": (datetime.now(UTC).isoformat(),)})
                if isinstance(item, LearningRecord)
                else item
            )


class KeyErrors(ExampleSource):
    def normalize(self, stream: str, raw: Any) -> Iterator[Any]:
        raw["course"]["title"]  # a careless plugin indexes before checking
        yield from super().normalize(stream, raw)


class ExitsOnEmpty(ExampleSource):
    def normalize(self, stream: str, raw: Any) -> Iterator[Any]:
        if not raw:
            raise SystemExit(1)
        yield from super().normalize(stream, raw)


class YieldsDicts(ExampleSource):
    def normalize(self, stream: str, raw: Any) -> Iterator[Any]:
        for item in super().normalize(stream, raw):
            yield item.model_dump() if raw.get("id") == "e1" else item


class MutatesRaw(ExampleSource):
    def normalize(self, stream: str, raw: Any) -> Iterator[Any]:
        raw.pop("seq", None)
        yield from super().normalize(stream, raw)


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (NoAuthCheck, "check() passed with bad credentials: it must make an authenticated call"),
        (RawHttpErrors, "check() raised HTTPError on bad credentials, not a SourceError"),
        (SkippingCursor, "did not yield exactly the remaining records: 1 missing (e"),
        (RepeatingCursor, "did not yield exactly the remaining records: 4 extra or repeated"),
        (DatetimeCursor, "is not JSON-serializable (Object of type datetime is not JSON serializable)"),
        (ClockInTheData, "normalize() is not deterministic"),
        (ExitsOnEmpty, "normalize() raised SystemExit, which stops the process"),
        (YieldsDicts, "normalize() yielded a dict, not a LearningRecord or Tombstone"),
        (MutatesRaw, "normalize() modified the raw record it was given"),
    ],
)
def test_the_kit_catches_a_broken_source(broken: type, expected: str) -> None:
    report = run_contract(broken, None)
    assert not report.ok
    assert any(expected in problem for problem in report.problems), report.summary()
    with pytest.raises(AssertionError, match="contract problem"):
        check_source_contract(broken, None)


def test_unnamed_exceptions_are_notes_or_problems_when_strict() -> None:
    lenient = run_contract(KeyErrors, None)
    assert lenient.ok
    assert any("KeyError" in note and "raise RecordError(reason, field=...)" in note for note in lenient.notes)
    strict = run_contract(KeyErrors, None, strict_errors=True)
    assert any("KeyError" in problem for problem in strict.problems)
