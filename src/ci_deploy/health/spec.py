"""What to check on a live deployment: paths, expected statuses and text, headers, budgets.

Built by the plan from the inputs (with ``{{sha}}`` already rendered into ``text``) before
anything is deployed; the deployment's URL is filled in with :meth:`HealthSpec.at` once it is
known. Pure data: no platform, no GitHub.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class HealthSpec:
    """What to check. ``paths`` are joined to ``base_url`` unless absolute; ``statuses`` are
    inclusive ranges; ``text`` is already rendered; times are seconds, the budget milliseconds."""

    base_url: str
    paths: tuple[str, ...]
    statuses: tuple[tuple[int, int], ...] = ((200, 399),)
    text: str | None = None
    timeout: float = 120.0
    request_timeout: float = 10.0
    headers: Mapping[str, str] = field(default_factory=dict)
    max_latency_ms: float | None = None
    samples: int = 3
    #: ``perf-budget-ms``: the p95 time to first byte each path must stay under
    ttfb_p95_budget_ms: float | None = None
    #: hosts besides ``base_url``'s that may receive ``headers`` (the custom domains)
    own_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.paths:
            raise ValueError("HealthSpec needs at least one path (the caller skips checks instead)")
        if not self.statuses or any(lo > hi for lo, hi in self.statuses):
            raise ValueError(f"bad status ranges {self.statuses!r}")
        if self.timeout < 0 or self.request_timeout <= 0 or self.samples < 0:
            raise ValueError("HealthSpec timeouts must be positive and samples non-negative")

    def at(self, base_url: str) -> HealthSpec:
        """This spec checked on ``base_url`` (the plan cannot know the URL before the deploy)."""
        return replace(self, base_url=base_url)
