"""Reading many things from one system at once, results in order: the thread pool sources share."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


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
