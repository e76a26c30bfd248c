"""Values read out of raw source records, each bad one a `RecordError` that names its field.

Every plugin's `normalize` meets the same shapes: ISO 8601 timestamps and dates, scores, grades,
amounts, nested objects. Reading them here words a dead letter the same way for every source, and
`field` (as the plugin spells it, e.g. `grades.final_score`) tells an operator where to look.
Null and empty text read as None; anything else that is not the shape is refused, never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector_core.source import RecordError

__all__ = ["amount", "day", "grade", "part", "score", "timestamp"]

MAX_GRADE_LENGTH = 24


def timestamp(value: Any, field: str) -> datetime | None:
    """An ISO 8601 timestamp (`2026-05-08T23:59:00Z`, offsets too) or a date, None when unset."""
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(f"{field} {value!r} is not an ISO 8601 timestamp", field=field) from None


def day(value: Any, field: str) -> date | None:
    """The calendar date of an ISO 8601 date or timestamp, as the source wrote it; None when unset."""
    moment = timestamp(value, field)
    return moment.date() if moment else None


def amount(value: Any, field: str) -> Decimal | None:
    """A non-negative decimal (credits, units, hours) from a number or its text; None when unset."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise RecordError(f"{field} {value!r} is not a number", field=field)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise RecordError(f"{field} {value!r} is not a number", field=field) from None
    if not number.is_finite() or number < 0:
        raise RecordError(f"{field} {value!r} is not a non-negative number", field=field)
    return number


def score(value: Any, field: str) -> float | None:
    """A score (percent or points): a non-negative finite JSON number, or null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise RecordError(f"{field} {value!r} is not a score (expected a non-negative number or null)", field=field)
    return float(value)


def grade(value: Any, field: str) -> str | None:
    """A grade: a short printable text (a letter, P/NP, a scheme's name), or null."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_GRADE_LENGTH or not value.isprintable():
        raise RecordError(f"{field} {value!r} is not a grade (expected a short text such as 'B+' or 'P')", field=field)
    return value.strip()


def part(raw: Any, key: str, *, needs: tuple[str, ...] = ("id",), optional: bool = False) -> Mapping[str, Any]:
    """The object `raw[key]` (a Canvas `course`, a joined `term`...) carrying the keys in `needs`.

    `optional`: an absent (null) object reads as `{}`; one that is there must still be an object.
    """
    value = raw.get(key) if isinstance(raw, Mapping) else None
    if value is None and optional:
        return {}
    if not isinstance(value, Mapping):
        raise RecordError(f"the raw record has no `{key}` object (got {value!r})", field=key)
    for needed in needs:
        if needed not in value:
            raise RecordError(f"the raw record's `{key}` has no {needed}", field=f"{key}.{needed}")
    return value
