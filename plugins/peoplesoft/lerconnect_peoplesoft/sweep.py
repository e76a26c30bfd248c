"""One pass over a stream: which query runs with which prompts, splitting what reaches the row cap.

A part is one run of one query: its prompts, with one term (a PS Query prompt takes one value,
so a query with a term list runs once per term). A part whose result reaches
`max_rows` was cut by QAS without a word, so it is never stored: it is split by subject (a LIKE
prompt, `A%`…`Z%`, then two letters) until every piece is under the cap, or the run fails naming
the query. Each finished part is one page whose cursor lists the parts done, so a crash resumes
after the last stored part. A pass ends with `complete`; the next pass is incremental: open terms
and terms that ended within `recent_terms_days` are read again (grades post and change late).
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, Protocol

from connector_core import Cursor, Page, SourceError
from lerconnect_peoplesoft.config import STREAM_QUERIES, Config, QueryConfig
from lerconnect_peoplesoft.normalize import Columns
from lerconnect_peoplesoft.qas import Prompts, Row

LETTERS = string.ascii_uppercase
MORE = string.ascii_uppercase + string.digits
MAX_PREFIX = 3


class Runner(Protocol):
    def run(self, query: QueryConfig, prompts: Prompts) -> list[Row]: ...


def part_key(kind: str, prompts: Prompts) -> str:
    return kind + "|" + "|".join(f"{n}={v}" for n, v in prompts)


class Sweep:
    """The pages of one stream for one pass, resuming after `cursor`."""

    def __init__(self, runner: Runner, config: Config, stream: str, today: date) -> None:
        self.runner = runner
        self.config = config
        self.stream = stream
        self.today = today
        self.kinds = [k for k in STREAM_QUERIES[stream] if k in config.queries]
        self.term_partitioned = bool(self.kinds) and all(config.queries[k].terms() for k in self.kinds)

    def run(self, cursor: Cursor) -> Iterator[Page]:
        state = self._state(cursor)
        done: set[str] = set(state["done"])
        ends: dict[str, str] = dict(state["terms"])
        for kind in self.kinds:
            query = self.config.queries[kind]
            for term, prompts in self._parts(query, state["incremental"], ends):
                key = part_key(kind, prompts)
                if key in done:
                    continue
                rows = self._complete(kind, query, prompts)
                ends.update(self._term_ends(kind, rows))
                done.add(key)
                yield Page(
                    records=[{"_kind": kind, **row} for row in rows],
                    cursor={**state, "done": sorted(done), "terms": ends},
                    covers=(term,) if term and self.term_partitioned else (),
                )
        yield Page(records=[], cursor={"v": 1, "complete": True, "incremental": True, "done": [], "terms": ends})

    def _state(self, cursor: Cursor) -> dict[str, Any]:
        fresh = {"v": 1, "complete": False, "done": [], "terms": {}}
        if not isinstance(cursor, dict) or cursor.get("v") != 1:
            return {**fresh, "incremental": False}
        if cursor.get("complete"):
            return {**fresh, "incremental": True, "terms": dict(cursor.get("terms") or {})}
        return {**fresh, **cursor}

    def _parts(
        self, query: QueryConfig, incremental: bool, ends: dict[str, str]
    ) -> Iterator[tuple[str | None, Prompts]]:
        base = [(n, v) for n, v in query.prompts.items() if n != query.term_prompt and isinstance(v, str)]
        subject = [(query.subject_prompt, "%")] if query.subject_prompt else []
        terms = query.terms()
        if not terms:
            yield None, base + subject
            return
        window = (self.today - timedelta(days=self.config.recent_terms_days)).isoformat()
        for term in terms:
            if incremental and term in ends and ends[term] < window:
                continue  # closed long enough ago: its grades have settled
            yield term, [*base, (query.term_prompt, term), *subject]

    def _complete(self, kind: str, query: QueryConfig, prompts: Prompts) -> list[Row]:
        """The rows of a part, split until no piece reaches the cap."""
        rows = self.runner.run(query, prompts)
        if len(rows) < query.max_rows:
            return rows
        pieces = self._split(query, prompts)
        if pieces is None:
            shown = ", ".join(f"{n}={v}" for n, v in prompts) or "no prompts"
            raise SourceError(
                f"PS Query {query.name} ({shown}) returned {len(rows)} rows, its max_rows, so the result is "
                f"cut; it cannot be split further{self._advice(query, prompts)}. Nothing of it was stored: raise "
                "max_rows (and Max Rows Fetched in the user's query profile)"
            )
        out: list[Row] = []
        for piece in pieces:
            out.extend(self._complete(kind, query, piece))
        return out

    def _split(self, query: QueryConfig, prompts: Prompts) -> list[Prompts] | None:
        named = dict(prompts)
        subject = query.subject_prompt
        if subject is None or subject not in named:
            return None
        prefix = named[subject].rstrip("%")
        if len(prefix) >= MAX_PREFIX:
            return None
        alphabet = LETTERS if not prefix else MORE
        return [[(n, f"{prefix}{c}%" if n == subject else v) for n, v in prompts] for c in alphabet]

    @staticmethod
    def _advice(query: QueryConfig, prompts: Prompts) -> str:
        if query.subject_prompt is None:
            return " (no subject_prompt is configured to split it by subject)"
        return ""

    def _term_ends(self, kind: str, rows: list[Row]) -> dict[str, str]:
        """Term -> end date as the rows carry them (TERM_END_DT), to tell open from closed terms."""
        if kind != "grades":
            return {}
        columns = Columns(self.config.queries[kind].column_map(kind))
        out: dict[str, str] = {}
        for row in rows:
            term, end = columns.find(row, "term"), columns.find(row, "term_end")
            if isinstance(term, str) and isinstance(end, str):
                out[term] = end[:10]
        return out
