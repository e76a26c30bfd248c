"""What no store can hold is refused when a record is built, with the field and the reason (issue 10 §6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from connector_core.model import Achievement, AchievementKind, Learner, Result, storable


@pytest.mark.parametrize(
    ("build", "field", "reason"),
    [
        (lambda: Learner(source_id="S1", given_name="Ana\x00"), "given_name", "contains a NUL byte at position 3"),
        (lambda: Result(score=float("inf")), "score", "inf is not a finite number"),
        (lambda: Result(score=float("nan")), "score", "nan is not a finite number"),
        (lambda: Result(score=-1e16), "score", "out of range (at most ±10^15)"),
        (
            lambda: Achievement(key="a", kind=AchievementKind.course, title="T", credits=Decimal("1e999")),
            "credits",
            "out of range",
        ),
        (
            lambda: Achievement(key="a", kind=AchievementKind.course, title="T\udcff"),
            "title",
            "unable to parse raw data",
        ),
    ],
)
def test_unstorable_values_are_refused_naming_the_field(build, field: str, reason: str) -> None:
    with pytest.raises(ValidationError) as error:
        build()
    (problem,) = error.value.errors()
    assert problem["loc"] == (field,) and reason in problem["msg"]


def test_ordinary_values_pass_and_storable_spells_out_the_rest() -> None:
    assert Result(score=99.5).score == 99.5 and Learner(source_id="S1", given_name="Zoë 🎓").given_name == "Zoë 🎓"
    assert storable({"a\x00": ["x\udcff", float("inf"), 1]}) == {"a\\x00": ["x\\udcff", "inf", 1]}
