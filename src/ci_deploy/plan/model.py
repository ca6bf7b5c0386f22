"""What a command will do, as plain data: one plan type per command.

A plan is decided before anything is changed and is all the executor follows: the dry run prints
it, the commands carry it out, and neither derives a decision again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ci_deploy.artifact import Artifact
from ci_deploy.config.event import Target
from ci_deploy.health.spec import HealthSpec
from ci_deploy.observe.model import ObservePlan
from ci_deploy.platforms.base import DeployRequest, EnvVar

OnHealthFailure = Literal["rollback", "fail", "warn"]


@dataclass(frozen=True)
class GitHubPlan:
    """What the run records on GitHub: the sticky comment and the GitHub deployment."""

    comment: bool
    comment_key: str
    deployment: bool
    #: GitHub environment name for this run's environment ("Preview" / "Production" or the input)
    environment_name: str


@dataclass(frozen=True)
class EnvPlan:
    """Variables to set before the deployment is created, and names that must have a value."""

    variables: tuple[EnvVar, ...] = ()
    required: frozenset[str] = frozenset()

    @property
    def names(self) -> list[str]:
        return [variable.name for variable in self.variables]


@dataclass(frozen=True)
class DeployPlan:
    """Deploy ``artifact`` for ``target``: env vars, one deployment, aliases, domains, checks."""

    platform: str
    project: str
    target: Target
    request: DeployRequest
    artifact: Artifact = field(repr=False)
    env: EnvPlan
    #: the rendered ``preview-domain`` (previews only), else ""
    preview_host: str
    #: custom domains to attach (production only)
    domains: tuple[str, ...]
    #: seconds to wait for domains to become active before reporting them pending
    domains_wait: float
    #: None when health checks are off, or when the run does not wait for the deployment
    health: HealthSpec | None
    on_health_failure: OnHealthFailure
    github: GitHubPlan
    #: Sentry release and watch, notifications (nothing when not configured)
    observe: ObservePlan = field(default_factory=ObservePlan)
    command: Literal["deploy"] = "deploy"

    @property
    def reads_live_production(self) -> bool:
        """Only a run that could roll back (a failed health check or error watch) reads the live
        production deployment first; its figures are then compared with this one's."""
        return (
            self.request.environment == "production"
            and (self.health is not None or self.observe.watches)
            and self.on_health_failure == "rollback"
        )


@dataclass(frozen=True)
class CleanupPlan:
    """Remove a closed pull request's previews (never production)."""

    platform: str
    project: str
    target: Target
    pr_number: int
    branch: str
    preview_host: str
    github: GitHubPlan
    command: Literal["cleanup"] = "cleanup"


@dataclass(frozen=True)
class MakeLivePlan:
    """``rollback`` (to ``deployment_id``, or the one before the live one) or ``promote``."""

    platform: str
    project: str
    target: Target
    command: Literal["rollback", "promote"]
    deployment_id: str | None
    health: HealthSpec | None


@dataclass(frozen=True)
class DomainsPlan:
    """``domains add`` (attach, then a short wait) or ``domains status`` (read only)."""

    platform: str
    project: str
    target: Target
    action: Literal["add", "status"]
    names: tuple[str, ...]
    domains_wait: float
    command: Literal["domains"] = "domains"


Plan = DeployPlan | CleanupPlan | MakeLivePlan | DomainsPlan
