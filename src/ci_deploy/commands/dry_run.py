"""The dry run: what a deploy would do, printed and reported, with nothing changed.

With a token it may make read-only calls (the project, and on Cloudflare the upload token and
check-missing) to tell new files from reused ones; without one that is "unknown".
"""

from __future__ import annotations

import sys
from typing import TextIO

from ci_deploy.commands.session import Session
from ci_deploy.platforms.base import EnvVar, UploadPlan
from ci_deploy.report.outcome import Outcome
from ci_deploy.report.render import PlanFacts


def dry_run(session: Session, outcome: Outcome, out: TextIO | None = None) -> PlanFacts:
    """Validate everything a deploy would, print the plan, and return it for the summary."""
    settings, target = session.settings, session.target
    outcome.environment = target.environment
    platform = session.platform
    with session.artifact() as artifact:
        request = session.deploy_request()
        platform.check_limits(artifact, request)
        env_plan = session.env_plan(artifact)
        preview_host = session.preview_host()
        if settings.token:
            platform.connect(read_only=True)
        upload = platform.plan_upload(artifact, request)
    lines = [
        "Plan (dry run: nothing is changed)",
        f"  platform      {settings.platform}, project {settings.project}",
        f"  environment   {target.environment} ({target.reason})"
        if target.reason
        else f"  environment   {target.environment}",
        f"  branch        {target.branch or '-'}   commit {target.sha[:7] or '-'}",
        f"  files         {_files(upload)}",
        f"  env vars      {_env_names(env_plan.variables) or '-'}",
        f"  required env  {', '.join(sorted(env_plan.required)) or '-'}",
    ]
    if target.environment == "production" and settings.domains:
        lines.append(f"  domains       {', '.join(settings.domains)}")
    if preview_host:
        lines.append(f"  preview host  {preview_host}")
    checks = ", ".join(settings.health_check) if settings.health_check else "skipped"
    lines.append(f"  health check  {checks}")
    (out or sys.stdout).write("\n".join(lines) + "\n")
    outcome.env_names = sorted(v.name for v in env_plan.variables)
    return PlanFacts(
        files_total=upload.files_total,
        bytes_total=upload.bytes_total,
        files_new=upload.files_new,
        bytes_new=upload.bytes_new,
        domains=tuple(settings.domains) if target.environment == "production" else (),
    )


def _files(upload: UploadPlan) -> str:
    text = f"{upload.files_total} files, {_size(upload.bytes_total)} ({upload.files_distinct} distinct)"
    if upload.files_new is None:
        return f"{text}; new vs reused: unknown"
    return f"{text}; {upload.files_new} new ({_size(upload.bytes_new or 0)}), the rest reused"


def _env_names(variables: list[EnvVar]) -> str:
    return ", ".join(f"{v.name} ({'secret' if v.secret else 'plain'})" for v in variables)


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
