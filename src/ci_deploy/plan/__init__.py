"""The plan: what a run will do, decided from the settings, the target and the artifact alone.

``build_plan`` is pure (no network, no writes; the artifact is already open): it checks the
platform's limits, renders the templates, lists the env vars and required names, and fixes every
choice the executor will follow. Whatever it refuses is exit 2 with nothing changed.
"""

from __future__ import annotations

from pathlib import Path

from ci_deploy.artifact import Artifact
from ci_deploy.config.context import RunContext
from ci_deploy.config.env_required import auto_required
from ci_deploy.config.event import Target
from ci_deploy.config.settings import Settings
from ci_deploy.config.templates import render_template
from ci_deploy.errors import InputError
from ci_deploy.health.spec import HealthSpec
from ci_deploy.plan.model import (
    CleanupPlan,
    DeployPlan,
    DomainsPlan,
    EnvPlan,
    GitHubPlan,
    MakeLivePlan,
    Plan,
)
from ci_deploy.plan.observe import observe_plan
from ci_deploy.platforms import platform_spec
from ci_deploy.platforms.base import DeployRequest

__all__ = ["Plan", "build_plan", "required_env"]


def build_plan(
    settings: Settings, target: Target, ctx: RunContext, artifact: Artifact | None, *, run_key: str
) -> Plan:
    """The plan for ``target.command``; ``artifact`` is needed (only) by a deploy."""
    command = target.command
    if command == "deploy":
        if artifact is None:
            raise ValueError("a deploy plan needs the artifact")
        return _deploy_plan(settings, target, ctx, artifact, run_key)
    if command == "cleanup":
        return _cleanup_plan(settings, target)
    if command in ("rollback", "promote"):
        return MakeLivePlan(
            platform=settings.platform, project=settings.project, target=target, command=command,
            deployment_id=settings.deployment_id, health=_health(settings, target),
        )  # fmt: skip
    if command in ("domains-add", "domains-status"):
        return _domains_plan(settings, target, "add" if command == "domains-add" else "status")
    raise ValueError(f"no plan for command {command!r}")


def render_input(settings: Settings, target: Target, template: str, input_name: str) -> str:
    """A template input with ``{{pr}}``, ``{{branch}}`` (the platform's slug), ``{{sha}}``…"""
    slug = platform_spec(settings.platform).slug_branch
    return render_template(
        template,
        input_name=input_name,
        pr=target.pr_number,
        branch_slug=slug(target.branch) if target.branch else None,
        sha=target.sha,
        project=settings.project,
    )


def preview_host(settings: Settings, target: Target) -> str:
    """The rendered ``preview-domain`` for a preview, "" on production or when unset."""
    if not settings.preview_domain or target.environment == "production":
        return ""
    return render_input(settings, target, settings.preview_domain, "preview-domain").lower()


def _deploy_plan(
    settings: Settings, target: Target, ctx: RunContext, artifact: Artifact, run_key: str
) -> DeployPlan:
    request = DeployRequest(
        environment=target.environment, branch=target.branch, commit_sha=target.sha,
        commit_message=target.commit_message, pr_number=target.pr_number, run_key=run_key,
        repository=ctx.repository or None, remote_url=ctx.repository_url or None,
        run_url=ctx.run_url or None, wait=settings.wait,
    )  # fmt: skip
    platform_spec(settings.platform).check_limits(artifact, target.environment)
    production = target.environment == "production"
    return DeployPlan(
        platform=settings.platform,
        project=settings.project,
        target=target,
        request=request,
        artifact=artifact,
        env=EnvPlan(settings.env, required_env(settings, artifact)),
        preview_host=preview_host(settings, target),
        domains=tuple(settings.domains) if production else (),
        domains_wait=settings.domains_timeout,
        health=_health(settings, target) if settings.wait else None,
        on_health_failure=settings.on_health_failure,
        github=_github(settings, target),
        observe=observe_plan(settings, target, ctx),
    )


def required_env(settings: Settings, artifact: Artifact | None) -> frozenset[str]:
    """The names ``env-required`` asks for (``auto``: read from the examples and server code)."""
    if settings.env_required == "none":
        return frozenset()
    if settings.env_required == "auto":
        return auto_required(Path(settings.working_directory), artifact)
    return frozenset(settings.env_required)


def _health(settings: Settings, target: Target) -> HealthSpec | None:
    """What to check once the URL is known; None when ``health-check: false``."""
    if not settings.health_check:
        return None
    expect = settings.health_check_expect
    text = render_input(settings, target, expect.text, "health-check-expect") if expect.text else None
    return HealthSpec(
        base_url="",
        paths=tuple(settings.health_check),
        statuses=tuple(expect.ranges),
        text=text,
        timeout=settings.health_check_timeout,
        headers=dict(settings.health_check_headers),
        max_latency_ms=settings.health_check_max_latency_ms,
        ttfb_p95_budget_ms=settings.perf_budget_ms,
        own_hosts=tuple(settings.domains),
    )


def _github(settings: Settings, target: Target) -> GitHubPlan:
    return GitHubPlan(
        comment=settings.comment,
        comment_key=settings.comment_key,
        deployment=settings.github_deployment,
        environment_name=settings.github_environment_for(target.environment),
    )


def _cleanup_plan(settings: Settings, target: Target) -> CleanupPlan:
    if not target.pr_number:
        raise InputError("cleanup needs the pull request number: pass pr-number", input_name="pr-number")
    return CleanupPlan(
        platform=settings.platform, project=settings.project, target=target, pr_number=target.pr_number,
        branch=target.branch, preview_host=preview_host(settings, target), github=_github(settings, target),
    )  # fmt: skip


def _domains_plan(settings: Settings, target: Target, action: str) -> DomainsPlan:
    if not settings.domains:
        raise InputError("name at least one domain", input_name="domains")
    return DomainsPlan(
        platform=settings.platform, project=settings.project, target=target,
        action="add" if action == "add" else "status", names=tuple(settings.domains),
        domains_wait=settings.domains_timeout,
    )  # fmt: skip
