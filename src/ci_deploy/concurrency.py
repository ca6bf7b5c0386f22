"""Work started in the background and waited for where its result is needed."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

R = TypeVar("R")


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
