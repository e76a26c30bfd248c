"""Which Canvas enrollment terms a run reads.

Canvas has no `updated_since` for enrollments or outcome results, so a run re-reads whole terms.
A full sync reads every selected term; a nightly sweep reads the selected terms that are still open
or ended within `closed_term_window_days` (grades change after term end). The engine's content hash
keeps records that did not change from being rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from connector_core import SourceError, read

Term = dict[str, Any]


def term_date(value: str | None) -> date | None:
    """The calendar date of a term's Canvas timestamp (`2026-05-08T23:59:00Z`), None when unset."""
    return read.day(value, "term date")


def resolve(wanted: Sequence[str], terms: Sequence[Term]) -> list[Term]:
    """Match configured ids against the account's terms: SIS term id first, then Canvas id."""
    chosen: list[Term] = []
    for entry in wanted:
        sis = entry.removeprefix("sis_term_id:")
        match = next((t for t in terms if t.get("sis_term_id") == sis), None)
        if match is None and entry == sis:
            match = next((t for t in terms if str(t.get("id")) == entry), None)
        if match is None:
            known = ", ".join(f"{t.get('sis_term_id') or t['id']} ({t.get('name')})" for t in terms) or "none"
            hint = (
                ""
                if any("sis_term_id" in t for t in terms)
                else (" (this token is shown no SIS term ids: grant 'SIS Data - read', or list Canvas term ids)")
            )
            raise SourceError(
                f"terms: no Canvas term has SIS id or id {entry!r}{hint}; the account's terms are: {known}"
            )
        if match not in chosen:
            chosen.append(match)
    return chosen


def default_terms(terms: Sequence[Term], today: date) -> list[Term]:
    """The current term(s) and the one before: open terms, or the latest started, plus its predecessor."""
    dated = sorted((t for t in terms if term_date(t.get("start_at"))), key=lambda t: term_date(t["start_at"]))
    started = [t for t in dated if term_date(t["start_at"]) <= today]  # type: ignore[operator]
    if not started:
        return []
    current = [t for t in started if (term_date(t.get("end_at")) or today) >= today] or [started[-1]]
    first = started.index(current[0])
    return ([started[first - 1]] if first > 0 else []) + current


def in_window(term: Term, today: date, window_days: int) -> bool:
    """Open, or ended no more than `window_days` ago."""
    end = term_date(term.get("end_at"))
    return end is None or end >= today - timedelta(days=window_days)


def select(
    terms: Sequence[Term], wanted: Sequence[str] | None, today: date, *, full: bool, window_days: int
) -> list[Term]:
    """The terms to read, oldest first."""
    chosen = resolve(wanted, terms) if wanted else default_terms(terms, today)
    if not full:
        chosen = [t for t in chosen if in_window(t, today, window_days)]
    return sorted(chosen, key=lambda t: (term_date(t.get("start_at")) or date.min, t["id"]))
