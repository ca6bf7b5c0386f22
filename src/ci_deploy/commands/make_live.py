"""``rollback`` and ``promote``: make an earlier (or a given) deployment the live production one,
then put it through the same health gate as a deploy."""

from __future__ import annotations

from ci_deploy import runner
from ci_deploy.commands.health_gate import HealthFailure, HealthOutcome, check_live
from ci_deploy.commands.session import Session
from ci_deploy.plan.model import MakeLivePlan
from ci_deploy.report.outcome import Outcome


def make_live(session: Session, plan: MakeLivePlan, outcome: Outcome) -> HealthOutcome:
    """Roll back (to ``plan.deployment_id``, default: the one before the live one) or promote."""
    platform = session.platform
    title = "Roll back production" if plan.command == "rollback" else f"Promote {plan.deployment_id}"
    with runner.group(title):
        platform.connect(read_only=True)
        if plan.command == "rollback":
            live = platform.rollback(plan.deployment_id)
            outcome.record_rollback(live.id)
        else:
            live = platform.promote(plan.deployment_id or "")
    outcome.record_made_live(live)
    with runner.group("Health checks"):
        health = check_live(plan.health, platform, live, outcome.url)
    outcome.record_health(health.verdict)
    if not health.passed:
        done = "rolled back" if plan.command == "rollback" else "promoted"
        raise HealthFailure(f"health check failed after it was {done}: {health.reason}", health)
    return health
