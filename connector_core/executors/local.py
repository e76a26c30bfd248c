"""The local executor: this process at size 1 (as lerconnect always ran), else a pool of processes.

Processes, not threads: normalizing, storing and signing are CPU-bound Python. Each process opens
the store and loads the plugins once, then runs the same task bodies a Celery worker runs. A stop
reaches them through a shared event: each ends after the page it is committing.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from connector_core.executors import tasks
from connector_core.executors.base import Executor, Outcome, Payload, Remote
from connector_core.store import redact

if TYPE_CHECKING:
    from connector_core.config import Settings
    from connector_core.store import Store


def _start(settings: Settings, db_url: str, stop: Any) -> None:
    tasks.configure(settings, db_url, stop)


class LocalExecutor(Remote):
    """`processes = 1`: every unit in this process, in order; more: that many processes at once."""

    name = "local"

    def __init__(self, settings: Settings, store: Store, processes: int = 1) -> None:
        self.settings, self.store, self.workers = settings, store, processes
        self._pool: ProcessPoolExecutor | None = None
        self._context = multiprocessing.get_context("spawn")  # no forked copies of open connections or threads
        self._stop = self._context.Event()

    def _pool_now(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=self._context,
                initializer=_start,
                initargs=(self.settings, self.store.url, self._stop),
            )
        return self._pool

    def map(
        self,
        task: str,
        payloads: list[Payload],
        *,
        inline: Callable[[Payload], Outcome],
        lost: Callable[[Payload], bool] | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[Outcome]:
        if self.workers == 1 or len(payloads) <= 1:
            yield from Executor.map(self, task, payloads, inline=inline, stop=stop)
            return
        watcher = _Relay(stop, self._stop)
        try:
            yield from super().map(task, payloads, inline=inline, lost=None, stop=None)
        finally:
            watcher.close()

    def submit(self, task: str, payload: Payload) -> Future:
        return self._pool_now().submit(tasks.run, task, {**payload, "store": redact(self.store.url)})

    def ready(self, handle: Future) -> bool:
        return handle.done()

    def outcome(self, handle: Future, payload: Payload) -> Outcome:
        try:
            return handle.result()
        except BrokenProcessPool as exc:
            self._pool = None  # a process died (killed, out of memory): the next unit starts a new pool
            return {**payload, "status": "failed", "error": f"a worker process died: {exc}"}
        except Exception as exc:
            return {**payload, "status": "failed", "error": f"{type(exc).__name__}: {exc}"}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class _Relay:
    """Passes the caller's stop (a thread event) on to the pool's processes (a process event)."""

    def __init__(self, stop: threading.Event | None, shared: Any) -> None:
        self.stop, self.shared = stop, shared
        self._done = threading.Event()
        self.shared.clear()
        self._thread = threading.Thread(target=self._watch, name="stop relay", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.2):
            if self.stop is not None and self.stop.is_set():
                self.shared.set()
                return

    def close(self) -> None:
        self._done.set()
        self._thread.join()
