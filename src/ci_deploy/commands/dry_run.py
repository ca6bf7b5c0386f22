"""The dry run of any command: print its plan and report it, with nothing changed.

For a deploy with a token it may make read-only calls (the project, and on Cloudflare the upload
token and check-missing) to tell new files from reused ones; without one that is "unknown".
"""

from __future__ import annotations

import sys

from ci_deploy import redaction, runner
from ci_deploy.commands.session import Session
from ci_deploy.plan import Plan
from ci_deploy.plan.model import DeployPlan
from ci_deploy.plan.render import plan_lines
from ci_deploy.platforms.base import UploadPlan
from ci_deploy.report.render import PlanFacts


def dry_run(session: Session, plan: Plan) -> PlanFacts | None:
    """Print ``plan``; for a deploy, return what it would upload for the summary."""
    upload = _upload(session, plan) if isinstance(plan, DeployPlan) else None
    text = "\n".join(plan_lines(plan, upload))
    # the plan shows event text (the branch) on lines of its own: never a secret, never a command
    sys.stdout.write(runner.inert_lines(redaction.redact(text)) + "\n")
    if not isinstance(plan, DeployPlan) or upload is None:
        return None
    return PlanFacts(
        files_total=upload.files_total,
        bytes_total=upload.bytes_total,
        files_new=upload.files_new,
        bytes_new=upload.bytes_new,
        domains=plan.domains,
    )


def _upload(session: Session, plan: DeployPlan) -> UploadPlan:
    platform = session.platform
    if session.settings.token:
        platform.connect(read_only=True)
    return platform.plan_upload(plan.artifact, plan.request)
