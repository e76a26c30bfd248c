"""The Canvas `Source`: wires config, client, sweep and normalizer together."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from connector_core import Cursor, LearningRecord, Page, SandboxServer, SourceContext, Tombstone
from connector_core.transport import Backoff, RemainingBudgetWatcher, RestSource
from lerconnect_canvas import normalize
from lerconnect_canvas.client import UP_FRONT_COST, USER_AGENT, CanvasClient, classify_error, is_throttled
from lerconnect_canvas.config import Config
from lerconnect_canvas.pull import SIS_KEYED, Sweep


class CanvasSource(RestSource):
    """Instructure Canvas LMS: course grades, outcome mastery and co-curricular course enrollments."""

    name = "canvas"
    Config = Config
    streams = ("grades", "competencies", "cocurricular")
    user_agent = USER_AGENT
    max_retries = 8
    backoff = Backoff(initial=0.5, maximum=30.0)
    is_throttled = staticmethod(is_throttled)
    classify_error = staticmethod(classify_error)

    clock: Callable[[], date] = staticmethod(date.today)
    """Today's date for term selection; tests pin it."""

    def __init__(self, config: Config, context: SourceContext) -> None:  # type: ignore[override]
        super().__init__(config, context)
        self.config: Config = config
        self.client = CanvasClient(self.rest, config)
        self.normalizer = normalize.Normalizer(config)

    def rate_limit(self) -> RemainingBudgetWatcher:
        low_water = self.config.rate_limit_low_water
        return RemainingBudgetWatcher(
            "X-Rate-Limit-Remaining",
            low_water=UP_FRONT_COST * (self.config.max_concurrency + 1) if low_water is None else low_water,
            refill_per_second=self.config.rate_limit_refill_per_second,
        )

    def check(self) -> str:
        me = self.client.me()
        sample = self.client.first_user()
        if sample is None:
            sis = "no users in the account to tell whether SIS ids are visible"
        elif "sis_user_id" in sample:
            sis = "SIS ids visible"
        else:
            sis = "SIS ids NOT visible (grant 'SIS Data - read'"
            sis += (
                ", needed for learner_id = " + repr(self.config.learner_id) + ")"
                if self.config.learner_id in SIS_KEYED
                else ")"
            )
        return (
            f"Canvas {self.config.base_url}: token of {me.get('name')} (user {me.get('id')}), "
            f"account {self.config.account_id}: {sis}"
        )

    def pull(self, stream: str, cursor: Cursor) -> Iterator[Page]:
        self.check_stream(stream)
        yield from Sweep(self.client, self.config, stream, self.clock(), self.warn_once).run(cursor)

    def normalize(self, stream: str, raw: Mapping[str, Any]) -> Iterable[LearningRecord | Tombstone]:
        return self.normalizer(stream, raw)

    def record_id(self, stream: str, raw: Mapping[str, Any]) -> str:
        return normalize.record_id(stream, raw)

    @classmethod
    def sandbox(cls, campus: Any, **options: Any) -> SandboxServer:
        """A Canvas imitation over real HTTP, served from the sandbox campus (see `sandbox/`)."""
        from lerconnect_canvas.sandbox import build_sandbox

        return build_sandbox(campus, **options)
