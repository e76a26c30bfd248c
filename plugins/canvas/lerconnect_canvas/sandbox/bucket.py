"""Canvas's per-token leaky bucket (`app/middleware/request_throttle.rb`), tunable so tests can force throttling.

Each request is charged `up_front` while in flight (refunded when it completes) plus its real cost
(elapsed seconds × `cost_scale`); the bucket drains at `outflow` units a second. A request that would
lift the level above `high_water` is refused: plain-text 403 `Rate Limit Exceeded` (self-hosted
Canvas) or 429 (hosted Canvas since 2025), no `Retry-After`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class BucketTuning:
    high_water: float = 600.0
    outflow: float = 10.0
    up_front: float = 50.0
    cost_scale: float = 1.0
    min_cost: float = 0.01
    throttle_status: int = 403


class Bucket:
    def __init__(self, tuning: BucketTuning) -> None:
        self.tuning = tuning
        self.level = 0.0
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def _leak(self) -> None:
        now = time.monotonic()
        self.level = max(0.0, self.level - (now - self._at) * self.tuning.outflow)
        self._at = now

    def admit(self) -> bool:
        """Charge the up-front cost, or refuse (False) when that would overflow the bucket."""
        with self._lock:
            self._leak()
            if self.level + self.tuning.up_front > self.tuning.high_water:
                return False
            self.level += self.tuning.up_front
            return True

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
