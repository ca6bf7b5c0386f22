"""``domains add|status`` (command line): attach custom domains to production, or read their state."""

from __future__ import annotations

import sys

from ci_deploy import runner
from ci_deploy.commands.session import Session
from ci_deploy.plan.model import DomainsPlan
from ci_deploy.platforms.base import DomainStatus
from ci_deploy.platforms.domain_wait import describe
from ci_deploy.report.outcome import Outcome


def domains(session: Session, plan: DomainsPlan, outcome: Outcome) -> None:
    """``add``: attach, then wait at most ``plan.domains_wait``; ``status``: read only. Prints
    each domain's state and the DNS records it still needs."""
    platform = session.platform
    platform.connect(read_only=plan.action != "add")
    if plan.action == "add":
        found = platform.attach_domains(list(plan.names), wait_seconds=plan.domains_wait)
    else:
        found = platform.domain_status(list(plan.names))
    outcome.record_domains(found)
    for domain in found:
        print(describe(domain), file=sys.stdout)
    warn_unfinished(found)


def warn_unfinished(found: list[DomainStatus]) -> None:
    """One warning annotation per domain that is not active yet: DNS is the user's to finish,
    and the run still succeeds."""
    for domain in found:
        if domain.status == "active":
            continue
        after = " It goes live by itself once DNS is set." if domain.status == "pending" else ""
        runner.warning(f"custom domain {describe(domain)}.{after}", title="ci-deploy")
