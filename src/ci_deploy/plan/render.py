"""A plan as the dry run prints it: one aligned line per decision, secrets by name only."""

from __future__ import annotations

from ci_deploy.plan.model import CleanupPlan, DeployPlan, DomainsPlan, MakeLivePlan, Plan
from ci_deploy.platforms.base import UploadPlan

HEADER = "Plan (dry run: nothing is changed)"


def plan_lines(plan: Plan, upload: UploadPlan | None = None) -> list[str]:
    """The dry run's text for ``plan``; ``upload`` adds what a deploy would upload."""
    target = plan.target
    lines = [HEADER, _row("platform", f"{plan.platform}, project {plan.project}")]
    if isinstance(plan, DeployPlan):
        return lines + _deploy_lines(plan, upload)
    if isinstance(plan, CleanupPlan):
        lines.append(_row("cleanup", f"the previews of PR #{plan.pr_number} (branch {plan.branch or '-'})"))
        if plan.preview_host:
            lines.append(_row("preview host", f"{plan.preview_host} (removed)"))
        return lines
    if isinstance(plan, MakeLivePlan):
        which = plan.deployment_id or "the production deployment before the live one"
        verb = "roll back to" if plan.command == "rollback" else "promote"
        lines.append(_row(plan.command, f"{verb} {which}"))
        return [*lines, _row("health check", _checks(plan.health.paths if plan.health else ()))]
    if isinstance(plan, DomainsPlan):
        verb = "attach to production" if plan.action == "add" else "read the state of"
        return [*lines, _row("domains", f"{verb} {', '.join(plan.names)}")]
    raise TypeError(f"unknown plan {type(plan).__name__} for {target.command}")


def _deploy_lines(plan: DeployPlan, upload: UploadPlan | None) -> list[str]:
    target = plan.target
    reason = f" ({target.reason})" if target.reason else ""
    lines = [
        _row("environment", f"{target.environment}{reason}"),
        _row("branch", f"{target.branch or '-'}   commit {target.sha[:7] or '-'}"),
        _row("files", _files(plan, upload)),
        _row("env vars", _env_names(plan)),
        _row("required env", ", ".join(sorted(plan.env.required))),
    ]
    if plan.domains:
        lines.append(_row("domains", ", ".join(plan.domains)))
    if plan.preview_host:
        lines.append(_row("preview host", plan.preview_host))
    lines.append(_row("health check", _checks(plan.health.paths if plan.health else ())))
    return lines


def _env_names(plan: DeployPlan) -> str:
    return ", ".join(f"{v.name} ({'secret' if v.secret else 'plain'})" for v in plan.env.variables)


def _row(name: str, value: str) -> str:
    return f"  {name:<13} {value or '-'}"


def _checks(paths: tuple[str, ...]) -> str:
    return ", ".join(paths) if paths else "skipped"


def _files(plan: DeployPlan, upload: UploadPlan | None) -> str:
    if upload is None:
        files = plan.artifact.files
        return f"{len(files)} files, {size(sum(f.size for f in files))}"
    text = f"{upload.files_total} files, {size(upload.bytes_total)} ({upload.files_distinct} distinct)"
    if upload.files_new is None:
        return f"{text}; new vs reused: unknown"
    return f"{text}; {upload.files_new} new ({size(upload.bytes_new or 0)}), the rest reused"


def size(count: int) -> str:
    """``count`` bytes in B, KiB, MiB or GiB."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            break
        value /= 1024
    return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
