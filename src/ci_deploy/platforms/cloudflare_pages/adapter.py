"""Cloudflare Pages behind the :class:`~ci_deploy.platforms.base.Platform` protocol.

Direct upload straight over the API (no Node, no wrangler): files are hashed the platform's
way, only missing content is sent, exactly one deployment is created and waited for with a
bound. This class only sequences the pieces — files (``cloudflare_files``), the asset store
(``cloudflare_upload``), deployments (``cloudflare_deployments``), the project
(``cloudflare_project``), domains (``cloudflare_domains``) — and turns answers into
:class:`~ci_deploy.platforms.base.Deployment` values.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from ci_deploy.artifact import Artifact
from ci_deploy.concurrency import Prefetch
from ci_deploy.errors import DeployTimeout, InputError, PlatformError
from ci_deploy.platforms.base import (
    Created,
    Deployment,
    DeployRequest,
    DomainStatus,
    Environment,
    EnvVar,
    HealthHints,
    PlatformSettings,
    PreflightFacts,
    UploadPlan,
)
from ci_deploy.platforms.cloudflare_pages import early_reads, model
from ci_deploy.platforms.cloudflare_pages import files as files
from ci_deploy.platforms.cloudflare_pages.api import CloudflareApi, CloudflareApiError, permission_error
from ci_deploy.platforms.cloudflare_pages.deployments import DeploymentsApi
from ci_deploy.platforms.cloudflare_pages.domains import DomainsApi
from ci_deploy.platforms.cloudflare_pages.operations import DeploymentOperations
from ci_deploy.platforms.cloudflare_pages.project import (
    PAGES_EDIT,
    ProjectsApi,
    discover_account,
    env_names,
    missing_project,
)
from ci_deploy.platforms.cloudflare_pages.upload import AssetUploader, UploadToken, distinct_assets
from ci_deploy.urls import site_url

log = logging.getLogger("ci_deploy.platforms.cloudflare_pages.adapter")


class CloudflarePages:
    """The Cloudflare Pages adapter. ``sleep``/``clock`` are injectable for tests."""

    name = "cloudflare-pages"

    def __init__(
        self,
        settings: PlatformSettings,
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        api: CloudflareApi | None = None,
    ) -> None:
        self.settings = settings
        base_url = (
            settings.api_url or os.environ.get("CLOUDFLARE_API_BASE_URL") or os.environ.get("CF_API_BASE_URL")
        )
        self.api = api or CloudflareApi(settings.token, base_url, sleep=sleep, clock=clock)
        self._clock = clock or time.monotonic
        self.account = settings.account or ""
        self.project: dict[str, Any] | None = None
        self._assets: AssetUploader | None = None
        # started by prepare: hashing overlaps with the round trips before the upload
        self._hashing: Prefetch[tuple[files.SiteFiles, list[files.Asset]]] = Prefetch()

    # --- connecting -------------------------------------------------------------------------

    def prepare(self, artifact: Artifact, request: DeployRequest) -> None:
        site = files.split_site(artifact)
        early = early_reads.hashed_assets(site)  # the head start's hashes of these very files
        if early is not None:
            self._hashing.start(artifact, lambda: (site, early))
        else:
            self._hashing.start(artifact, lambda: (site, files.hash_assets(site.assets)))

    def connect(self, *, read_only: bool = False) -> None:
        if self.project is not None:
            return
        if not self.account:
            self.account = discover_account(self.api)
        name = self.settings.project
        projects = ProjectsApi(self.api, self.account)
        self.project = projects.get(name)
        if self.project is None:
            if not self.settings.create_project:
                raise missing_project(name, self.account)
            if read_only:
                log.info("The Pages project %s does not exist yet; a deploy would create it", name)
                return
            self.project = projects.create(name, self.settings.production_branch)
        own = self.project.get("production_branch")
        if own and own != self.settings.production_branch:
            log.warning(
                "The Pages project %s deploys production from branch '%s', not '%s' "
                "('production-branch'); production deploys are sent as '%s'. Change it in the Cloudflare "
                "dashboard if that is wrong.",
                name, own, self.settings.production_branch, own,
            )  # fmt: skip

    def _require_project(self) -> dict[str, Any]:
        if self.project is None:
            raise PlatformError("connect() must find or create the Pages project first")
        return self.project

    @property
    def _subdomain(self) -> str:
        return str((self.project or {}).get("subdomain") or "")

    def _deployments(self) -> DeploymentsApi:
        return DeploymentsApi(self.api, self.account, self.settings.project, clock=self._clock)

    def _domains(self) -> DomainsApi:
        return DomainsApi(self.api, self.account, self.settings.project, self._subdomain, clock=self._clock)

    def _uploader(self) -> AssetUploader:
        """One per run, so the upload token read by the preflight is the one the upload uses."""
        if self._assets is None:
            self._assets = AssetUploader(self.api, self.account, self.settings.project)
        return self._assets

    def _to_deployment(self, result: Mapping[str, Any], **kwargs: Any) -> Deployment:
        return model.to_deployment(
            result, account=self.account, project=self.settings.project, subdomain=self._subdomain, **kwargs
        )

    # --- upload and deploy ------------------------------------------------------------------

    def _site(self, artifact: Artifact) -> tuple[files.SiteFiles, list[files.Asset]]:
        """The artifact split and hashed once (started by ``prepare``, or now)."""

        def now() -> tuple[files.SiteFiles, list[files.Asset]]:
            site = files.checked_site(artifact)
            return site, files.hash_assets(site.assets)

        return self._hashing.get(artifact, now)

    def plan_upload(self, artifact: Artifact, request: DeployRequest) -> UploadPlan:
        _, assets = self._site(artifact)
        distinct = distinct_assets(assets)
        plan = UploadPlan(len(assets), sum(a.file.size for a in assets), len(distinct))
        if self.project is None:
            return plan
        missing = self._uploader().missing(list(distinct))
        return replace(
            plan,
            files_new=len(missing),
            bytes_new=sum(distinct[h].file.size for h in missing if h in distinct),
        )

    def deploy(
        self, artifact: Artifact, request: DeployRequest, created: Created | None = None
    ) -> Deployment:
        project = self._require_project()
        branch = self._branch_for(
            request, str(project.get("production_branch") or self.settings.production_branch)
        )
        site, assets = self._site(artifact)
        uploader = self._uploader()
        files.check_site_limits(site, artifact.label, self._upload_token().max_file_count)
        uploaded = uploader.upload_missing_files(assets)
        fields = model.deployment_fields(files.manifest(assets), branch, request)
        deployments = self._deployments()
        with uploader.upserting(list(distinct_assets(assets))):
            result = deployments.create(fields, model.deployment_files(site.form_files))
        log.info("Created deployment %s (%s)", result.get("id"), result.get("url"))
        environment = model.environment_of(result)
        if environment != request.environment:
            log.warning("Cloudflare made deployment %s a %s deployment", result.get("id"), environment)
        if created is not None:
            created(self._to_deployment(result, building=True, pr_number=request.pr_number))
        if request.wait:
            result = self._wait(deployments, result)
        deployment = self._to_deployment(result, building=not request.wait, pr_number=request.pr_number)
        return replace(deployment, files_uploaded=uploaded.files_new, bytes_uploaded=uploaded.bytes_new)

    def preflight(self, facts: PreflightFacts) -> None:
        """The preview's branch is not the production branch (it would *be* production), the
        artifact fits the upload token's file limit, the preview host has a zone in reach."""
        production_branch = (self.project or {}).get("production_branch") or self.settings.production_branch
        self._branch_for(facts.request, str(production_branch))
        if self.project is not None:
            site, _ = self._site(facts.artifact)
            files.check_site_limits(site, facts.artifact.label, self._upload_token().max_file_count)
        if facts.preview_host:
            self._domains().preview_zone(facts.preview_host)

    def _upload_token(self) -> UploadToken:
        try:
            return self._uploader().token()
        except CloudflareApiError as exc:
            if exc.refused:
                raise permission_error(exc, PAGES_EDIT, "upload to Pages", self.account) from exc
            raise exc.during("get an upload token") from exc

    def _branch_for(self, request: DeployRequest, production_branch: str) -> str:
        """Cloudflare picks the environment by branch: production sends the project's own."""
        if request.environment == "production":
            return production_branch
        if request.branch == production_branch:
            raise InputError(
                f"a preview cannot use the branch '{request.branch}': it is the Pages project's production "
                "branch, so Cloudflare would publish it to production",
                input_name="branch",
            )
        return request.branch

    def _wait(self, deployments: DeploymentsApi, result: dict[str, Any]) -> dict[str, Any]:
        try:
            return deployments.wait(result, self.settings.timeout)
        except DeployTimeout as exc:
            exc.details = model.inspect_url(self.account, self.settings.project, str(result.get("id")))
            raise

    # --- environment variables --------------------------------------------------------------

    def existing_env_names(self, environment: Environment) -> set[str]:
        return env_names(self.project, environment)

    def set_env_vars(self, variables: list[EnvVar], environment: Environment) -> None:
        if not variables:
            return
        projects = ProjectsApi(self.api, self.account)
        self.project = projects.set_env_vars(self.settings.project, variables, environment)
        log.info(
            "Set %d %s environment variables: %s",
            len(variables),
            environment,
            ", ".join(v.name for v in variables),
        )

    # --- domains ----------------------------------------------------------------------------

    def attach_domains(self, names: list[str], *, wait_seconds: float) -> list[DomainStatus]:
        return self._domains().attach_all(names, wait_seconds=wait_seconds)

    def domain_status(self, names: list[str]) -> list[DomainStatus]:
        return self._domains().status(names)

    def assign_preview_domain(self, deployment: Deployment, host: str) -> str:
        target = model.host_of(deployment.alias_url or deployment.url).partition(":")[0]
        self._domains().point_preview(host, target)
        return site_url(host, deployment.url)

    def remove_preview_domain(self, host: str) -> None:
        self._domains().unpoint_preview(host)

    # --- operations -------------------------------------------------------------------------

    def _fresh_project(self) -> dict[str, Any]:
        project = ProjectsApi(self.api, self.account).get(self.settings.project)
        if project is None:
            raise missing_project(self.settings.project, self.account, creatable=False)
        self.project = project
        return project

    def _operations(self) -> DeploymentOperations:
        return DeploymentOperations(
            self._deployments(), self._fresh_project, sleep=self.api.sleep, clock=self._clock
        )

    def live_production(self) -> Deployment | None:
        live = self._operations().live()
        return self._to_deployment(live) if live else None

    def find_previews(self, pr_number: int, branch: str | None, known_ids: set[str]) -> list[Deployment]:
        if self.project is None:
            return []  # a project that does not exist has no previews
        previews = self._operations().previews(branch, known_ids)
        return [self._to_deployment(d, pr_number=pr_number) for d in previews]

    def delete_deployment(self, deployment_id: str) -> None:
        self._operations().delete(deployment_id)

    def rollback(self, to_id: str | None = None) -> Deployment:
        return self._to_deployment(self._operations().rollback(to_id))

    def promote(self, deployment_id: str) -> Deployment:
        # Pages has no promote: making a production deployment live again is a rollback to it;
        # a preview is refused (exit 2) by the rollback's own check.
        return self.rollback(deployment_id)

    def health_hints(self, deployment: Deployment) -> HealthHints:
        return HealthHints(served_by_values=(deployment.id,))

    def close(self) -> None:
        self._hashing.close()
        self.api.close()
