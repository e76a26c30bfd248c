"""The PeopleSoft source through the real sync engine and the plugin test kit."""

from __future__ import annotations

from datetime import date

import pytest
from lerconnect_peoplesoft import PeopleSoftSource
from peoplesoft_testkit import peoplesoft

from connector_core.sandbox import build_campus
from connector_core.testing import SyncBench, check_source_contract


def test_a_malformed_row_is_dead_lettered_and_the_run_goes_on(lerconnect_sync: SyncBench) -> None:
    with peoplesoft() as running:
        broken = next(r for r in running.app.tables.grades if r["A.CRSE_GRADE_OFF"] == "B")
        broken["A.UNT_TAKEN"] = "three"
        result = lerconnect_sync.engine(PeopleSoftSource, running.table).sync("peoplesoft", stream="grades")[0]
    assert result.status == "succeeded"
    assert result.count("dead_lettered") == 1
    [letter] = lerconnect_sync.dead_letters(source="peoplesoft")
    assert letter.source_record_id.endswith(f":{broken['A.STRM']}:{broken['A.CLASS_NBR']}")
    assert letter.field == "UNT_TAKEN" and "three" in letter.reason


def test_incremental_rereads_open_and_recent_terms_and_finds_a_late_grade_change(
    lerconnect_sync: SyncBench, monkeypatch: pytest.MonkeyPatch
) -> None:
    with peoplesoft() as running:
        sync = lerconnect_sync.engine(PeopleSoftSource, running.table)
        first = sync.sync("peoplesoft", stream="grades")[0]
        assert first.status == "succeeded" and first.full
        fall_2025 = "202530"  # ended 2025-12-15: inside a 120-day window of 2026-01-20
        changed = next(
            r for r in running.app.tables.grades if r["A.STRM"] == fall_2025 and r["A.CRSE_GRADE_OFF"] == "I"
        )
        changed["A.CRSE_GRADE_OFF"] = "B+"
        running.app.stats.prompts.clear()
        monkeypatch.setattr(PeopleSoftSource, "clock", staticmethod(lambda: date(2026, 1, 20)))
        second = sync.sync("peoplesoft", stream="grades")[0]
    assert second.status == "succeeded" and not second.full
    assert second.count("changed") == 1 and second.count("withdrawn") == 0
    terms = {v for _, prompts in running.app.stats.prompts for n, v in prompts if n == "STRM"}
    assert terms == {"202530", "202610", "202630"}  # spring 2025 ended long ago and is not re-read


def test_plugin_test_kit() -> None:
    report = check_source_contract(PeopleSoftSource, campus=build_campus(learners=12, seed=7, sis="peoplesoft"))
    assert set(report.records) == {"grades", "cocurricular", "competencies"}
    assert all(report.records.values())
