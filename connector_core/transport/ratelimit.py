"""Rate-limit watchers: see every request go out and every answer come back, pause before a throttle.

A watcher is one budget per source (shared by the client's threads); a distributed executor can
share it through Redis with the same two methods.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Protocol

log = logging.getLogger("lerconnect.transport")


class RateLimitWatcher(Protocol):
    """Called before each request is sent and with the headers of each answer."""

    def before_request(self) -> None: ...

    def after_response(self, headers: Mapping[str, str]) -> None: ...


class RemainingBudgetWatcher:
    """Slows down before a leaky-bucket budget runs out, reading a "remaining" header.

    Canvas sends `X-Rate-Limit-Remaining` (high-water mark minus bucket level) and drains the
    bucket at a steady rate; pausing for the time the bucket needs to get back above `low_water`
    is cheaper than being throttled and backing off. Shared by all threads of one client.
    """

    def __init__(self, header: str, *, low_water: float, refill_per_second: float, max_pause: float = 30.0) -> None:
        self.header = header
        self.low_water = low_water
        self.refill_per_second = refill_per_second
        self.max_pause = max_pause
        self.pauses = 0
        self._resume_at = 0.0
        self._lock = threading.Lock()

    def before_request(self) -> None:
        with self._lock:
            wait = self._resume_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def after_response(self, headers: Mapping[str, str]) -> None:
        try:
            remaining = float(headers[self.header])
        except (KeyError, ValueError):
            return
        if remaining >= self.low_water:
            return
        pause = min(self.max_pause, (self.low_water - remaining) / self.refill_per_second)
        with self._lock:
            self.pauses += 1
            self._resume_at = max(self._resume_at, time.monotonic() + pause)
        log.debug("rate-limit budget low (%s=%.1f): pausing requests %.2fs", self.header, remaining, pause)
