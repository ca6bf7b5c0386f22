"""Projects: create (Vercel's name rules), get (with ``rollbackInfo``), list, edit, delete."""

from __future__ import annotations

import re
from collections.abc import Callable

from ci_deploy_sandbox import app
from ci_deploy_sandbox.vercel_common import (
    Context,
    JsonDict,
    Scope,
    VercelErrorReply,
    body_object,
    int_arg,
    new_id,
    public,
)
from ci_deploy_sandbox.vercel_lifecycle import Lifecycle

Handler = Callable[[app.Request, Scope], app.Response]

_NAME = re.compile(r"^[a-z0-9._-]{1,100}$")
#: a Hobby project's function defaults, as Vercel answers them
RESOURCE_CONFIG = {"functionDefaultRegions": ["iad1"], "functionDefaultTimeout": 10, "fluid": False}
EDITABLE = (
    "name",
    "framework",
    "buildCommand",
    "devCommand",
    "installCommand",
    "outputDirectory",
    "rootDirectory",
    "nodeVersion",
    "sourceFilesOutsideRootDirectory",
    "commandForIgnoringBuildStep",
    "serverlessFunctionRegion",
    "autoAssignCustomDomains",
)


def check_name(name: str) -> None:
    """Vercel's project name rule: lowercase, at most 100 of ``[a-z0-9._-]``, no ``---``."""
    if not _NAME.match(name) or "---" in name:
        raise VercelErrorReply(
            400,
            "invalid_name",
            "Project names can be up to 100 characters long and must be lowercase. They can include "
            "letters, digits, and the following characters: '.', '_', '-'. However, they cannot "
            "contain the sequence '---'.",
        )


class Projects:
    def __init__(self, ctx: Context, lifecycle: Lifecycle) -> None:
        self.ctx = ctx
        self.lifecycle = lifecycle

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        return [
            ("GET", "/v9/projects/{project}", "vercel.projects.get", self.get),
            ("GET", "/v9/projects", "vercel.projects.list", self.list),
            ("GET", "/v10/projects", "vercel.projects.list", self.list),
            ("POST", "/v11/projects", "vercel.projects.create", self.create),
            ("POST", "/v1/projects", "vercel.projects.create", self.create),
            ("POST", "/v10/projects", "vercel.projects.create", self.create),
            ("PATCH", "/v9/projects/{project}", "vercel.projects.edit", self.edit),
            ("DELETE", "/v9/projects/{project}", "vercel.projects.delete", self.delete),
            ("GET", "/projects/{project}/custom-environments", "vercel.projects.environments", self.no_env),
            (
                "GET",
                "/v9/projects/{project}/custom-environments",
                "vercel.projects.environments",
                self.no_env,
            ),
        ]

    # --- records ----------------------------------------------------------------------------------

    def lookup(self, scope: Scope, id_or_name: str) -> JsonDict | None:
        for project in self.ctx.store.projects.values():
            if project["accountId"] == scope.owner_id and id_or_name in (project["id"], project["name"]):
                return project
        return None

    def get_record(self, scope: Scope, id_or_name: str) -> JsonDict:
        project = self.lookup(scope, id_or_name)
        if project is None:
            raise VercelErrorReply(404, "not_found", f"Project not found: {id_or_name}")
        return project

    def create_record(self, scope: Scope, name: str, settings: JsonDict) -> JsonDict:
        check_name(name)
        if self.lookup(scope, name) is not None:
            raise VercelErrorReply(409, "conflict", f"A project with the name {name} already exists")
        now = self.ctx.now_ms()
        project: JsonDict = {
            "id": new_id("prj_", 28),
            "name": name,
            "accountId": scope.owner_id,
            "createdAt": now,
            "updatedAt": now,
            "framework": None,
            "rootDirectory": None,
            "buildCommand": None,
            "devCommand": None,
            "installCommand": None,
            "outputDirectory": None,
            "nodeVersion": "22.x",
            "directoryListing": False,
            "resourceConfig": dict(RESOURCE_CONFIG),
            "defaultResourceConfig": dict(RESOURCE_CONFIG),
            "sourceFilesOutsideRootDirectory": True,
            "autoAssignCustomDomains": True,
            "live": False,
            "rollingRelease": None,
            "lastAliasRequest": None,
            "_production": None,
            "_autoPromotePaused": False,
            "_jobDoneAt": 0,
            "_domains": [],
            "_env": [],
        }
        project.update({k: v for k, v in settings.items() if k in EDITABLE and k != "name"})
        self.ctx.store.projects[project["id"]] = project
        return project

    def view(self, project: JsonDict) -> JsonDict:
        own = [d for d in self.ctx.store.deployments.values() if d["projectId"] == project["id"]]
        latest = sorted(own, key=lambda d: -d["createdAt"])[:5]
        production = self.ctx.store.deployments.get(project.get("_production") or "")
        view = public(project)
        view["latestDeployments"] = [self._brief(d) for d in latest]
        view["targets"] = {"production": self._brief(production)} if production else {}
        view["alias"] = [{"domain": d["name"], "target": "PRODUCTION"} for d in project["_domains"]]
        return view

    def _brief(self, deployment: JsonDict) -> JsonDict:
        """A deployment as a project's ``latestDeployments``/``targets`` show it."""
        summary = self.lifecycle.summary(deployment)
        creator = {**deployment["creator"], "email": deployment.get("_creatorEmail", "")}
        return {
            **summary,
            "id": deployment["id"],
            "alias": deployment["alias"],
            "creator": creator,
            "userId": creator["uid"],
            "createdIn": deployment.get("createdIn", "iad1"),
            "deploymentHostname": deployment["_host"].split(".", 1)[0],
            "plan": deployment.get("plan", "hobby"),
            "private": True,
        }

    # --- handlers ---------------------------------------------------------------------------------

    def get(self, request: app.Request, scope: Scope) -> app.Response:
        view = self.view(self.get_record(scope, request.params["project"]))
        if request.arg("rollbackInfo") != "true":
            view.pop("lastAliasRequest", None)
        return app.Response.json(view)

    def list(self, request: app.Request, scope: Scope) -> app.Response:
        search = request.arg("search") or ""
        limit = max(1, min(int_arg(request, "limit", 20), 100))
        own = [p for p in self.ctx.store.projects.values() if p["accountId"] == scope.owner_id]
        found = [self.view(p) for p in sorted(own, key=lambda p: -p["updatedAt"]) if search in p["name"]]
        page = found[:limit]
        pagination = {"count": len(page), "next": None, "prev": None}
        return app.Response.json({"projects": page, "pagination": pagination})

    def create(self, request: app.Request, scope: Scope) -> app.Response:
        body = body_object(request)
        name = body.get("name")
        if not isinstance(name, str):
            raise VercelErrorReply(400, "bad_request", "A project needs a `name`")
        return app.Response.json(self.view(self.create_record(scope, name, body)))

    def edit(self, request: app.Request, scope: Scope) -> app.Response:
        project = self.get_record(scope, request.params["project"])
        changes = {k: v for k, v in body_object(request).items() if k in EDITABLE}
        if "name" in changes:
            check_name(str(changes["name"]))
        project.update(changes, updatedAt=self.ctx.now_ms())
        return app.Response.json(self.view(project))

    def delete(self, request: app.Request, scope: Scope) -> app.Response:
        project = self.get_record(scope, request.params["project"])
        for deployment in [d for d in self.ctx.store.deployments.values() if d["projectId"] == project["id"]]:
            self.lifecycle.aliases.unpublish_deployment(deployment)
            del self.ctx.store.deployments[deployment["id"]]
        del self.ctx.store.projects[project["id"]]
        return app.Response(204)

    def no_env(self, request: app.Request, scope: Scope) -> app.Response:
        """Custom environments are not emulated: 404, which the CLI reads as "none"."""
        self.get_record(scope, request.params["project"])
        raise VercelErrorReply(404, "not_found", "Custom environments are not available")
