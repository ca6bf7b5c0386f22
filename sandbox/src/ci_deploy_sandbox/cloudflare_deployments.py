"""Pages deployments: multipart creation, list, get, delete, rollback, retry and build logs.

Production iff the branch (the production branch when omitted) is the project's production
branch. A deployment takes the env vars of its environment at creation. Its deploy stage ends
``cloudflare.deploy_delay_ms`` after creation (default 100 ms), as a success — or a failure while
``cloudflare.fail_next_builds`` is armed — and only then are its hosts served.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import replace

from ci_deploy_sandbox import app
from ci_deploy_sandbox.cloudflare_auth import Grant, TokenRoute
from ci_deploy_sandbox.cloudflare_common import (
    ALIASED_DEPLOYMENT,
    DEPLOYMENT_NOT_FOUND,
    LIVE_PRODUCTION,
    NOT_ROLLBACKABLE,
    CloudflareErrorReply,
    bad_request,
    iso,
    paged,
    setting_number,
    success,
)
from ci_deploy_sandbox.cloudflare_context import Context
from ci_deploy_sandbox.cloudflare_manifest import alias_label, check_stored, parse_manifest
from ci_deploy_sandbox.cloudflare_multipart import FormPart, MultipartError, parse_form
from ci_deploy_sandbox.cloudflare_state import Deployment, Project
from ci_deploy_sandbox.cloudflare_views import deployment_json

DEFAULT_DELAY_MS = 100
MAX_COMMIT_MESSAGE_BYTES = 384


class Deployments:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def routes(self) -> list[TokenRoute]:
        base = "/accounts/{account}/pages/projects/{name}/deployments"
        one = base + "/{id}"
        return [
            ("POST", base, "cloudflare.deployments.create", self.create),
            ("GET", base, "cloudflare.deployments.list", self.list),
            ("GET", one, "cloudflare.deployments.get", self.get),
            ("DELETE", one, "cloudflare.deployments.delete", self.delete),
            ("POST", one + "/rollback", "cloudflare.deployments.rollback", self.rollback),
            ("POST", one + "/retry", "cloudflare.deployments.retry", self.retry),
            ("GET", one + "/history/logs", "cloudflare.deployments.logs", self.logs),
        ]

    def _project(self, request: app.Request, grant: Grant) -> Project:
        grant.require_account(request.params["account"])
        return self.ctx.project(request.params["account"], request.params["name"])

    def _deployment(self, request: app.Request, grant: Grant) -> tuple[Project, Deployment]:
        project = self._project(request, grant)
        found = project.deployments.get(request.params["id"])
        if found is None:
            raise CloudflareErrorReply(404, DEPLOYMENT_NOT_FOUND, "Deployment not found.")
        return project, found

    def create(self, request: app.Request, grant: Grant) -> app.Response:
        project = self._project(request, grant)
        try:
            form = parse_form(request.headers.get("content-type", ""), request.body)
        except MultipartError as exc:
            raise bad_request(f"Deployments are created with multipart/form-data: {exc}") from exc
        if "manifest" not in form:
            raise bad_request("A direct-upload deployment needs a 'manifest' field")
        max_files = int(setting_number(self.ctx.world, "cloudflare.max_file_count", 20_000))
        manifest = parse_manifest(form["manifest"].text(), max_files)
        if self.ctx.setting("cloudflare.verify_hashes", True):
            blobs = self.ctx.world.blobs
            check_stored(
                manifest,
                lambda key: blobs.has(project.namespace, key),
                lambda key: blobs.read(project.namespace, key),
                self.ctx.verified_hashes(project),
            )
        deployment = self._new_deployment(project, form, manifest)
        project.add(deployment)
        self.ctx.watch(project, deployment)
        return success(deployment_json(self.ctx, project, deployment))

    def _new_deployment(
        self, project: Project, form: dict[str, FormPart], manifest: dict[str, str]
    ) -> Deployment:
        branch = _text(form, "branch") or project.production_branch
        environment = "production" if branch == project.production_branch else "preview"
        now = self.ctx.now()
        delay_s = (
            max(0.0, setting_number(self.ctx.world, "cloudflare.deploy_delay_ms", DEFAULT_DELAY_MS)) / 1000
        )
        dirty = _text(form, "commit_dirty")
        message = _text(form, "commit_message").encode()[:MAX_COMMIT_MESSAGE_BYTES].decode("utf-8", "ignore")
        return Deployment(
            id=str(uuid.uuid4()),
            environment=environment,
            branch=branch,
            created_at=now,
            ready_at=now + delay_s,
            fails=self.ctx.take_build_failure(),
            manifest=manifest,
            production_branch=project.production_branch,
            label=alias_label(branch, project.branch_labels) if environment == "preview" else "",
            commit_hash=_text(form, "commit_hash"),
            commit_message=message,
            commit_dirty={"true": True, "false": False}.get(dirty.lower()) if dirty else None,
            headers_file=_text(form, "_headers"),
            redirects_file=_text(form, "_redirects"),
            routes_json=_text(form, "_routes.json"),
            uses_functions="_worker.bundle" in form or "_worker.js" in form,  # stored as a flag, not run
            env_vars=copy.deepcopy(project.deployment_configs[environment].get("env_vars") or {}),
        )

    def list(self, request: app.Request, grant: Grant) -> app.Response:
        project = self._project(request, grant)
        env = request.arg("env")
        if env not in (None, "", "production", "preview"):
            raise bad_request("env must be 'production' or 'preview'")
        chosen = [d for d in reversed(project.deployments.values()) if not env or d.environment == env]
        return paged(request, [deployment_json(self.ctx, project, d) for d in chosen])

    def get(self, request: app.Request, grant: Grant) -> app.Response:
        project, deployment = self._deployment(request, grant)
        return success(deployment_json(self.ctx, project, deployment))

    def delete(self, request: app.Request, grant: Grant) -> app.Response:
        """Refuses the live production deployment (even with force), and an aliased deployment
        (the current target of its branch alias) without ``?force=true``."""
        project, deployment = self._deployment(request, grant)
        now = self.ctx.now()
        canonical = project.canonical(now)
        if canonical is not None and canonical.id == deployment.id:
            raise CloudflareErrorReply(
                400,
                LIVE_PRODUCTION,
                "You cannot delete the current active production deployment. Roll back or deploy first.",
            )
        aliased = deployment.label and project.alias_targets(now).get(deployment.label) is deployment
        if aliased and (request.arg("force") or "").lower() != "true":
            raise CloudflareErrorReply(
                400,
                ALIASED_DEPLOYMENT,
                "You cannot delete an aliased deployment without a `?force=true` parameter "
                "in the API request URL.",
            )
        del project.deployments[deployment.id]
        if project.pinned_id == deployment.id:
            project.pinned_id = ""
        self.ctx.refresh(project)
        return success(None)

    def rollback(self, request: app.Request, grant: Grant) -> app.Response:
        """Makes an earlier successful production deployment live again. What the real API
        returns is unverified; the sandbox returns the deployment rolled back to."""
        project, deployment = self._deployment(request, grant)
        now = self.ctx.now()
        if deployment.environment != "production" or not deployment.succeeded(now):
            raise CloudflareErrorReply(
                400, NOT_ROLLBACKABLE, "Only a successful production deployment can be rolled back to."
            )
        project.pinned_id, project.pinned_after = deployment.id, project.created_count
        self.ctx.refresh(project)
        return success(deployment_json(self.ctx, project, deployment))

    def retry(self, request: app.Request, grant: Grant) -> app.Response:
        """A new deployment of the same files, branch and commit."""
        project, original = self._deployment(request, grant)
        now = self.ctx.now()
        delay_s = (
            max(0.0, setting_number(self.ctx.world, "cloudflare.deploy_delay_ms", DEFAULT_DELAY_MS)) / 1000
        )
        deployment = replace(
            original,
            id=str(uuid.uuid4()),
            created_at=now,
            ready_at=now + delay_s,
            fails=self.ctx.take_build_failure(),
            env_vars=copy.deepcopy(project.deployment_configs[original.environment].get("env_vars") or {}),
        )
        project.add(deployment)
        self.ctx.watch(project, deployment)
        return success(deployment_json(self.ctx, project, deployment))

    def logs(self, request: app.Request, grant: Grant) -> app.Response:
        """The build log so far; a failed deployment's last line is its error (wrangler prints it)."""
        _, deployment = self._deployment(request, grant)
        span = deployment.ready_at - deployment.created_at
        lines = [
            (0.0, "Initializing build environment..."),
            (0.2, "Success: Finished initializing build environment"),
            (0.6, f"Uploading... ({len(deployment.manifest)}/{len(deployment.manifest)})"),
        ]
        if deployment.fails:
            end = "Error: Deployment failed: the sandbox was told to fail it (cloudflare.fail_next_builds)"
        else:
            end = "Success: Assets published!"
        lines.append((1.0, end))
        now = self.ctx.now()
        shown = [
            {"ts": iso(deployment.created_at + span * at), "line": line}
            for at, line in lines
            if deployment.created_at + span * at <= now
        ]
        return success({"total": len(shown), "includes_container_logs": False, "data": shown})


def _text(form: dict[str, FormPart], name: str) -> str:
    part = form.get(name)
    return part.text() if part is not None else ""
