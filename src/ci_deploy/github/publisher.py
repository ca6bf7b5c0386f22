"""What GitHub shows of a run: the sticky PR comment and the GitHub deployment with its statuses.

Platform-blind: it only sees an :class:`~ci_deploy.report.render.ReportFacts`. A token that may not
write (a fork's or Dependabot's read-only token, a missing ``permissions:`` entry) turns into a
warning and GitHub writes stop for the rest of the run; the deploy itself never fails for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from ci_deploy import runner
from ci_deploy.github.client import GitHubClient
from ci_deploy.github.comments import RunStamp, StickyComment, stamp_time
from ci_deploy.github.deployments import (
    DeploymentSpec,
    GitHubDeployment,
    create_deployment,
    deactivate_earlier_previews,
    deactivate_pr,
    pr_deployments,
    set_status,
)
from ci_deploy.github.deployments import State as DeploymentState
from ci_deploy.github.errors import GitHubError
from ci_deploy.report.render import ReportFacts, render_comment

log = logging.getLogger("ci_deploy.github.publisher")
T = TypeVar("T")


class GitHubPublisher:
    """Comment and deployment of one run; every method is safe to call when GitHub is off."""

    def __init__(
        self,
        client: GitHubClient | None,
        *,
        pr_number: int | None,
        sha: str,
        comment_key: str,
        comment: bool,
        deployment: bool,
        log_url: str,
    ) -> None:
        self.client = client
        self.pr_number = pr_number
        self.sha = sha
        self.log_url = log_url
        self.stamp_started = stamp_time()
        self.sticky = (
            StickyComment(client, pr_number=pr_number, key=comment_key)
            if client and comment and pr_number
            else None
        )
        self.want_deployment = bool(client and deployment and sha)
        self.deployment: GitHubDeployment | None = None

    @property
    def comment_id(self) -> str:
        return str(self.sticky.comment_id) if self.sticky and self.sticky.comment_id else ""

    @property
    def deployment_id(self) -> str:
        return str(self.deployment.id) if self.deployment else ""

    def comment(self, facts: ReportFacts) -> None:
        """Show ``facts`` in the PR's sticky comment (a newer commit's result is never overwritten)."""
        sticky = self.sticky
        if sticky is None:
            return
        stamp = RunStamp(self.sha, self.stamp_started, facts.state)
        self._guard("update the PR comment", lambda: sticky.publish(render_comment(facts), stamp))

    def start_deployment(self, spec: DeploymentSpec) -> None:
        """Record the deployment on GitHub as in progress."""
        if not self.want_deployment or self.client is None:
            return
        client = self.client
        created = self._guard("create a GitHub deployment", lambda: create_deployment(client, spec))
        if created is None:
            return
        self.deployment = created
        self._guard(
            "set the GitHub deployment status",
            lambda: set_status(client, created.id, "in_progress", log_url=self.log_url),
        )

    def finish_deployment(self, *, ok: bool, url: str, description: str = "", done: bool = True) -> None:
        """success (with the live URL) / failure; ``done=False`` leaves it in progress (wait: false)."""
        client, deployment = self.client, self.deployment
        if client is None or deployment is None:
            return
        state: DeploymentState = ("success" if ok else "failure") if done else "in_progress"
        self._guard(
            "set the GitHub deployment status",
            lambda: set_status(
                client,
                deployment.id,
                state,
                environment_url=url if ok else "",
                log_url=self.log_url,
                description=description,
            ),
        )
        if ok and done:
            self._guard(
                "mark earlier previews inactive",
                lambda: deactivate_earlier_previews(client, deployment, log_url=self.log_url),
            )

    def recorded_platform_ids(self) -> set[str]:
        """Platform deployment ids this PR's GitHub deployments recorded (for cleanup)."""
        client = self.client
        if client is None or not self.pr_number:
            return set()
        number = self.pr_number
        found = self._guard("list the PR's GitHub deployments", lambda: pr_deployments(client, number))
        return {pid for d in found or [] for pid in d.platform_ids}

    def deactivate_pr(self) -> None:
        client = self.client
        if client is None or not self.pr_number:
            return
        number = self.pr_number
        self._guard(
            "mark the PR's GitHub deployments inactive",
            lambda: deactivate_pr(client, number, log_url=self.log_url),
        )

    def _guard(self, what: str, action: Callable[[], T]) -> T | None:
        """Run a GitHub write; on a permission problem warn once and stop writing to GitHub."""
        if self.client is None:
            return None
        try:
            return action()
        except GitHubError as exc:
            runner.warning(f"Could not {what}: {exc}. The deploy goes on without it.", title="ci-deploy")
            log.info("GitHub writes are off for the rest of this run")
            self.client.close()
            self.client = None
            self.sticky = None
            return None
