"""One run's settings, context and target, and the resources opened for it on demand.

The commands ask the session for the platform adapter, the GitHub client and publisher, and the
artifact, so each is made in exactly one place and closed once. Decisions are not made here:
they are in the plan (:mod:`ci_deploy.plan`).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ci_deploy.artifact import Artifact, open_artifact
from ci_deploy.config.context import RunContext
from ci_deploy.config.event import Target
from ci_deploy.config.settings import Settings
from ci_deploy.errors import InputError
from ci_deploy.github.client import GitHubClient
from ci_deploy.github.publisher import GitHubPublisher
from ci_deploy.plan.model import GitHubPlan
from ci_deploy.platforms import open_platform
from ci_deploy.platforms.base import Platform, PlatformSettings
from ci_deploy.report.outcome import Outcome
from ci_deploy.report.render import HealthFacts, ReportFacts, State


@dataclass
class Session:
    settings: Settings
    ctx: RunContext
    target: Target
    environ: Mapping[str, str]
    run_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    _platform: Platform | None = None
    _github: GitHubClient | None = None

    # -- platform ------------------------------------------------------------------------------
    @property
    def platform(self) -> Platform:
        if self._platform is None:
            s = self.settings
            self._platform = open_platform(
                s.platform,
                PlatformSettings(
                    token=s.token if s.dry_run else s.require_token(),
                    project=s.project,
                    account=s.account,
                    create_project=s.create_project,
                    production_branch=self.target.production_branch or "main",
                    api_url=s.api_url,
                    timeout=s.timeout,
                    protection_bypass=s.vercel_protection_bypass,
                ),
            )
        return self._platform

    # -- artifact ----------------------------------------------------------------------
    @contextlib.contextmanager
    def artifact(self) -> Iterator[Artifact]:
        s = self.settings
        fetch = self._fetch_named_artifact if s.artifact_name else None
        with open_artifact(
            s.artifact,
            working_directory=Path(s.working_directory),
            artifact_name=s.artifact_name,
            fetch=fetch,
        ) as artifact:
            yield artifact

    def _fetch_named_artifact(self, name: str, dest: Path) -> Path:
        from ci_deploy.github.artifacts import download_run_artifact

        client = self.github()
        if client is None:
            raise InputError("needs github-token to download a workflow artifact", input_name="artifact-name")
        if not self.ctx.run_id:
            raise InputError(
                "only works inside a workflow run (GITHUB_RUN_ID is not set)", input_name="artifact-name"
            )
        return download_run_artifact(client, self.ctx.run_id, name, dest)

    # -- GitHub ------------------------------------------------------------------------------------
    def github(self) -> GitHubClient | None:
        """A client for this repository, or None when there is no token or repository."""
        if self._github is None and self.settings.github_token and self.ctx.repository:
            self._github = GitHubClient(self.ctx.api_url, self.settings.github_token, self.ctx.repository)
        return self._github

    def publisher(self, plan: GitHubPlan) -> GitHubPublisher:
        return GitHubPublisher(
            self.github(),
            pr_number=self.target.pr_number,
            sha=self.target.sha,
            comment_key=plan.comment_key,
            comment=plan.comment,
            deployment=plan.deployment,
            log_url=self.ctx.run_url,
        )

    def facts(
        self,
        outcome: Outcome,
        state: State,
        *,
        health: HealthFacts | None = None,
        error: str = "",
        hint: str = "",
        notes: tuple[str, ...] = (),
    ) -> ReportFacts:
        """The report of this run as it stands."""
        d = outcome.deployment
        return ReportFacts(
            platform=self.settings.platform,
            project=self.settings.project,
            environment=outcome.environment,
            state=state,
            url=outcome.url,
            deployment_url=d.url if d else "",
            alias_url=outcome.alias_url,
            inspect_url=d.inspect_url if d else "",
            deployment_id=d.id if d else "",
            commit_sha=self.target.sha,
            branch=self.target.branch,
            pr_number=self.target.pr_number,
            health=health,
            domains=tuple(outcome.domains),
            env_names=tuple(outcome.env_names),
            error=error,
            hint=hint,
            run_url=self.ctx.run_url,
            rolled_back_to=outcome.rolled_back_to,
            notes=notes,
            sentry=outcome.sentry,
            perf=outcome.perf,
        )

    def close(self) -> None:
        if self._platform is not None:
            self._platform.close()
        if self._github is not None:
            self._github.close()
