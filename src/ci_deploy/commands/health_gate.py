"""The health gate the commands share: check a live deployment against the plan's spec, and the
result as the report shows it."""

from __future__ import annotations

from dataclasses import dataclass

from ci_deploy.errors import HealthCheckFailed
from ci_deploy.health.checks import HealthResult, check_health
from ci_deploy.health.spec import HealthSpec
from ci_deploy.platforms.base import Deployment, Platform
from ci_deploy.report.outcome import Health
from ci_deploy.report.render import HealthFacts, HealthRow


@dataclass(frozen=True)
class HealthOutcome:
    """A health check's result, or None when it was skipped."""

    result: HealthResult | None

    @property
    def passed(self) -> bool:
        return self.result is None or self.result.passed

    @property
    def reason(self) -> str:
        return self.result.reason if self.result else ""

    @property
    def verdict(self) -> Health:
        if self.result is None:
            return "skipped"
        return "passed" if self.result.passed else "failed"

    def facts(self) -> HealthFacts:
        result = self.result
        if result is None:
            return HealthFacts("skipped")
        rows = tuple(
            HealthRow(c.path, c.status, c.ttfb_ms, c.total_ms, c.bytes, c.passed, c.reason)
            for c in result.checks
        )
        return HealthFacts(self.verdict, rows, result.reason)


SKIPPED = HealthOutcome(None)


class HealthFailure(HealthCheckFailed):
    """A failed health check, carrying the result for the report."""

    def __init__(self, message: str, health: HealthOutcome, details: str = "") -> None:
        super().__init__(message, details=details)
        self.health = health


def check_live(
    spec: HealthSpec | None, platform: Platform, deployment: Deployment, url: str
) -> HealthOutcome:
    """Check ``url`` as served by ``deployment``; skipped when there is nothing to check."""
    if spec is None or not url:
        return SKIPPED
    return HealthOutcome(check_health(spec.at(url), platform.health_hints(deployment)))
