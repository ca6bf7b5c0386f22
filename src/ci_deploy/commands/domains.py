"""``domains add|status`` (command line): attach custom domains to production, or read their state."""

from __future__ import annotations

import sys

from ci_deploy.commands.session import Session
from ci_deploy.plan.model import DomainsPlan
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
        line = f"{domain.name}: {domain.status}"
        if domain.records:
            line += " — needs " + "; ".join(f"{r.type} {r.name} -> {r.value}" for r in domain.records)
        print(line, file=sys.stdout)
