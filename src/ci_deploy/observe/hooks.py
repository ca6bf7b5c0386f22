"""The hooks ``commands/deploy.py`` calls around the deploy, each in one line.

:func:`check_sentry` runs beside the platform's preflight, before the first write: it is the one
hook that may stop a run (exit 2 when Sentry refuses the token, organization or project). After
the deploy, :func:`record_perf` runs once the health checks measured the deployment,
:func:`track_release` once it is healthy (its return value is a failure reason the caller treats
like a failed health check), and :func:`announce` when the run ends either way. None of these
three raises for a problem of its own: they warn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ci_deploy import runner
from ci_deploy.config.settings import Settings
from ci_deploy.health.checks import HealthResult
from ci_deploy.health.spec import HealthSpec
from ci_deploy.observe.access import check_access
from ci_deploy.observe.model import ObservePlan
from ci_deploy.observe.notify import DeployEvent, notify
from ci_deploy.observe.perf import perf_facts
from ci_deploy.observe.release import record_release, watch_release
from ci_deploy.observe.sentry import SentryClient
from ci_deploy.platforms.base import Deployment, Platform
from ci_deploy.report.outcome import Outcome
from ci_deploy.report.render import ReportFacts

__all__ = ["announce", "check_sentry", "record_perf", "track_release"]


def check_sentry(settings: Settings, plan: ObservePlan) -> None:
    """Before the first write: Sentry must accept the token for the organization and project
    (nothing when Sentry is not configured; a warning when Sentry cannot be reached)."""
    if plan.sentry is None:
        return
    client = SentryClient(plan.sentry, settings.sentry_token)
    try:
        check_access(client)
    finally:
        client.close()


def record_perf(
    spec: HealthSpec | None,
    health: HealthResult | None,
    platform: Platform,
    deployment: Deployment,
    previous: Deployment | None,
    outcome: Outcome,
) -> None:
    """The performance table, from the health checks' samples (nothing when none ran)."""
    if spec is None or health is None:
        return
    perf = perf_facts(spec, health, platform, deployment, previous)
    if perf is not None:
        outcome.record_perf(perf)


def track_release(
    settings: Settings,
    plan: ObservePlan,
    deployment: Deployment,
    outcome: Outcome,
    *,
    before_watch: Callable[[str], None],
) -> str:
    """The Sentry release and deploy, then the error watch when asked for; returns the watch's
    failure reason, "" when there is none (or no Sentry). ``before_watch`` gets the note to show
    while the watch runs (the PR comment says "ready" then, not "deploying" for minutes)."""
    if plan.sentry is None:
        return ""
    client = SentryClient(plan.sentry, settings.sentry_token)
    try:
        with runner.group(f"Sentry release {plan.sentry.version}"):
            facts = record_release(client, outcome.url, deployment.created_on)
        outcome.record_sentry(facts)
        if plan.sentry.watch_seconds is None or not facts.release_url:
            return ""
        before_watch(watching_note(plan.sentry.watch_seconds))
        with runner.group(f"Error watch ({plan.sentry.watch_seconds:g} s)"):
            verdict = watch_release(client)
        outcome.record_sentry(replace(facts, watch=verdict.summary))
        return verdict.failure
    finally:
        client.close()


def watching_note(seconds: float) -> str:
    """``watching errors for 5 min; …``: what the report says while the watch runs."""
    span = f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"
    return f"watching errors for {span} in Sentry; this comment is updated when the watch ends"


def announce(settings: Settings, facts: ReportFacts) -> None:
    """Notify the webhook and Slack that the run ended as ``facts.state`` says."""
    if not (settings.notify_webhook or settings.notify_slack_webhook):
        return
    kind = {"ready": "succeeded", "rolled-back": "rolled_back"}.get(facts.state, "failed")
    event = DeployEvent(
        event=f"deploy.{kind}",
        platform=facts.platform,
        project=facts.project,
        environment=facts.environment,
        url=facts.url,
        deployment_id=facts.deployment_id,
        commit=facts.commit_sha,
        branch=facts.branch,
        pr=facts.pr_number,
        run_url=facts.run_url,
        error=facts.error,
        rolled_back_to=facts.rolled_back_to,
        sentry_release=facts.sentry.version if facts.sentry else "",
    )
    with runner.group("Notifications"):
        notify(
            event,
            webhook=settings.notify_webhook,
            secret=settings.notify_webhook_secret,
            slack=settings.notify_slack_webhook,
        )
