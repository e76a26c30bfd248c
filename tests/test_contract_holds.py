"""The plugin test kit refuses a stream that yields FERPA holds without declaring `flags_holds`.

Issuing waits only for the passes of streams that declare it; a stream that carries holds and says
nothing lets a failed or killed run sign for a held learner from another source's records.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from example_source import ExampleSource

from connector_core import SandboxServer
from connector_core.plugins import load_registry
from connector_core.sandbox import Campus, build_campus
from connector_core.testing import check_source_contract, run_contract


class UndeclaredHolds(ExampleSource):
    """Every record of the campus's first person carries the `ferpa` hold; no stream says so."""

    def flags_holds(self, stream: str) -> bool:
        return False

    @classmethod
    def sandbox(cls, campus: Any, **options: Any) -> SandboxServer:
        server = super().sandbox(campus, **options)
        held = campus.people[0].institution_id
        for stream in server.app.data.values():
            for record in stream.values():
                record["student"]["ferpa"] = record["student"]["id"] == held
        return server


class HoldsOnGradesOnly(UndeclaredHolds):
    """Declares the grades' holds and forgets the activities'."""

    def flags_holds(self, stream: str) -> bool:
        return stream == "grades"


class DeclaredHolds(UndeclaredHolds):
    def flags_holds(self, stream: str) -> bool:
        return True


@pytest.mark.parametrize(
    ("source", "caught"), [(UndeclaredHolds, {"grades", "activities"}), (HoldsOnGradesOnly, {"activities"})]
)
def test_a_stream_yielding_holds_it_does_not_flag_breaks_the_contract(source: type, caught: set[str]) -> None:
    report = run_contract(source, None, campus=build_campus(learners=10, seed=3))
    flagged = [p for p in report.problems if "flags_holds" in p]
    assert {p.split(":", 1)[0] for p in flagged} == caught, report.summary()
    assert all("confidential=True" in p and f"override {source.__qualname__}.flags_holds" in p for p in flagged)
    with pytest.raises(AssertionError, match=r"activities: normalize\(\) yields learners with confidential=True"):
        check_source_contract(source, None, campus=build_campus(learners=10, seed=3))


def test_the_same_holds_declared_meet_the_contract() -> None:
    report = check_source_contract(DeclaredHolds, None, campus=build_campus(learners=10, seed=3))
    assert report.records == {"grades": 23, "activities": 1}


def campus_with_holds(sis: str) -> Campus:
    """A small campus where every third person has a FERPA hold (the generator makes them rare)."""
    campus = build_campus(learners=12, seed=7, sis=sis)  # type: ignore[arg-type]
    campus.people = [dataclasses.replace(p, confidential=p.key % 3 == 0) for p in campus.people]
    return campus


def served_campus(source: type) -> Campus | None:
    """The first campus kind whose SIS the source's sandbox imitates (None: it has no sandbox)."""
    return next((c for c in map(campus_with_holds, ("banner", "peoplesoft")) if source.sandbox(c) is not None), None)


@pytest.mark.parametrize("plugin", sorted(load_registry().sources))
def test_every_built_in_plugin_meets_the_holds_contract_on_a_campus_with_holds(plugin: str) -> None:
    source = load_registry().sources[plugin]
    campus = served_campus(source)
    if campus is None:
        pytest.skip(f"{plugin} has no sandbox to run the contract against")
    check_source_contract(source, None, campus=campus)  # raises, naming the problems, on any
