"""What a run produced, and the action outputs derived from it.

Every output of the contract is always written (empty when not applicable), on success and on
failure alike, so later workflow steps can rely on the names existing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from ci_deploy.platforms.base import Deployment, DomainStatus
from ci_deploy.report.observe import SentryFacts
from ci_deploy.report.perf import PerfFacts
from ci_deploy.urls import site_url

Health = Literal["passed", "failed", "skipped"]


@dataclass
class Outcome:
    """Facts gathered along a command; rendered to outputs, the PR comment and the summary.

    The commands record facts through the methods below, so every field is written here alone."""

    environment: Literal["preview", "production"] = "preview"
    deployed: bool = False
    deployment: Deployment | None = None
    url: str = ""
    alias_url: str = ""
    health: Health = "skipped"
    rolled_back_to: str = ""
    comment_id: str = ""
    github_deployment_id: str = ""
    domains: list[DomainStatus] = field(default_factory=list)
    env_names: list[str] = field(default_factory=list)
    sentry: SentryFacts | None = None
    perf: PerfFacts | None = None

    def record_created(self, deployment: Deployment) -> None:
        """The deployment exists and builds: named in the outputs, the summary and the PR comment
        even if the run then fails or is cancelled while it waits (``deployed`` stays false)."""
        self.deployment = deployment
        self.environment = deployment.environment

    def record_deployment(self, deployment: Deployment) -> None:
        """The deployment this run created, as ready as asked (the platform may have chosen its
        environment)."""
        self.record_created(deployment)
        self.deployed = True
        self.alias_url = deployment.alias_url

    def record_made_live(self, deployment: Deployment) -> None:
        """A rollback or promote made ``deployment`` the live production one."""
        self.environment = "production"
        self.deployment = deployment
        self.url = live_url(self)

    def record_alias(self, url: str) -> None:
        self.alias_url = url

    def record_url(self, url: str) -> None:
        self.url = url

    def record_domains(self, domains: list[DomainStatus]) -> None:
        self.domains = list(domains)

    def record_env_names(self, names: list[str]) -> None:
        self.env_names = sorted(names)

    def record_health(self, health: Health) -> None:
        self.health = health

    def record_rollback(self, deployment_id: str) -> None:
        self.rolled_back_to = deployment_id

    def record_sentry(self, sentry: SentryFacts) -> None:
        self.sentry = sentry

    def record_perf(self, perf: PerfFacts) -> None:
        self.perf = perf

    def record_github(self, comment_id: str, deployment_id: str) -> None:
        self.comment_id = comment_id
        self.github_deployment_id = deployment_id

    def outputs(self) -> dict[str, str]:
        """The action outputs, every name present."""
        deployment = self.deployment
        return {
            "url": self.url,
            "deployment-url": deployment.url if deployment else "",
            "alias-url": self.alias_url,
            "deployment-id": deployment.id if deployment else "",
            "inspect-url": deployment.inspect_url if deployment else "",
            "deployed": "true" if self.deployed else "false",
            "environment": self.environment,
            "health": self.health,
            "rolled-back-to": self.rolled_back_to,
            "comment-id": self.comment_id,
            "github-deployment-id": self.github_deployment_id,
            "domains": domains_json(self.domains),
            # a release whose create failed has no page: only a created (or found) one is named
            "sentry-release": self.sentry.version if self.sentry and self.sentry.release_url else "",
        }


def domains_json(domains: list[DomainStatus]) -> str:
    """The ``domains`` output: ``[{"name", "status", "records": [{"type", "name", "value"}]}]``,
    plus ``certificate`` (the contract allows extra keys, never fewer)."""
    return json.dumps(
        [
            {
                "name": d.name,
                "status": d.status,
                "records": [{"type": r.type, "name": r.name, "value": r.value} for r in d.records],
                "certificate": d.certificate,
            }
            for d in domains
        ]
    )


def live_url(outcome: Outcome, preview_alias: str = "") -> str:
    """The URL to open, by the contract's rule: production -> first active custom domain, else
    the project's production URL; preview -> preview alias, else branch alias, else the
    deployment URL."""
    deployment = outcome.deployment
    if deployment is None:
        return ""
    if deployment.environment == "production":
        active = [d for d in outcome.domains if d.status == "active"]
        if active:
            return site_url(active[0].name, deployment.url)
        return deployment.production_url or deployment.url
    return preview_alias or deployment.alias_url or deployment.url
