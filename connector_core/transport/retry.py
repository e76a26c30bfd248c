"""Retries for every source protocol: which failures are worth another try, how long to wait, when to stop.

One policy per client (one source instance, so one run): exponential backoff with jitter, the
server's `Retry-After` when it names one, and a cap on the total time a run spends waiting on
`Retry-After` — a server answering "come back tomorrow" ends the run at once, saying so.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type

from connector_core.source import SourceUnavailable

log = logging.getLogger("lerconnect.transport")

T = TypeVar("T")
Kind = Literal["throttled", "server", "timeout", "connection", "body"]


class Transient(Exception):
    """A failure another attempt may cure; `retry_after` is the server's own wait, in seconds."""

    def __init__(self, endpoint: str, reason: str, kind: Kind, retry_after: float | None = None) -> None:
        super().__init__(f"{endpoint}: {reason}")
        self.endpoint = endpoint
        self.reason = reason
        self.kind = kind
        self.retry_after = retry_after
        self.over_budget = False


@dataclass(frozen=True)
class Backoff:
    """Waits between retries when the server names none: exponential from `initial` to `maximum`."""

    initial: float = 1.0
    maximum: float = 60.0

    def delay(self, attempt: int) -> float:
        """Exponential, with jitter so threads throttled together do not retry together."""
        return min(self.maximum, self.initial * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


class RetryPolicy:
    """Runs a call, retrying `Transient` failures; gives up with a `SourceUnavailable` that says why.

    `max_wait` caps the total seconds this policy sleeps on `Retry-After` over its whole life; an
    answer asking for more than what is left ends the call at once instead of sleeping for nothing.
    Thread-safe: the threads of one client share the allowance.
    """

    def __init__(self, *, max_retries: int = 5, backoff: Backoff | None = None, max_wait: float = 600.0) -> None:
        self.max_retries = max_retries
        self.backoff = backoff or Backoff()
        self.max_wait = max_wait
        self.retries = 0
        self.waited = 0.0
        self._lock = threading.Lock()

    def call(self, fn: Callable[..., T], *args: object) -> T:
        retrying = Retrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type(Transient),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            return retrying(fn, *args)
        except Transient as exc:
            raise SourceUnavailable(self._give_up(exc)) from None

    def _wait(self, state: RetryCallState) -> float:
        exc = _transient(state)
        if exc is not None and exc.retry_after is not None:
            return exc.retry_after
        return self.backoff.delay(state.attempt_number)

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number > self.max_retries:
            return True
        exc = _transient(state)
        if exc is None or exc.retry_after is None:
            return False
        with self._lock:
            if self.waited + exc.retry_after > self.max_wait:
                exc.over_budget = True
                return True
            self.waited += exc.retry_after
        return False

    def _before_sleep(self, state: RetryCallState) -> None:
        with self._lock:
            self.retries += 1
        exc = _transient(state)
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s; retry %d/%d in %.1fs", exc or state.outcome, state.attempt_number, self.max_retries, wait)

    def _give_up(self, exc: Transient) -> str:
        if exc.over_budget:
            return (
                f"{exc}: the server asked to wait {exc.retry_after:.0f}s (Retry-After), but a run waits at "
                f"most {self.max_wait:.0f}s in all on such answers ({self.waited:.0f}s already spent): giving "
                "up rather than stalling the night — run it again later (max_wait_seconds sets the allowance)"
            )
        advice = {
            "throttled": "the system is throttling this account: try again later, or lower max_concurrency",
            "timeout": "the system is too slow or stalled: try again later, or raise timeout_seconds",
            "body": "the system keeps sending broken answers: try again later",
        }.get(exc.kind, "the system may be down: try again later")
        return f"{exc}, still failing after {self.max_retries + 1} attempts; {advice}"


def _transient(state: RetryCallState) -> Transient | None:
    exc = state.outcome.exception() if state.outcome else None
    return exc if isinstance(exc, Transient) else None
