"""Health checks as the pipeline runs them: settings -> HealthSpec, result -> report rows."""

from __future__ import annotations

from dataclasses import dataclass

from ci_deploy.commands.session import Session
from ci_deploy.health.checks import HealthResult, HealthSpec, check_health
from ci_deploy.platforms.base import Deployment, Platform
from ci_deploy.report.render import HealthFacts, HealthRow


@dataclass(frozen=True)
class HealthOutcome:
    result: HealthResult | None

    @property
    def passed(self) -> bool:
        return self.result is None or self.result.passed

    @property
    def reason(self) -> str:
        return self.result.reason if self.result else ""

    def facts(self) -> HealthFacts:
        result = self.result
        if result is None:
            return HealthFacts("skipped")
        rows = tuple(
            HealthRow(c.path, c.status, c.ttfb_ms, c.total_ms, c.bytes, c.passed, c.reason)
            for c in result.checks
        )
        return HealthFacts("passed" if result.passed else "failed", rows, result.reason)


def health_spec(session: Session, base_url: str) -> HealthSpec | None:
    """What to check on ``base_url``, or None when ``health-check: false``."""
    s = session.settings
    if not s.health_check or not base_url:
        return None
    expect = s.health_check_expect
    text = session.render(expect.text, "health-check-expect") if expect.text else None
    return HealthSpec(
        base_url=base_url,
        paths=tuple(s.health_check),
        statuses=tuple(expect.ranges),
        text=text,
        timeout=s.health_check_timeout,
        headers=dict(s.health_check_headers),
        max_latency_ms=s.health_check_max_latency_ms,
    )


def run_health_checks(
    session: Session, platform: Platform, deployment: Deployment, url: str
) -> HealthOutcome:
    """Check ``url`` as served by ``deployment``; skipped (result None) when there is nothing to check."""
    spec = health_spec(session, url)
    if spec is None:
        return HealthOutcome(None)
    return HealthOutcome(check_health(spec, platform.health_hints(deployment)))
