"""Moving hosts between deployments: manual aliases, promote, and rollback (which pauses the
auto-promotion of new production deployments until the next promote)."""

from __future__ import annotations

from collections.abc import Callable

from ci_deploy_sandbox import app
from ci_deploy_sandbox.vercel_common import JsonDict, Scope, VercelErrorReply, body_object, not_found
from ci_deploy_sandbox.vercel_lifecycle import Lifecycle
from ci_deploy_sandbox.vercel_projects import Projects

Handler = Callable[[app.Request, Scope], app.Response]


class Promotions:
    def __init__(self, lifecycle: Lifecycle, projects: Projects) -> None:
        self.lifecycle = lifecycle
        self.aliases = lifecycle.aliases
        self.projects = projects

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        alias_list = "/v2/deployments/{id}/aliases"
        return [
            ("POST", alias_list, "vercel.aliases.assign", self.assign),
            ("POST", "/now/deployments/{id}/aliases", "vercel.aliases.assign", self.assign),
            ("GET", alias_list, "vercel.aliases.list", self.list_aliases),
            ("GET", "/now/deployments/{id}/aliases", "vercel.aliases.list", self.list_aliases),
            ("GET", "/v4/aliases/{alias}", "vercel.aliases.get", self.get_alias),
            ("DELETE", "/v2/aliases/{alias}", "vercel.aliases.delete", self.delete_alias),
            ("POST", "/v10/projects/{project}/promote/{id}", "vercel.projects.promote", self.promote),
            ("POST", "/v9/projects/{project}/rollback/{id}", "vercel.projects.rollback", self.rollback),
            ("POST", "/v1/projects/{project}/rollback/{id}", "vercel.projects.rollback", self.rollback),
            ("GET", "/v9/projects/{project}/promote/aliases", "vercel.projects.aliases", self.job_aliases),
            ("GET", "/v1/projects/{project}/promote/aliases", "vercel.projects.aliases", self.job_aliases),
            ("GET", "/v9/projects/{project}/rollback/aliases", "vercel.projects.aliases", self.job_aliases),
        ]

    # --- manual aliases -------------------------------------------------------------------------

    def assign(self, request: app.Request, scope: Scope) -> app.Response:
        """Point an alias at a READY deployment. Only a host under ``.localhost`` is reachable
        from this machine; any other name is recorded and served to a request with that Host."""
        deployment = self.lifecycle.find(scope, request.params["id"])
        body = body_object(request)
        alias = body.get("alias")
        if not isinstance(alias, str) or not alias.strip(".") or "/" in alias:
            raise VercelErrorReply(400, "invalid_alias", "The alias must be a host name")
        if self.lifecycle.ready_state(deployment) != "READY":
            raise VercelErrorReply(400, "deployment_not_ready", "The deployment is not READY yet")
        taken = self.aliases.ctx.store.aliases.get(alias.lower())
        if taken is not None and taken["ownerId"] != scope.owner_id:
            raise VercelErrorReply(409, "alias_in_use", f"The alias {alias} is in use by another account")
        redirect = body.get("redirect") if isinstance(body.get("redirect"), str) else None
        record = self.aliases.public(self.aliases.assign(alias, deployment, redirect))
        keys = ("uid", "alias", "created", "oldDeploymentId")
        return app.Response.json({key: record[key] for key in keys})

    def list_aliases(self, request: app.Request, scope: Scope) -> app.Response:
        deployment = self.lifecycle.find(scope, request.params["id"])
        keys = ("uid", "alias", "created", "redirect")
        rows = [
            {key: a[key] for key in keys}
            for a in map(self.aliases.public, self.aliases.of_deployment(deployment["id"]))
        ]
        return app.Response.json({"aliases": rows})

    def get_alias(self, request: app.Request, scope: Scope) -> app.Response:
        """The alias as a one-row list: Vercel's description answers getAlias with an array of
        alias rows (the overlay that once turned it into an object was reverted in vercel/sdk
        #124), so clients that follow it index ``[0]``."""
        return app.Response.json([self.aliases.public(self._alias(scope, request.params["alias"]))])

    def delete_alias(self, request: app.Request, scope: Scope) -> app.Response:
        record = self._alias(scope, request.params["alias"])
        self.aliases.remove(record["alias"])
        return app.Response.json({"status": "SUCCESS"})

    def _alias(self, scope: Scope, ref: str) -> JsonDict:
        record = self.aliases.find(scope.owner_id, ref)
        if record is None:
            raise not_found("Alias")
        return record

    # --- promote and rollback ---------------------------------------------------------------------

    def promote(self, request: app.Request, scope: Scope) -> app.Response:
        """201, then ``lastAliasRequest`` goes pending -> succeeded. Only a READY production
        deployment can be promoted directly (the CLI redeploys a preview as production)."""
        return self._alias_job(request, scope, "promote")

    def rollback(self, request: app.Request, scope: Scope) -> app.Response:
        return self._alias_job(request, scope, "rollback")

    def _alias_job(self, request: app.Request, scope: Scope, kind: str) -> app.Response:
        project = self.projects.get_record(scope, request.params["project"])
        deployment = self.lifecycle.find(scope, request.params["id"])
        if deployment["projectId"] != project["id"]:
            raise VercelErrorReply(400, "invalid_deployment", "The deployment belongs to another project")
        if self.lifecycle.ready_state(deployment) != "READY":
            raise VercelErrorReply(400, "deployment_not_ready", "Only a READY deployment can be promoted")
        if deployment["target"] != "production":
            raise VercelErrorReply(
                400, "not_production", "Only a production deployment can be promoted or rolled back to"
            )
        self.lifecycle.request_alias_job(project, deployment, kind)
        self.lifecycle.settle()
        return app.Response(201, b"{}", [("Content-Type", "application/json; charset=utf-8")])

    def job_aliases(self, request: app.Request, scope: Scope) -> app.Response:
        """The production aliases of the last promote/rollback and whether each moved."""
        project = self.projects.get_record(scope, request.params["project"])
        job = project.get("lastAliasRequest") or {}
        failed_only = request.arg("failedOnly") == "true"
        rows = []
        for host in self.lifecycle.production_hosts(project):
            record = self.aliases.ctx.store.aliases.get(host)
            moved = record is not None and record["deploymentId"] == job.get("toDeploymentId")
            status = "completed" if moved else ("pending" if job.get("jobStatus") == "pending" else "failed")
            if not (failed_only and status != "failed"):
                rows.append(
                    {"status": status, "alias": {"alias": host, "deploymentId": job.get("toDeploymentId")}}
                )
        return app.Response.json(
            {"aliases": rows, "pagination": {"count": len(rows), "next": None, "prev": None}}
        )
