"""Mastery scales set on a course or account (`outcome_proficiency`), read once per context per sweep.

With account-level mastery scales (the default on newer Canvas accounts) outcomes carry no
`mastery_points` or ratings: the scale is the course's own, else its account's, else the root
account's. Many courses share one account, so each context is read once and remembered.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from lerconnect_canvas.client import CanvasClient


class ScaleReader:
    """Finds the scale for a course; thread-safe, since courses are read concurrently."""

    def __init__(self, client: CanvasClient) -> None:
        self.client = client
        self._known: dict[tuple[str, str], list[dict[str, Any]] | None] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def for_course(self, course: Mapping[str, Any]) -> dict[str, Any] | None:
        """`{"context": "courses/12", "ratings": [...]}` of the nearest context that sets a scale, or None."""
        account, root = course.get("account_id"), self.client.account
        contexts = [("courses", course["id"]), ("accounts", account), ("accounts", root)]
        for kind, context_id in contexts:
            if context_id is None:
                continue
            ratings = self.read(kind, str(context_id))
            if ratings is not None:
                return {"context": f"{kind}/{context_id}", "ratings": ratings}
        return None

    def read(self, kind: str, context_id: str) -> list[dict[str, Any]] | None:
        key = (kind, context_id)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # a second thread asking for the same account waits for the first read
            if key not in self._known:
                self._known[key] = self.client.outcome_proficiency(kind, context_id)
            return self._known[key]
