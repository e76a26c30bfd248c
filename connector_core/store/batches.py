"""Slicing a growing set of keys for an `IN (...)`: SQLite refuses a statement with more than 32,766
bound parameters and PostgreSQL's protocol more than 65,535, and a campus-sized set reaches both."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

IN_LIMIT = 500  # bound parameters per statement: far under any database's limit, and small enough to plan quickly


def chunks(values: Iterable, size: int = IN_LIMIT) -> Iterator[list]:
    """`values` in lists of at most `size`, in the order given."""
    ordered = list(values)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]
