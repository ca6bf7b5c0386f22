"""A thread-pool map whose queue stays small, for work over every file of an artifact."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def bounded_map(function: Callable[[T], R], items: Iterable[T], workers: int) -> list[R]:
    """``[function(item) for item in items]`` on ``workers`` threads, in order. Unlike
    ``Executor.map`` it submits as results are taken (at most two per worker waiting), so 10,000
    files never become 10,000 queued tasks held in memory at once."""
    results: list[R] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        window: deque[Future[R]] = deque()
        for item in items:
            if len(window) >= 2 * workers:
                results.append(window.popleft().result())
            window.append(pool.submit(function, item))
        results.extend(future.result() for future in window)
    return results


class Prefetch(Generic[R]):
    """One result worked out in the background for a key (an artifact), and waited for where it
    is needed: hashing the files overlaps with the round trips that come before the upload."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ci-deploy-prefetch")
        self._key: object = None
        self._future: Future[R] | None = None

    def start(self, key: object, work: Callable[[], R]) -> None:
        self._key, self._future = key, self._pool.submit(work)

    def get(self, key: object, work: Callable[[], R]) -> R:
        """The result for ``key``: the one started for it, else ``work`` done now."""
        if self._future is None or self._key is not key:
            return work()
        return self._future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
