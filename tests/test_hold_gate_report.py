"""Why records are held, said precisely (issue 10 §1 follow-up): the hold gate's note appears only
when the gate keeps records back, and the held count is split by reason.

The demo once printed "issuing is waiting for files/cocurricular to complete a pass" on a night
whose files pass had completed and kept nothing back: its 156 held records were all FERPA holds.
"""

from __future__ import annotations

import pytest
from test_reconcile import campus, night, registrar_rows, two_sources

from connector_core.cli import print_issue_report

__all__ = ["campus"]  # the fixture, shared with the reconciliation tests


def test_a_night_whose_hold_passes_completed_holds_only_for_holds(campus, capsys: pytest.CaptureFixture) -> None:
    two_sources(campus, registrar_rows({"S2"}))

    _, report = night(campus)

    assert (report.held, report.held_ferpa, report.held_review, report.held_waiting) == (2, 2, 0, 0)
    assert not [n for n in report.notes if "pass" in n], "nothing waits for a pass: no note says so"
    print_issue_report(report)
    out = capsys.readouterr().out
    assert "2 records held (2 for a FERPA hold, 0 awaiting identity review, 0 waiting for a hold-flagging pass)" in out
    assert "complete a pass" not in out


def test_records_kept_back_by_the_gate_are_counted_and_named(campus, capsys: pytest.CaptureFixture) -> None:
    two_sources(campus, registrar_rows({"S2"}))
    night(campus)
    campus.rows[9] = campus.rows[1] | {"id": "enr-9", "course": "C9", "title": "Course 9"}  # a new grade for S1
    campus.write()
    two_sources(campus, None)  # the registrar's export is missing tonight

    _, report = night(campus)

    assert (report.held, report.held_ferpa, report.held_waiting) == (3, 2, 1)
    (note,) = [n for n in report.notes if "pass" in n]
    assert note.startswith("1 record waits for registrar/grades to complete a pass (its last completed ")
    print_issue_report(report)
    assert "  issuing: 1 record waits for registrar/grades" in capsys.readouterr().out


def test_a_hold_pass_covers_what_its_night_stored_whatever_ran_first(campus) -> None:
    """The registrar's hold pass completes before the LMS's grades are stored. Issuing after that
    night covers them; issuing told of no night keeps them back until the registrar's next pass."""
    from connector_core.engine import SyncEngine
    from connector_core.issuing import issue_after

    def hold_source_first(*, told: bool):
        engine = SyncEngine(campus.store, campus.registry, campus.settings)
        results = [r for name in ("registrar", "lms") for r in engine.sync(name)]
        ids = [r.run_id for r in results] if told else []
        return issue_after(campus.store, campus.settings, campus.registry.hook, run_ids=ids)

    two_sources(campus, registrar_rows({"S2"}))
    first = hold_source_first(told=True)
    assert (first.held_ferpa, first.held_waiting) == (2, 0) and first.issued > 0 and first.notes == []

    campus.rows[9] = campus.rows[1] | {"id": "enr-9", "course": "C9", "title": "Course 9"}  # a new grade for S1
    campus.write()
    untold = hold_source_first(told=False)  # as `credentials revoke` reconciles: no night to go by
    assert (untold.issued, untold.held_waiting) == (0, 1)
    assert any("1 record waits for registrar/grades" in n for n in untold.notes)

    told = hold_source_first(told=True)
    assert (told.issued, told.held_waiting) == (1, 0)
