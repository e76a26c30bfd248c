"""Reading many things from one system at once, results in order: the thread pool sources share."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int, *, name: str = "source") -> Iterator[R]:
    """`map` on a thread pool, results in input order, at most `2 * workers` fetched ahead.

    In order, so a source can yield a page per item and checkpoint after each: "everything up to
    this item is stored" holds even though several items are read at once. A failure stops the
    walk at that item and cancels what was queued after it.
    """
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name) as pool:
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


class OncePerKey(Generic[K, R]):
    """`read(key)` called at most once per key, however many threads ask at the same time.

    For what many parallel reads share (the account a hundred courses belong to): a second thread
    asking for a key being read waits for that read instead of making its own. A failed read is
    not remembered, so the next ask tries again.
    """

    def __init__(self, read: Callable[[K], R]) -> None:
        self.read = read
        self._known: dict[K, R] = {}
        self._locks: dict[K, threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, key: K) -> R:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._known:
                self._known[key] = self.read(key)
            return self._known[key]
