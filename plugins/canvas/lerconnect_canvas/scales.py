"""Mastery scales set on a course or account (`outcome_proficiency`), read once per context per sweep.

With account-level mastery scales (the default on newer Canvas accounts) outcomes carry no
`mastery_points` or ratings: the scale is the course's own, else its account's, else the root
account's. Many courses share one account, so each context is read once, however many courses
are read at the same time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector_core.transport import OncePerKey
from lerconnect_canvas.client import CanvasClient


class ScaleReader:
    """Finds the scale for a course."""

    def __init__(self, client: CanvasClient) -> None:
        self.client = client
        self.read = OncePerKey(lambda context: client.outcome_proficiency(*context))

    def for_course(self, course: Mapping[str, Any]) -> dict[str, Any] | None:
        """`{"context": "courses/12", "ratings": [...]}` of the nearest context that sets a scale, or None."""
        account, root = course.get("account_id"), self.client.account
        for kind, context_id in [("courses", course["id"]), ("accounts", account), ("accounts", root)]:
            ratings = None if context_id is None else self.read((kind, str(context_id)))
            if ratings is not None:
                return {"context": f"{kind}/{context_id}", "ratings": ratings}
        return None
