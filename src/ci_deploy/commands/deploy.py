"""``deploy``: carry out a :class:`~ci_deploy.plan.model.DeployPlan`, in the order that leaves
nothing half-done: read-only checks first, then env vars, one deployment, the GitHub deployment,
aliases, domains and the health gate (with its rollback policy).

It follows the plan and decides nothing the plan already settled. Raises a CiDeployError on
failure, after recording what happened in the outcome, the PR comment and the GitHub deployment.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from ci_deploy import http, runner
from ci_deploy.commands.domains import warn_unfinished
from ci_deploy.commands.health_gate import SKIPPED, HealthFailure, HealthOutcome, check_live
from ci_deploy.commands.session import Session
from ci_deploy.config.envvars import missing_required
from ci_deploy.errors import CiDeployError, InputError, PlatformError
from ci_deploy.github.deployments import DeploymentSpec
from ci_deploy.github.publisher import GitHubPublisher
from ci_deploy.observe.hooks import announce, check_sentry, record_perf, track_release
from ci_deploy.plan.model import DeployPlan
from ci_deploy.platforms.base import Deployment, PreflightFacts
from ci_deploy.report.outcome import Outcome, live_url
from ci_deploy.report.render import State
from ci_deploy.shutdown import Cancelled

log = logging.getLogger("ci_deploy.commands.deploy")


def deploy(session: Session, plan: DeployPlan, outcome: Outcome) -> HealthOutcome:
    """Deploy as planned; returns the health gate's result."""
    platform = session.platform
    platform.prepare(plan.artifact, plan.request)
    with runner.group(f"Connect to {platform.name}"):
        # Read first: every check that can fail on input passes before the first write (the
        # project a deploy may create included), so exit 2 always means nothing was changed.
        platform.connect(read_only=True)
        _require_env(session, plan)
        platform.preflight(PreflightFacts(plan.artifact, plan.request, plan.preview_host))
        check_sentry(session.settings, plan.observe)
        platform.connect()
    publisher = session.publisher(plan.github)
    publisher.comment(session.facts(outcome, "deploying"))
    try:
        health = _deploy(session, plan, outcome, publisher)
        ready = outcome.deployment is not None and outcome.deployment.state == "ready"
        publisher.comment(session.facts(outcome, "ready", health=health.facts()))
        publisher.finish_deployment(ok=True, url=outcome.url, done=ready)
        announce(session.settings, session.facts(outcome, "ready"))
        return health
    except (CiDeployError, Cancelled) as error:
        if publisher.deployment is None:
            publisher.start_deployment(_github_spec(plan, outcome.deployment))
        state = _failed_state(outcome, error)
        health_facts = error.health.facts() if isinstance(error, HealthFailure) else None
        hint = error.details if isinstance(error, CiDeployError) else ""
        facts = session.facts(outcome, state, health=health_facts, error=str(error), hint=hint)
        publisher.comment(facts)
        publisher.finish_deployment(ok=False, url=outcome.url, description=str(error))
        announce(session.settings, facts)
        raise
    finally:
        outcome.record_github(publisher.comment_id, publisher.deployment_id)


def _failed_state(outcome: Outcome, error: CiDeployError | Cancelled) -> State:
    if outcome.rolled_back_to:
        return "rolled-back"
    return "cancelled" if isinstance(error, Cancelled) else "failed"


def _require_env(session: Session, plan: DeployPlan) -> None:
    """Fail before anything is uploaded when a required env var has no value anywhere (the
    project's own list is read only when the plan alone leaves a name missing)."""
    env = plan.env
    if not missing_required(env.required, env.variables, set()):
        return
    existing = session.platform.existing_env_names(plan.request.environment)
    missing = missing_required(env.required, env.variables, existing)
    if missing:
        raise InputError(
            f"required environment variables have no value: {', '.join(missing)}; add them to "
            f"'env' (e.g. NAME: ${{NAME}} with the secret in the step's env), set them on the "
            f"project, or set env-required: none",
            input_name="env-required",
        )


def _deploy(
    session: Session, plan: DeployPlan, outcome: Outcome, publisher: GitHubPublisher
) -> HealthOutcome:
    platform = session.platform
    previous = platform.live_production() if plan.reads_live_production else None
    if plan.env.variables:
        with runner.group("Environment variables"):
            platform.set_env_vars(list(plan.env.variables), plan.request.environment)
            outcome.record_env_names(plan.env.names)
    with runner.group(f"Deploy {plan.artifact.label} ({len(plan.artifact.files)} files)"):
        deployment = platform.deploy(plan.artifact, plan.request, created=outcome.record_created)
    outcome.record_deployment(deployment)
    if deployment.environment != plan.request.environment:
        runner.warning(
            f"asked for a {plan.request.environment} deployment; the platform made it "
            f"{deployment.environment} (a project's first deployment goes to production)",
            title="ci-deploy",
        )
    # Recorded now, with the platform's id in the payload: cleanup finds previews by it.
    publisher.start_deployment(_github_spec(plan, deployment))
    if plan.preview_host:
        with _after(deployment, f"the preview domain {plan.preview_host} could not be attached"):
            outcome.record_alias(platform.assign_preview_domain(deployment, plan.preview_host))
    if plan.domains:
        with runner.group("Custom domains"), _after(deployment, "its custom domains could not be attached"):
            outcome.record_domains(
                platform.attach_domains(list(plan.domains), wait_seconds=plan.domains_wait)
            )
        warn_unfinished(outcome.domains)
    outcome.record_url(live_url(outcome, outcome.alias_url if plan.preview_host else ""))
    if deployment.state != "ready":
        # Aliases move only once it is ready: the one URL that surely shows this deployment.
        outcome.record_url(deployment.url)
        log.info("Not waiting for the deployment (wait: false); health checks skipped")
        return SKIPPED
    health = SKIPPED
    if plan.health is not None:
        with runner.group("Health checks"):
            health = check_live(plan.health, platform, deployment, outcome.url)
        outcome.record_health(health.verdict)
        record_perf(plan.health, health.result, platform, deployment, previous, outcome)
        if not health.passed:
            _on_failure(
                session, plan, deployment, previous, health, outcome, f"health check failed: {health.reason}"
            )

    def show_watching(note: str) -> None:
        publisher.comment(session.facts(outcome, "ready", health=health.facts(), notes=(note,)))

    watch_failure = track_release(
        session.settings, plan.observe, deployment, outcome, before_watch=show_watching
    )
    if watch_failure:
        _on_failure(session, plan, deployment, previous, health, outcome, watch_failure)
    return health


@contextlib.contextmanager
def _after(deployment: Deployment, what: str) -> Iterator[None]:
    """A failure once the deployment exists is exit 1, and says what was already created: a
    refusal, or no answer at all (retries spent)."""
    try:
        yield
    except CiDeployError as error:
        message = f"{_created(deployment)}; {what}: {error.message}"
        raise PlatformError(message, details=error.details) from error
    except http.NO_ANSWER as error:
        why = f"no answer ({http.no_answer_reason(error)})"
        raise PlatformError(f"{_created(deployment)}; {what}: {why}") from error


def _created(deployment: Deployment) -> str:
    live = "is live" if deployment.state == "ready" else "is building"
    return f"deployment {deployment.id} was created and {live} at {deployment.url}"


def _on_failure(
    session: Session,
    plan: DeployPlan,
    deployment: Deployment,
    previous: Deployment | None,
    health: HealthOutcome,
    outcome: Outcome,
    message: str,
) -> None:
    """The ``on-health-failure`` policy, for a failed health check or error watch (``message``):
    ``warn`` warns; ``fail`` fails; ``rollback`` on production restores the deployment that was
    live before this run, checks it answers healthy (when there are health checks), then fails.
    Previews are never rolled back."""
    if plan.on_health_failure == "warn":
        runner.warning(f"{message} (on-health-failure: warn, so the step passes)", title="ci-deploy")
        return
    if plan.on_health_failure == "rollback" and deployment.environment == "production":
        if previous is None or previous.id == deployment.id:
            raise HealthFailure(f"{message}; no earlier production deployment to roll back to", health)
        newer = _taken_over(session, deployment, previous)
        if newer is not None:
            raise HealthFailure(
                f"{message}; production now serves {newer}, neither this run's {deployment.id} nor "
                f"the one before it (another run or a person changed it meanwhile), so it is not "
                f"rolled back over that",
                health,
            )
        with runner.group(f"Roll back to {previous.id}"):
            restored = _rolled_back(session, previous, deployment, health, message)
            outcome.record_rollback(restored.id)
            recheck = check_live(plan.health, session.platform, restored, outcome.url)
        verdict = _recheck_verdict(recheck)
        raise HealthFailure(f"{message}; rolled back to {restored.id}, and {verdict}", health)
    raise HealthFailure(message, health)


def _taken_over(session: Session, deployment: Deployment, previous: Deployment) -> str | None:
    """The id production serves now when it is neither this run's deployment nor the one a
    rollback would restore: a concurrent deploy (or a person) took production over, and rolling
    back would undo their change, not ours. None when it is ours, or cannot be read (then the
    rollback goes ahead, as asked)."""
    try:
        live = session.platform.live_production()
    except (CiDeployError, *http.NO_ANSWER):
        return None
    if live is None or live.id in (deployment.id, previous.id):
        return None
    return live.id


def _rolled_back(
    session: Session, previous: Deployment, deployment: Deployment, health: HealthOutcome, message: str
) -> Deployment:
    """``previous`` live again; a rollback the platform refuses or never answers fails the step
    with the health failure first, then why production still serves the failed deployment."""
    try:
        return session.platform.rollback(previous.id)
    except CiDeployError as error:
        why = error.message
    except http.NO_ANSWER as error:
        why = f"no answer ({http.no_answer_reason(error)})"
    raise HealthFailure(
        f"{message}; rolling back to {previous.id} failed: {why}; production still serves {deployment.id}",
        health,
    )


def _recheck_verdict(recheck: HealthOutcome) -> str:
    """What the health checks said of the restored deployment; no claim when none ran."""
    if recheck.result is None:
        return "it is restored (no health checks ran on it)"
    return "it answers healthy" if recheck.passed else f"it is not healthy either: {recheck.reason}"


def _github_spec(plan: DeployPlan, deployment: Deployment | None) -> DeploymentSpec:
    request = plan.request
    return DeploymentSpec(
        platform_ids=(deployment.id,) if deployment else (),
        sha=request.commit_sha,
        environment=plan.github.environment_name,
        production=request.environment == "production",
        platform=plan.platform,
        project=plan.project,
        branch=request.branch,
        pr_number=request.pr_number,
        run_key=request.run_key,
    )
