"""The Vercel adapter: :class:`ci_deploy.platforms.base.Platform` straight over the REST API.

No Node and no vercel CLI: files are hashed (sha1) and only the contents Vercel lacks are
uploaded, a few at a time with retries; exactly one deployment is created per run (an unknown
create outcome is resolved by the run's ``meta.ciDeployRunKey``); URLs come from the deployment's
own answer. The protocol facts are in ``shared/spec/vercel.md``; each ``vercel_*`` module holds
one concern, this facade only wires them to the protocol.
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ci_deploy.artifact import Artifact
from ci_deploy.concurrency import Prefetch
from ci_deploy.errors import InputError, NotFoundError, PlatformError
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
from ci_deploy.platforms.vercel import domains as vercel_domains
from ci_deploy.platforms.vercel import env as vercel_env
from ci_deploy.platforms.vercel import files as vercel_files
from ci_deploy.platforms.vercel import promote as vercel_promote
from ci_deploy.platforms.vercel.api import Clock, Sleep, VercelApi, VercelApiError
from ci_deploy.platforms.vercel.deployments import (
    as_deployment,
    create_body,
    create_once,
    create_query,
    create_with_uploads,
)
from ci_deploy.platforms.vercel.project import (
    auto_promotion_paused,
    find_project,
    get_deployment,
    pr_previews,
    production_id,
    resolve_scope,
    with_current_aliases,
)
from ci_deploy.platforms.vercel.urls import to_deployment
from ci_deploy.platforms.vercel.wait import wait_until_ready
from ci_deploy.urls import path_segment, site_url

log = logging.getLogger("ci_deploy.platforms.vercel.adapter")


class Vercel:
    """Vercel deployments for one project in one scope (team or personal account)."""

    name = "vercel"

    def __init__(
        self,
        settings: PlatformSettings,
        *,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        wall_clock: Clock = time.time,
    ) -> None:
        self.settings = settings
        self.api = VercelApi(settings.token, base_url=settings.api_url, sleep=sleep, clock=clock)
        self.wall_clock = wall_clock
        self._project: dict[str, Any] | None = None
        self._hashing: Prefetch[list[vercel_files.FileEntry]] = Prefetch()

    # --- connecting --------------------------------------------------------------------------

    def connect(self, *, read_only: bool = False) -> None:
        if self._project is not None:
            return
        self.api.scope = resolve_scope(self.api, self.settings.account)
        self._project = find_project(
            self.api,
            self.settings.project,
            self.settings.account,
            create=self.settings.create_project,
            read_only=read_only,
        )

    @property
    def project(self) -> dict[str, Any]:
        """The project; one a read-only look did not find (nothing deployed yet) is the input's error."""
        if self._project is None:
            raise NotFoundError(
                f"the Vercel project '{self.settings.project}' does not exist: nothing has been deployed "
                "there yet; check 'project' and 'account'",
                input_name="project",
            )
        return self._project

    def _fresh_project(self) -> dict[str, Any]:
        """The project as it is now (its production target moves with promotes and rollbacks)."""
        data = self.api.call("GET", f"/v9/projects/{self.project['id']}", params={"rollbackInfo": "true"})
        self._project = data if isinstance(data, dict) else self.project
        return self._project

    def _deployment(self, data: dict[str, Any]) -> Deployment:
        """A record with the aliases it holds now (promotes and rollbacks move them)."""
        name = str(self.project["name"])
        return to_deployment(with_current_aliases(self.api, data, name) if data.get("id") else data, name)

    # --- planning ----------------------------------------------------------------------------

    def _layout(self, artifact: Artifact, request: DeployRequest) -> vercel_files.Layout:
        layout = vercel_files.detect_layout(artifact)
        vercel_files.check_prebuilt(layout, request.environment)
        vercel_files.check_limits(layout, artifact.label)
        return layout

    def prepare(self, artifact: Artifact, request: DeployRequest) -> None:
        layout = vercel_files.detect_layout(artifact)
        # hash in the background: it overlaps with connecting and the project requests
        self._hashing.start(artifact, lambda: vercel_files.hash_layout(layout))

    def preflight(self, facts: PreflightFacts) -> None:
        """The layout is deployable for this environment (a prebuilt build's own checks); Vercel
        picks the environment by ``target``, so a branch name cannot turn a preview into production."""
        self._layout(facts.artifact, facts.request)

    def plan_upload(self, artifact: Artifact, request: DeployRequest) -> UploadPlan:
        return vercel_files.upload_plan(vercel_files.hash_layout(self._layout(artifact, request)))

    # --- environment variables ---------------------------------------------------------------

    def existing_env_names(self, environment: Environment) -> set[str]:
        if self._project is None:  # read-only look at a project that does not exist yet
            return set()
        return vercel_env.existing_env_names(self.api, self.project["id"], environment)

    def set_env_vars(self, variables: list[EnvVar], environment: Environment) -> None:
        vercel_env.set_env_vars(self.api, self.project["id"], variables, environment)

    # --- deploying ---------------------------------------------------------------------------

    def deploy(
        self, artifact: Artifact, request: DeployRequest, created: Created | None = None
    ) -> Deployment:
        layout = self._layout(artifact, request)
        entries = self._hashing.get(artifact, lambda: vercel_files.hash_layout(layout))
        production = request.environment == "production"
        body = create_body(
            self.project, entries, request, request.run_key or uuid.uuid4().hex, prebuilt=layout.prebuilt
        )
        since_ms = self.wall_clock() * 1000
        # whether auto-promotion is paused matters once it is built: read while the create is in flight
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ci-deploy-project") as pool:
            paused_read = pool.submit(lambda: production and auto_promotion_paused(self._fresh_project()))
            data, uploaded = create_with_uploads(
                self.api, body, create_query(prebuilt=layout.prebuilt), entries, since_ms
            )
            paused = paused_read.result()
        log.info("created Vercel deployment %s (%d file(s) uploaded)", data["id"], uploaded.files)
        if created is not None:
            created(as_deployment(data, self.project, request, uploaded, building=True))
        if request.wait:
            data = self._until_live(data, production=production, paused=paused)
        return as_deployment(data, self.project, request, uploaded, building=not request.wait)

    def _until_live(self, data: dict[str, Any], *, production: bool, paused: bool) -> dict[str, Any]:
        """Wait until ready; promote explicitly when Vercel staged it instead of promoting."""
        timeout = self.settings.timeout
        deadline = self.api.clock() + timeout
        deployment_id = str(data["id"])
        data = wait_until_ready(self.api, deployment_id, deadline, timeout, alias_expected=not paused)
        substate = data.get("readySubstate")
        if production and (substate == "STAGED" or (paused and substate != "PROMOTED")):
            log.info("production auto-promotion is paused (earlier rollback): promoting %s", deployment_id)
            vercel_promote.promote(self.api, self.project["id"], deployment_id, deadline)
            data = get_deployment(self.api, deployment_id) or data
        return with_current_aliases(self.api, data, str(self.project["name"]))

    def live_production(self) -> Deployment | None:
        live = production_id(self._fresh_project())
        data = get_deployment(self.api, live) if live else None
        if data is None:
            newest = vercel_promote.ready_production(self.api, self.project["id"])
            data = newest[0] if newest else None
        return self._deployment(data) if data else None

    # --- aliases and domains -----------------------------------------------------------------

    def assign_preview_domain(self, deployment: Deployment, host: str) -> str:
        try:
            body = self.api.call("POST", f"/v2/deployments/{deployment.id}/aliases", json={"alias": host})
        except VercelApiError as exc:
            raise PlatformError(
                f"Vercel could not assign {host} to {deployment.id}: {exc.message}",
                status=exc.status,
                code=exc.code,
                input_name="preview-domain",
            ) from exc
        alias = str(body.get("alias") or host) if isinstance(body, dict) else host
        return site_url(alias, deployment.url)

    def remove_preview_domain(self, host: str) -> None:
        try:
            self.api.call("DELETE", f"/v2/aliases/{host}")
        except VercelApiError as exc:
            if exc.status != 404:
                raise

    def attach_domains(self, names: list[str], *, wait_seconds: float) -> list[DomainStatus]:
        return vercel_domains.attach_domains(self.api, self.project["id"], names, wait_seconds)

    def domain_status(self, names: list[str]) -> list[DomainStatus]:
        if self._project is None:
            return [DomainStatus(n, "pending", message="the project does not exist yet") for n in names]
        return vercel_domains.domain_status(self.api, self.project["id"], names)

    # --- operations --------------------------------------------------------------------------

    def find_previews(self, pr_number: int, branch: str | None, known_ids: set[str]) -> list[Deployment]:
        if self._project is None:  # nothing was ever deployed: nothing to clean up
            return []
        return [self._deployment(d) for d in pr_previews(self.api, self.project["id"], pr_number, known_ids)]

    def delete_deployment(self, deployment_id: str) -> None:
        if deployment_id == production_id(self._fresh_project()):
            raise InputError(
                f"refusing to delete {deployment_id}: it is the live production deployment",
                input_name="deployment-id",
            )
        try:
            self.api.call("DELETE", f"/v13/deployments/{path_segment(deployment_id)}")
        except VercelApiError as exc:
            if exc.status != 404:
                raise exc.during(f"delete deployment {deployment_id}") from exc
            log.info("deployment %s was already gone", deployment_id)

    def rollback(self, to_id: str | None = None) -> Deployment:
        project = self._fresh_project()
        if to_id is None:
            target = vercel_promote.previous_production(self.api, project)
            to_id = str(target.get("uid") or target.get("id"))
        else:
            self._existing(to_id, production_only=True)
        deadline = self.api.clock() + self.settings.timeout
        vercel_promote.rollback(self.api, project["id"], to_id, deadline)
        return self._deployment(self._existing(to_id))

    def promote(self, deployment_id: str) -> Deployment:
        data = self._existing(deployment_id)
        if data.get("target") != "production":
            return self._promote_preview(data)
        if deployment_id != production_id(self._fresh_project()):
            deadline = self.api.clock() + self.settings.timeout
            vercel_promote.promote(self.api, self.project["id"], deployment_id, deadline)
        return self._deployment(self._existing(deployment_id))

    def _promote_preview(self, data: dict[str, Any]) -> Deployment:
        """A preview becomes production as a new production deployment of the same build (the
        CLI does the same: ``POST /v13/deployments {deploymentId, target: production}``)."""
        paused = auto_promotion_paused(self._fresh_project())
        body = {
            "deploymentId": data["id"],
            "name": self.project["name"],
            "project": self.project["id"],
            "target": "production",
            "meta": {"action": "promote", "ciDeployRunKey": uuid.uuid4().hex},
        }
        created = create_once(self.api, body, {}, self.wall_clock() * 1000)
        return self._deployment(self._until_live(created, production=True, paused=paused))

    def _existing(self, deployment_id: str, *, production_only: bool = False) -> dict[str, Any]:
        data = get_deployment(self.api, deployment_id)
        if data is None:
            raise NotFoundError(
                f"Vercel deployment {deployment_id} does not exist", input_name="deployment-id"
            )
        if production_only and data.get("target") != "production":
            raise InputError(
                f"{deployment_id} is a preview deployment; only production deployments can be rolled back to",
                input_name="deployment-id",
            )
        return data

    def health_hints(self, deployment: Deployment) -> HealthHints:
        secret = self.settings.protection_bypass
        return HealthHints(
            served_by_values=(deployment.id,),
            headers={"x-vercel-protection-bypass": secret} if secret else {},
        )

    def close(self) -> None:
        self._hashing.close()
        self.api.close()
