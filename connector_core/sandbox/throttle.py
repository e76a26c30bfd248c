"""A leaky-bucket throttle per caller, tunable so tests can force throttling.

Modelled on Canvas's `request_throttle.rb`, which many APIs resemble: each request is charged
`up_front` while in flight (refunded when it completes) plus its real cost (elapsed seconds ×
`cost_scale`, at least `min_cost`); the bucket drains at `outflow` units a second. A request that
would lift the level above `high_water` is refused with `throttle_status`, and with `Retry-After`
(the seconds until it would be admitted) when `retry_after` is set. Every admitted response can
report the budget left (`X-Rate-Limit-Remaining` style) and its cost.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Response


@dataclass(frozen=True)
class BucketTuning:
    high_water: float = 600.0
    outflow: float = 10.0
    up_front: float = 50.0
    cost_scale: float = 1.0
    min_cost: float = 0.01
    throttle_status: int = 403
    retry_after: bool = False
    """Say in `Retry-After` when to come back (Ethos, Workday REST do; Canvas does not)."""


class LeakyBucket:
    """One caller's bucket; thread-safe."""

    def __init__(self, tuning: BucketTuning) -> None:
        self.tuning = tuning
        self.level = 0.0
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def _leak(self) -> None:
        now = time.monotonic()
        self.level = max(0.0, self.level - (now - self._at) * self.tuning.outflow)
        self._at = now

    def admit(self) -> float | None:
        """Charge the up-front cost and return None, or refuse: the seconds until it would fit."""
        with self._lock:
            self._leak()
            excess = self.level + self.tuning.up_front - self.tuning.high_water
            if excess > 0:
                return excess / self.tuning.outflow
            self.level += self.tuning.up_front
            return None

    def settle(self, elapsed: float) -> tuple[float, float]:
        """Refund the up-front charge, charge the real cost; return (cost, remaining)."""
        cost = max(self.tuning.min_cost, elapsed * self.tuning.cost_scale)
        with self._lock:
            self._leak()
            self.level = max(0.0, self.level - self.tuning.up_front + cost)
            return cost, self.tuning.high_water - self.level

    def remaining(self) -> float:
        with self._lock:
            self._leak()
            return self.tuning.high_water - self.level


Refusal = Callable[[int, float], Response]
"""(status, seconds until admitted) -> the refusal a system sends."""


def plain_refusal(text: str) -> Refusal:
    """A plain-text refusal (Canvas: `403 Forbidden (Rate Limit Exceeded)`)."""

    def refuse(status: int, wait: float) -> Response:
        return Response(text, status=status, content_type="text/plain")

    return refuse


class Throttle:
    """A bucket per caller key in front of a handler; counts what it refused in `throttled`."""

    def __init__(
        self,
        tuning: BucketTuning | None = None,
        *,
        refuse: Refusal | None = None,
        remaining_header: str | None = "X-Rate-Limit-Remaining",
        cost_header: str | None = "X-Request-Cost",
    ) -> None:
        self.tuning = tuning or BucketTuning()
        self.refuse = refuse or plain_refusal("Too Many Requests\n")
        self.remaining_header = remaining_header
        self.cost_header = cost_header
        self.throttled = 0
        self._buckets: dict[str, LeakyBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, key: str) -> LeakyBucket:
        with self._lock:
            return self._buckets.setdefault(key, LeakyBucket(self.tuning))

    def __call__(self, key: str, handler: Callable[[], Response]) -> Response:
        """Run `handler` for caller `key` if its bucket admits it, else answer the refusal."""
        bucket = self.bucket(key)
        wait = bucket.admit()
        if wait is not None:
            with self._lock:
                self.throttled += 1
            response = self.refuse(self.tuning.throttle_status, wait)
            if self.tuning.retry_after:
                response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            if self.remaining_header:
                response.headers[self.remaining_header] = "0.0"
            return response
        started = time.monotonic()
        try:
            response = handler()
        finally:
            cost, remaining = bucket.settle(time.monotonic() - started)
        if self.cost_header:
            response.headers[self.cost_header] = f"{cost:.6f}"
        if self.remaining_header:
            response.headers[self.remaining_header] = f"{remaining:.1f}"
        return response
