"""The executor face the engine and issuing call, and the choice of one from `[engine]`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from connector_core.config import ConfigError, Settings

if TYPE_CHECKING:
    from connector_core.store import Store

log = logging.getLogger("lerconnect.executors")

Payload = dict[str, Any]
Outcome = dict[str, Any]


class Executor:
    """Runs units of work; this base runs them here, one after another (the local executor's size 1)."""

    name = "local"
    workers = 1

    def map(
        self,
        task: str,
        payloads: list[Payload],
        *,
        inline: Callable[[Payload], Outcome],
        lost: Callable[[Payload], bool] | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[Outcome]:
        """Each payload's outcome, as they finish. `inline` runs a payload in this process, with
        the caller's objects (progress, stop); other executors run `tasks.TASKS[task]` elsewhere and
        resubmit a payload `lost` says was lost (its worker died holding it)."""
        for payload in payloads:
            if stop is not None and stop.is_set():
                return
            yield inline(payload)

    def close(self) -> None:
        """Let go of pools and connections."""


class Remote(Executor):
    """Shared by executors that run payloads elsewhere: submit, wait, and resubmit what was lost."""

    poll_seconds = 0.5

    def submit(self, task: str, payload: Payload) -> Any:
        raise NotImplementedError

    def ready(self, handle: Any) -> bool:
        raise NotImplementedError

    def outcome(self, handle: Any, payload: Payload) -> Outcome:
        raise NotImplementedError

    def abandon(self, handles: list[Any]) -> None:
        """Stop waiting for these (a stop was asked for); what already runs ends on its own."""

    def map(
        self,
        task: str,
        payloads: list[Payload],
        *,
        inline: Callable[[Payload], Outcome],
        lost: Callable[[Payload], bool] | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[Outcome]:
        waiting = [(self.submit(task, payload), payload) for payload in payloads]
        while waiting:
            if stop is not None and stop.is_set():
                self.abandon([handle for handle, _ in waiting])
                return
            finished = [(h, p) for h, p in waiting if self.ready(h)]
            for handle, payload in finished:
                waiting.remove((handle, payload))
                yield self.outcome(handle, payload)
            if finished:
                continue
            for index, (_handle, payload) in enumerate(waiting):
                if lost is not None and lost(payload):
                    log.warning("a %s task was lost with its worker: submitting it again", task)
                    waiting[index] = (self.submit(task, payload), payload)
            time.sleep(self.poll_seconds)


def executor_for(settings: Settings, store: Store) -> Executor:
    """The executor `[engine]` configures, for work on `store`."""
    engine = settings.engine
    if engine.executor == "celery":
        if store.is_sqlite:
            raise ConfigError(
                f'{settings.path or "<config>"}: engine.executor is "celery" but the store is a SQLite file '
                f"({store.database}), which workers on other machines cannot share: use a PostgreSQL store "
                f"([store].url or --db postgresql+psycopg://…)"
            )
        from connector_core.executors.celery import CeleryExecutor

        return CeleryExecutor(settings, store)
    from connector_core.executors.local import LocalExecutor

    return LocalExecutor(settings, store, engine.processes)
