"""The part of the plan about after the deploy: which Sentry release and environment, whether to
watch it, whether anyone is notified. Pure, like the rest of the plan."""

from __future__ import annotations

from ci_deploy.config.context import RunContext
from ci_deploy.config.event import Target
from ci_deploy.config.settings import Settings
from ci_deploy.errors import InputError
from ci_deploy.observe.model import ObservePlan, SentryPlan, sentry_environment


def observe_plan(settings: Settings, target: Target, ctx: RunContext) -> ObservePlan:
    notify = bool(settings.notify_webhook or settings.notify_slack_webhook)
    return ObservePlan(sentry=_sentry_plan(settings, target, ctx), notify=notify)


def _sentry_plan(settings: Settings, target: Target, ctx: RunContext) -> SentryPlan | None:
    """None unless Sentry is configured (the settings made sure it is complete when it is)."""
    if not (settings.sentry_org and settings.sentry_project):
        return None
    if not target.sha:
        raise InputError(
            "the Sentry release is named after the commit, and the run has none: set GITHUB_SHA",
            input_name="sentry-org",
        )
    return SentryPlan(
        url=settings.sentry_url,
        org=settings.sentry_org,
        project=settings.sentry_project,
        version=f"{settings.sentry_release_prefix}{target.sha}",
        environment=sentry_environment(target.environment, target.pr_number),
        repository=ctx.repository,
        commit=target.sha,
        finalize=target.environment == "production",
        watch_seconds=settings.error_watch,
        threshold=settings.error_watch_threshold,
    )
