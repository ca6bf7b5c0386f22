"""The commands besides deploy: cleanup of a PR's previews, rollback, promote, domains.

Each takes the session and fills in the outcome, like the pipeline, so every command writes the
same outputs, summary and comment.
"""

from __future__ import annotations

import logging

from ci_deploy import runner
from ci_deploy.commands.deploy import HealthFailure
from ci_deploy.commands.session import Session
from ci_deploy.errors import InputError
from ci_deploy.health.spec import HealthOutcome, run_health_checks
from ci_deploy.platforms.base import Deployment
from ci_deploy.report.outcome import Outcome, live_url

log = logging.getLogger("ci_deploy.commands.operations")


def cleanup(session: Session, outcome: Outcome) -> None:
    """Delete a closed PR's preview deployments (found by what we recorded and what the platform
    lists for its branch, never by guessing), its preview alias, mark its GitHub deployments
    inactive and say so in the comment. Production is never touched."""
    target = session.target
    outcome.environment = "preview"
    if not target.pr_number:
        raise InputError("cleanup needs the pull request number: pass pr-number", input_name="pr-number")
    publisher = session.publisher()
    known = publisher.recorded_platform_ids()
    platform = session.platform
    with runner.group(f"Remove the previews of PR #{target.pr_number}"):
        platform.connect(read_only=True)
        previews = platform.find_previews(target.pr_number, target.branch or None, known)
        for preview in previews:
            platform.delete_deployment(preview.id)
            log.info("Deleted preview deployment %s", preview.id)
        host = session.preview_host()
        if host:
            platform.remove_preview_domain(host)
    publisher.deactivate_pr()
    note = f"Deleted {len(previews)} preview deployment(s) of PR #{target.pr_number}."
    runner.notice(note, title="ci-deploy cleanup")
    publisher.comment(session.facts(outcome, "removed", notes=(note,)))
    outcome.comment_id = publisher.comment_id


def rollback(session: Session, outcome: Outcome) -> HealthOutcome:
    """Make an earlier production deployment live (``deployment-id``, default: the one before the
    live one), then check it."""
    platform = session.platform
    with runner.group("Roll back production"):
        platform.connect(read_only=True)
        restored = platform.rollback(session.settings.deployment_id)
    outcome.rolled_back_to = restored.id
    return _made_live(session, outcome, restored, "rolled-back")


def promote(session: Session, outcome: Outcome) -> HealthOutcome:
    """Make ``deployment-id`` the live production deployment, then check it."""
    deployment_id = session.settings.deployment_id
    if not deployment_id:
        raise InputError("promote needs the deployment to promote", input_name="deployment-id")
    platform = session.platform
    with runner.group(f"Promote {deployment_id}"):
        platform.connect(read_only=True)
        promoted = platform.promote(deployment_id)
    return _made_live(session, outcome, promoted, "ready")


def _made_live(session: Session, outcome: Outcome, deployment: Deployment, state: str) -> HealthOutcome:
    outcome.environment = "production"
    outcome.deployment = deployment
    outcome.url = live_url(outcome)
    with runner.group("Health checks"):
        health = run_health_checks(session, session.platform, deployment, outcome.url)
    outcome.health = "skipped" if health.result is None else ("passed" if health.passed else "failed")
    if not health.passed:
        raise HealthFailure(f"health check failed after {state}: {health.reason}", health)
    return health


def domains(session: Session, outcome: Outcome, action: str) -> None:
    """``domains add``: attach and wait; ``domains status``: read only."""
    names = session.settings.domains
    if not names:
        raise InputError("name at least one domain", input_name="domains")
    platform = session.platform
    platform.connect(read_only=action != "add")
    if action == "add":
        outcome.domains = platform.attach_domains(names, wait_seconds=session.settings.timeout)
    else:
        outcome.domains = platform.domain_status(names)
    outcome.environment = "production"
