"""Banner 9 mode (no notification queue): nightly runs re-read the open terms; a full pass now and then."""

from __future__ import annotations

from datetime import timedelta

import pytest
from banner_testkit import banner
from lerconnect_banner import BannerSource

from connector_core.sandbox import AS_OF
from connector_core.testing import SyncBench


def _enrollments(campus, term_code: str, *, grade: str | None = None, state: str | None = None) -> list:  # type: ignore[no-untyped-def]
    found = [
        e
        for e in campus.enrollments
        if campus.term(campus.section(e.section_key).term_key).code == term_code
        and (grade is None or e.grade == grade)
        and (state is None or e.state == state)
    ]
    assert found, f"no such enrollment in {term_code}"
    return found


def test_nights_reread_the_open_terms_and_a_due_full_pass_withdraws(
    bench: SyncBench, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the campus's terms: 202510, 202530, 202610 ended; 202630 runs on AS_OF (recent_terms = 1: 202610)
    with banner(mode="banner9", max_page_size=20) as running:
        sync = bench.engine(BannerSource, running.table)
        campus, app = running.campus, running.app
        before = app.stats["requests"]
        first = sync.sync("banner", stream="grades")[0]
        full_requests = app.stats["requests"] - before
        assert first.full and first.count("new") == len(campus.enrollments)

        before, registrations = app.stats["requests"], app.stats["section-registrations"]
        quiet = sync.sync("banner", stream="grades")[0]
        night_requests = app.stats["requests"] - before
        assert not quiet.full and quiet.status == "succeeded"
        assert (quiet.count("new"), quiet.count("changed"), quiet.count("withdrawn")) == (0, 0, 0)
        assert app.stats["section-registrations"] == registrations  # registrations wait for the full pass
        assert night_requests * 3 < full_requests, (night_requests, full_requests)

        recent = _enrollments(campus, "202610", grade="B")[0]
        old = _enrollments(campus, "202510", grade="B")[0]
        dropped, deleted = _enrollments(campus, "202630", state="active")[:2]
        app.change_grade(recent.key, "A")
        app.change_grade(old.key, "A")
        app.withdraw(dropped.key)
        app.delete("section-registrations", campus.guid("registration", deleted.key))
        night = sync.sync("banner", stream="grades")[0]
        assert not night.full and (night.count("changed"), night.count("withdrawn")) == (1, 0)
        grades = bench.records(source="banner", stream="grades")
        assert grades[campus.guid("transcript-grade", recent.key)].data["result"]["grade"] == "A"
        assert grades[campus.guid("transcript-grade", old.key)].data["result"]["grade"] == "B"  # an older term

        week_later = AS_OF + timedelta(days=7)  # full_pass_days = 7: this night asks for a full pass
        monkeypatch.setattr(BannerSource, "clock", staticmethod(lambda: week_later))
        asks = sync.sync("banner", stream="grades")[0]
        assert not asks.full and asks.count("changed") == 0
        full = sync.sync("banner", stream="grades")[0]
        assert full.full and full.status == "succeeded"
        assert (full.count("changed"), full.count("withdrawn")) == (2, 1)
        grades = bench.records(source="banner", stream="grades")
        assert grades[campus.guid("transcript-grade", old.key)].data["result"]["grade"] == "A"
        assert grades[campus.guid("registration", dropped.key)].result_status == "withdrawn"
        assert campus.guid("registration", deleted.key) not in grades

        after = sync.sync("banner", stream="grades")[0]
        assert not after.full and after.count("changed") == 0  # nights again, counted from the new full pass
