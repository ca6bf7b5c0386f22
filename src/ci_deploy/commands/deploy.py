"""The deploy, top to bottom: limits -> env -> connect -> env vars -> deploy -> domains -> health
-> rollback, with GitHub told at the start and the end.

Data flows one way. Nothing here asks which platform it talks to: everything platform-specific
sits behind :class:`~ci_deploy.platforms.base.Platform`. The :class:`Outcome` is filled in as the
run goes, so the outputs, comment and summary say what really happened even when a step fails.
"""

from __future__ import annotations

import logging

from ci_deploy import runner
from ci_deploy.artifact import Artifact
from ci_deploy.commands.session import Session
from ci_deploy.config.envvars import EnvPlan, missing_required
from ci_deploy.errors import CiDeployError, HealthCheckFailed
from ci_deploy.github.deployments import DeploymentSpec
from ci_deploy.github.publisher import GitHubPublisher
from ci_deploy.health.spec import HealthOutcome, run_health_checks
from ci_deploy.platforms.base import Deployment, DeployRequest
from ci_deploy.report.outcome import Outcome, live_url
from ci_deploy.report.render import State

log = logging.getLogger("ci_deploy.commands.deploy")


def deploy(session: Session, outcome: Outcome) -> HealthOutcome:
    """Deploy the artifact for ``session.target``. Raises a CiDeployError on failure, after
    recording what happened in ``outcome``, the PR comment and the GitHub deployment."""
    outcome.environment = session.target.environment
    platform = session.platform
    with session.artifact() as artifact:
        request = session.deploy_request()
        platform.check_limits(artifact, request)
        env_plan = session.env_plan(artifact)
        session.preview_host()  # an unresolvable template fails here, before anything changes
        with runner.group(f"Connect to {platform.name}"):
            platform.connect()
            if missing_required(env_plan, set()):  # only then is the project's own list worth a call
                session.require_env(env_plan, platform.existing_env_names(request.environment))
        publisher = session.publisher()
        publisher.comment(session.facts(outcome, "deploying"))
        try:
            health = _deploy(session, artifact, request, env_plan, outcome, publisher)
            ready = outcome.deployment is not None and outcome.deployment.state == "ready"
            publisher.comment(session.facts(outcome, "ready", health=health.facts()))
            publisher.finish_deployment(ok=True, url=outcome.url, done=ready)
            return health
        except CiDeployError as error:
            if publisher.deployment is None:
                publisher.start_deployment(_github_spec(session, request, outcome.deployment))
            state: State = "rolled-back" if outcome.rolled_back_to else "failed"
            health_facts = error.health.facts() if isinstance(error, HealthFailure) else None
            publisher.comment(
                session.facts(outcome, state, health=health_facts, error=str(error), hint=error.details)
            )
            publisher.finish_deployment(ok=False, url=outcome.url, description=str(error))
            raise
        finally:
            outcome.comment_id = publisher.comment_id
            outcome.github_deployment_id = publisher.deployment_id


class HealthFailure(HealthCheckFailed):
    """A failed health check, carrying the result for the report."""

    def __init__(self, message: str, health: HealthOutcome, details: str = "") -> None:
        super().__init__(message, details=details)
        self.health = health


def _deploy(
    session: Session,
    artifact: Artifact,
    request: DeployRequest,
    env_plan: EnvPlan,
    outcome: Outcome,
    publisher: GitHubPublisher,
) -> HealthOutcome:
    platform = session.platform
    previous = platform.live_production() if _may_roll_back(session, request) else None
    if env_plan.variables:
        with runner.group("Environment variables"):
            platform.set_env_vars(env_plan.variables, request.environment)
            outcome.env_names = sorted(v.name for v in env_plan.variables)
    with runner.group(f"Deploy {artifact.label} ({len(artifact.files)} files)"):
        deployment = platform.deploy(artifact, request)
    outcome.deployment = deployment
    outcome.deployed = True
    if deployment.environment != request.environment:
        # Vercel makes a project's first deployment production whatever was asked.
        runner.warning(
            f"asked for a {request.environment} deployment; the platform made it {deployment.environment} "
            "(a project's first deployment goes to production)",
            title="ci-deploy",
        )
        outcome.environment = deployment.environment
    # Recorded now, with the platform's id in the payload: cleanup finds previews by it.
    publisher.start_deployment(_github_spec(session, request, deployment))
    outcome.alias_url = deployment.alias_url
    host = session.preview_host()
    if host:
        outcome.alias_url = platform.assign_preview_domain(deployment, host)
    if request.environment == "production" and session.settings.domains:
        with runner.group("Custom domains"):
            outcome.domains = platform.attach_domains(
                session.settings.domains, wait_seconds=session.settings.timeout
            )
    outcome.url = live_url(outcome, outcome.alias_url if host else "")
    if deployment.state != "ready":
        # Aliases move only once it is ready: the one URL that surely shows this deployment.
        outcome.url = deployment.url
        log.info("Not waiting for the deployment (wait: false); health checks skipped")
        return HealthOutcome(None)
    if not session.settings.health_check:
        return HealthOutcome(None)
    with runner.group("Health checks"):
        health = run_health_checks(session, platform, deployment, outcome.url)
    outcome.health = "skipped" if health.result is None else ("passed" if health.passed else "failed")
    if not health.passed:
        _on_health_failure(session, deployment, previous, health, outcome)
    return health


def _may_roll_back(session: Session, request: DeployRequest) -> bool:
    """Whether this run could roll back: only then is the live production deployment read
    (before the new one replaces it)."""
    settings = session.settings
    return (
        request.environment == "production"
        and settings.wait
        and bool(settings.health_check)
        and settings.on_health_failure == "rollback"
    )


def _on_health_failure(
    session: Session,
    deployment: Deployment,
    previous: Deployment | None,
    health: HealthOutcome,
    outcome: Outcome,
) -> None:
    """``warn`` warns; ``fail`` fails; ``rollback`` on production restores the deployment that was
    live before this run, checks it answers healthy, then fails. Previews are never rolled back."""
    policy = session.settings.on_health_failure
    message = f"health check failed: {health.reason}"
    if policy == "warn":
        runner.warning(f"{message} (on-health-failure: warn, so the step passes)", title="ci-deploy")
        return
    if policy == "rollback" and deployment.environment == "production":
        if previous is None or previous.id == deployment.id:
            raise HealthFailure(f"{message}; no earlier production deployment to roll back to", health)
        with runner.group(f"Roll back to {previous.id}"):
            restored = session.platform.rollback(previous.id)
            outcome.rolled_back_to = restored.id
            recheck = run_health_checks(session, session.platform, restored, outcome.url)
        verdict = "it answers healthy" if recheck.passed else f"it is not healthy either: {recheck.reason}"
        raise HealthFailure(f"{message}; rolled back to {restored.id}, and {verdict}", health)
    raise HealthFailure(message, health)


def _github_spec(session: Session, request: DeployRequest, deployment: Deployment | None) -> DeploymentSpec:
    production = request.environment == "production"
    return DeploymentSpec(
        platform_ids=(deployment.id,) if deployment else (),
        sha=request.commit_sha,
        environment=session.settings.github_environment_for(request.environment),
        production=production,
        platform=session.settings.platform,
        project=session.settings.project,
        branch=request.branch,
        pr_number=request.pr_number,
        run_key=session.run_key,
    )
