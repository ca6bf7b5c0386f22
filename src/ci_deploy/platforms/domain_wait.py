"""The short wait for custom domains, shared by both adapters.

DNS is outside a run's control, so a domain never holds a deploy up for long: right after the
attach every domain's state and the exact DNS records it still needs are printed at once, then
the adapter polls for at most ``domains-timeout`` seconds with a progress line about every
:data:`PROGRESS_EVERY` seconds, and whatever is still pending is reported, not raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from ci_deploy.platforms.base import DomainStatus

log = logging.getLogger("ci_deploy.platforms.domains")

#: seconds between two "still waiting" lines
PROGRESS_EVERY = 10.0


def describe(domain: DomainStatus) -> str:
    """One line: ``name: state — needs CNAME a -> b; certificate: …; why``."""
    line = f"{domain.name}: {domain.status}"
    if domain.records:
        line += " — needs " + "; ".join(f"{r.type} {r.name} -> {r.value}" for r in domain.records)
    if domain.certificate:
        line += f"; certificate: {domain.certificate}"
    if domain.message and domain.status != "active":
        line += f" ({domain.message})"
    return line


class DomainWait:
    """A deadline ``wait_seconds`` away, with the first report and the progress lines."""

    def __init__(self, clock: Callable[[], float], wait_seconds: float) -> None:
        self._clock = clock
        self.deadline = clock() + wait_seconds
        self._wait_seconds = wait_seconds
        self._next_line: float | None = None

    def remaining(self) -> float:
        return self.deadline - self._clock()

    def report(self, statuses: Iterable[DomainStatus]) -> None:
        """Print every domain on the first call; later, one line per ~10 s while some are pending."""
        found = list(statuses)
        pending = [d for d in found if d.status == "pending"]
        now = self._clock()
        if self._next_line is None:
            for domain in found:
                log.info("%s", describe(domain))
            if pending:
                log.info(
                    "Waiting up to %.0fs (domains-timeout) for %s to become active",
                    self._wait_seconds,
                    ", ".join(d.name for d in pending),
                )
            self._next_line = now + PROGRESS_EVERY
            return
        if pending and now >= self._next_line:
            left = max(0.0, self.deadline - now)
            log.info("Still waiting for %s (%.0fs left)", ", ".join(d.name for d in pending), left)
            self._next_line = now + PROGRESS_EVERY
