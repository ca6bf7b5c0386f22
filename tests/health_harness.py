"""What the health-check suites share: a clock that moves only when the checker sleeps, a
ticking latency timer, and ``run`` to check a spec with both.

Time never passes for real in the retry loop: ``FakeTime`` advances only when the checker sleeps,
so the deadline bounds every test deterministically. Latency is measured with a ticking fake
timer, so budgets are compared with known numbers rather than with how fast this machine is.
"""

from __future__ import annotations

from typing import Any

import pytest

from ci_deploy.health.checks import HealthResult, HealthSpec, check_health
from ci_deploy.platforms.base import HealthHints

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR")
SECRET = "bypass-secret-5f1c9a"
NO_HINTS = HealthHints()


def without_network_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy or CA variable of the machine running the tests reaches the client."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class FakeTime:
    """A clock that moves only when the checker sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Ticker:
    """A latency timer that advances ``step`` seconds at every reading."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def run(
    spec: HealthSpec, hints: HealthHints = NO_HINTS, time: FakeTime | None = None, **kwargs: Any
) -> HealthResult:
    fake = time or FakeTime()
    return check_health(spec, hints, sleep=fake.sleep, clock=fake.clock, **kwargs)
