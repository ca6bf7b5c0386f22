"""``cleanup``: remove a closed pull request's previews as planned (never production)."""

from __future__ import annotations

import logging

from ci_deploy import runner
from ci_deploy.commands.session import Session
from ci_deploy.plan.model import CleanupPlan
from ci_deploy.report.outcome import Outcome

log = logging.getLogger("ci_deploy.commands.cleanup")


def cleanup(session: Session, plan: CleanupPlan, outcome: Outcome) -> str:
    """Delete the PR's preview deployments (found by what we recorded on GitHub and what the
    platform lists for its branch, never by guessing), its preview alias; mark its GitHub
    deployments inactive and say so in the comment. Returns the note for the summary."""
    publisher = session.publisher(plan.github)
    known = publisher.recorded_platform_ids()
    platform = session.platform
    with runner.group(f"Remove the previews of PR #{plan.pr_number}"):
        platform.connect(read_only=True)
        previews = platform.find_previews(plan.pr_number, plan.branch or None, known)
        for preview in previews:
            platform.delete_deployment(preview.id)
            log.info("Deleted preview deployment %s", preview.id)
        if plan.preview_host:
            platform.remove_preview_domain(plan.preview_host)
    publisher.deactivate_pr()
    note = f"Deleted {len(previews)} preview deployment(s) of PR #{plan.pr_number}."
    runner.notice(note, title="ci-deploy cleanup")
    publisher.comment(session.facts(outcome, "removed", notes=(note,)))
    outcome.record_github(publisher.comment_id, "")
    return note
