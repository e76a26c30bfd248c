"""Rate-limit watchers: see every request go out and every answer come back, pause before a throttle.

A watcher is one budget per source, shared by the client's threads. When work is spread over
processes or machines (`[engine].executor = "celery"`, or `[engine].redis_url`), the pause it
decides is kept in Redis (`share_budgets`), so every worker of a source holds back together
instead of each spending the source's one budget as if it were its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol

log = logging.getLogger("lerconnect.transport")


class RateLimitWatcher(Protocol):
    """Called before each request is sent and with the headers of each answer."""

    def before_request(self) -> None: ...

    def after_response(self, headers: Mapping[str, str]) -> None: ...


class Pauses:
    """When requests may go again: this process's own view (threads share it)."""

    def __init__(self) -> None:
        self._resume_at = 0.0
        self._lock = threading.Lock()

    def remaining(self) -> float:
        """Seconds until requests may go again (0 when they may go now)."""
        with self._lock:
            return max(0.0, self._resume_at - time.monotonic())

    def extend(self, seconds: float) -> None:
        """Hold requests for at least `seconds` from now (a longer pause already decided stays)."""
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)


_EXTEND = """
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return left
"""


class RedisPauses(Pauses):
    """The pause of one source's budget as a Redis key that expires when requests may go again.

    The key's time to live is the pause, so no worker's clock is involved, and a pause one worker
    decides holds every worker of the source from their next request on.
    """

    def __init__(self, client: Any, key: str) -> None:
        self.client, self.key = client, key
        self._extend = client.register_script(_EXTEND)

    def remaining(self) -> float:
        left = self.client.pttl(self.key)
        return left / 1000 if left and left > 0 else 0.0

    def extend(self, seconds: float) -> None:
        self._extend(keys=[self.key], args=[max(1, int(seconds * 1000))])


class RemainingBudgetWatcher:
    """Slows down before a leaky-bucket budget runs out, reading a "remaining" header.

    Canvas sends `X-Rate-Limit-Remaining` (high-water mark minus bucket level) and drains the
    bucket at a steady rate; pausing for the time the bucket needs to get back above `low_water`
    is cheaper than being throttled and backing off. Shared by all threads of one client, and by
    all workers of one source once its `pauses` are in Redis (`shared_budget`).
    """

    def __init__(self, header: str, *, low_water: float, refill_per_second: float, max_pause: float = 30.0) -> None:
        self.header = header
        self.low_water = low_water
        self.refill_per_second = refill_per_second
        self.max_pause = max_pause
        self.pauses = 0  # pauses this watcher decided
        self.waits = 0  # requests it held back, whoever decided the pause
        self.board: Pauses = Pauses()

    def before_request(self) -> None:
        wait = self.board.remaining()
        if wait > 0:
            self.waits += 1
            time.sleep(wait)

    def after_response(self, headers: Mapping[str, str]) -> None:
        try:
            remaining = float(headers[self.header])
        except (KeyError, ValueError):
            return
        if remaining >= self.low_water:
            return
        pause = min(self.max_pause, (self.low_water - remaining) / self.refill_per_second)
        self.pauses += 1
        self.board.extend(pause)
        log.debug("rate-limit budget low (%s=%.1f): pausing requests %.2fs", self.header, remaining, pause)


_shared_url: str | None = None
_clients: dict[str, Any] = {}


def share_budgets(redis_url: str | None) -> None:
    """From now on, budgets of this process's sources are shared through Redis at `redis_url` (None: not)."""
    global _shared_url
    _shared_url = redis_url


def shared_budget(watcher: RateLimitWatcher | None, source: str) -> RateLimitWatcher | None:
    """The source's watcher, its pauses kept in Redis when budgets are shared (see `share_budgets`)."""
    if watcher is None or _shared_url is None or not isinstance(watcher, RemainingBudgetWatcher):
        return watcher
    if _shared_url not in _clients:
        import redis

        _clients[_shared_url] = redis.Redis.from_url(_shared_url)
    watcher.board = RedisPauses(_clients[_shared_url], f"lerconnect:budget:{source}")
    return watcher
