"""A clock that only moves when something sleeps on it: retry and wait loops without real waiting."""

from __future__ import annotations

import threading


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()  # uploads retry from several threads at once

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def clock(self) -> float:
        return self.now
