"""A thread-pool map whose queue stays small, for work over every file of an artifact."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

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
