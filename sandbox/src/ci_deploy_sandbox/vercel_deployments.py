"""Deployments: create (answering ``missing_files`` until every file is uploaded), get, list and
delete."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from typing import Any

from ci_deploy_sandbox import app
from ci_deploy_sandbox.vercel_aliases import OUTPUT_PREFIX, Aliases
from ci_deploy_sandbox.vercel_common import (
    Context,
    JsonDict,
    Scope,
    VercelErrorReply,
    body_object,
    int_arg,
    new_id,
    random_label,
    site_host,
)
from ci_deploy_sandbox.vercel_env import snapshot_env
from ci_deploy_sandbox.vercel_lifecycle import Lifecycle
from ci_deploy_sandbox.vercel_projects import Projects

Handler = Callable[[app.Request, Scope], app.Response]

_SHA1 = re.compile(r"^[0-9a-f]{40}$")
TARGETS = {None: None, "preview": None, "production": "production", "staging": "staging"}


class Deployments:
    def __init__(self, ctx: Context, lifecycle: Lifecycle, aliases: Aliases, projects: Projects) -> None:
        self.ctx = ctx
        self.lifecycle = lifecycle
        self.aliases = aliases
        self.projects = projects

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        return [
            ("POST", "/v13/deployments", "vercel.deployments.create", self.create),
            ("GET", "/v13/deployments/get", "vercel.deployments.get", self.get_by_url),
            ("GET", "/v13/deployments/{id}", "vercel.deployments.get", self.get),
            ("GET", "/v6/deployments", "vercel.deployments.list", self.list),
            ("GET", "/v7/deployments", "vercel.deployments.list", self.list),
            ("DELETE", "/v13/deployments/{id}", "vercel.deployments.delete", self.delete),
            ("DELETE", "/v13/deployments", "vercel.deployments.delete", self.delete),
            ("DELETE", "/now/deployments/{id}", "vercel.deployments.delete", self.delete),
        ]

    # --- create -----------------------------------------------------------------------------------

    def create(self, request: app.Request, scope: Scope) -> app.Response:
        body = body_object(request)
        source = self.lifecycle.find(scope, str(body["deploymentId"])) if body.get("deploymentId") else None
        project = self._project_for(scope, body, source)
        prebuilt = request.arg("prebuilt") == "1" or bool(source and source.get("_prebuilt"))
        files = dict(source["_files"]) if source else self._files(scope, body.get("files"))
        if prebuilt and not any(path.startswith(OUTPUT_PREFIX) for path in files):
            raise VercelErrorReply(
                400, "bad_request", "A prebuilt deployment needs files under .vercel/output/"
            )
        target = self._target(project, body.get("target"))
        deployment = self._record(scope, project, body, files, target, prebuilt, source)
        self.ctx.store.deployments[deployment["id"]] = deployment
        self.ctx.wake(deployment["_readyAt"])
        self.lifecycle.log(deployment, "stdout", f"Building in sandbox ({len(files)} files)")
        # As on Vercel, a new deployment is QUEUED: even with no build delay, READY (and its
        # aliases) is first seen by the next request, such as the client's first poll.
        return app.Response.json(
            {**self.lifecycle.view(deployment), "readyState": "QUEUED", "status": "QUEUED"}
        )

    def _project_for(self, scope: Scope, body: JsonDict, source: JsonDict | None) -> JsonDict:
        """The project named by ``project`` (id or name) or ``name``; a new name creates it, with
        the ``projectSettings`` of this first deployment."""
        ref = body.get("project") or body.get("name") or (source["projectId"] if source else None)
        if not isinstance(ref, str) or not ref:
            raise VercelErrorReply(
                400, "missing_project_settings", "The deployment needs a `name` or `project`"
            )
        found = self.projects.lookup(scope, ref)
        if found is not None:
            return found
        if ref.startswith("prj_"):
            raise VercelErrorReply(404, "not_found", f"Project {ref} not found")
        return self.projects.create_record(scope, ref, body.get("projectSettings") or {})

    def _files(self, scope: Scope, entries: Any) -> dict[str, str]:
        """``{path: sha1}`` of the body's file list, storing inline files; 400 ``missing_files``
        naming every sha the store has not got."""
        if not isinstance(entries, list) or not entries:
            raise VercelErrorReply(400, "missing_files", "No files in the deployment", missing=[])
        files: dict[str, str] = {}
        missing: list[str] = []
        for entry in entries:
            path, sha = self._file_entry(scope, entry)
            files[path] = sha
            if not self.ctx.world.blobs.has(scope.namespace, sha) and sha not in missing:
                missing.append(sha)
        if missing:
            raise VercelErrorReply(400, "missing_files", "Missing files", missing=missing)
        return files

    def _file_entry(self, scope: Scope, entry: Any) -> tuple[str, str]:
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise VercelErrorReply(400, "bad_request", "Each file needs a `file` path")
        path = entry["file"].lstrip("/")
        if not path or ".." in path.split("/"):
            raise VercelErrorReply(400, "bad_request", f"Invalid file path: {entry['file']}")
        if "data" in entry:
            data = _inline_bytes(entry)
            sha = hashlib.sha1(data).hexdigest()
            self.ctx.world.blobs.put(scope.namespace, sha, data)
            return path, sha
        sha = str(entry.get("sha", "")).lower()
        if not _SHA1.match(sha):
            raise VercelErrorReply(400, "bad_request", f"File {path} needs a sha1 `sha` or inline `data`")
        return path, sha

    def _target(self, project: JsonDict, requested: Any) -> str | None:
        """``production``, ``staging`` or None (preview). A project with no production
        deployment yet gets its first deployment as production, whatever was asked."""
        if requested not in TARGETS:
            raise VercelErrorReply(400, "bad_request", f"Unknown target or custom environment: {requested}")
        target = TARGETS[requested]
        has_production = any(
            d["projectId"] == project["id"] and d["target"] == "production"
            for d in self.ctx.store.deployments.values()
        )
        return "production" if target is None and not has_production else target

    def _record(
        self,
        scope: Scope,
        project: JsonDict,
        body: JsonDict,
        files: dict[str, str],
        target: str | None,
        prebuilt: bool,
        source: JsonDict | None,
    ) -> JsonDict:
        """A new deployment: the fields Vercel answers with, then the sandbox's own bookkeeping
        (keys starting with ``_``, which no view shows)."""
        git = body.get("gitMetadata") if isinstance(body.get("gitMetadata"), dict) else {}
        meta = {str(k): str(v) for k, v in (body.get("meta") or (source or {}).get("meta") or {}).items()}
        settings = {
            **{k: project.get(k) for k in ("framework", "outputDirectory")},
            **body.get("projectSettings", {}),
        }
        host = site_host(f"{project['name']}-{random_label()}-{scope.slug}")
        public = self._public_fields(scope, project, body, target, host, git or None, meta, settings)
        delay = int(self.ctx.setting("vercel.build_delay_ms", 0))
        return {
            **public,
            "_host": host,
            "_scope": scope.slug,
            "_branch": (git or {}).get("commitRef") or meta.get("githubCommitRef"),
            "_namespace": scope.namespace,
            "_files": files,
            "_prebuilt": prebuilt,
            "_outputDirectory": settings.get("outputDirectory"),
            "_autoAssign": body.get("autoAssignCustomDomains", True),
            "_readyAt": self.ctx.now_ms() + delay,
            "_fail": self.ctx.take_build_failure(),
            "_settled": False,
            "_events": [],
        }

    def _public_fields(
        self,
        scope: Scope,
        project: JsonDict,
        body: JsonDict,
        target: str | None,
        host: str,
        git: JsonDict | None,
        meta: dict[str, str],
        settings: JsonDict,
    ) -> JsonDict:
        """What Vercel's API shows of a deployment just created (building, not yet aliased)."""
        created = self.ctx.created_ms()
        deployment_id = new_id("dpl_", 28)
        user = scope.account.user
        fields: JsonDict = {
            "id": deployment_id,
            # The url carries the sandbox port: a `.localhost` host is served over http:// on
            # the port of the deployment's own URL (the contract), so clients can reach it.
            "url": f"{host}:{self.ctx.world.port}",
            "name": project["name"],
            "projectId": project["id"],
            "ownerId": scope.owner_id,
            "target": target,
            "alias": [],
            "aliasAssigned": False,
            "aliasError": None,
            "aliasWarning": None,
            "inspectorUrl": f"https://vercel.com/{scope.slug}/{project['name']}/{deployment_id[4:]}",
            "createdAt": created,
            "buildingAt": created,
            "bootedAt": created,
            "createdIn": "iad1",
            "buildSkipped": False,
            "isInConcurrentBuildsQueue": False,
            "isInSystemBuildsQueue": False,
            "creator": {"uid": user["id"], "username": user["username"]},
            "meta": meta,
            "gitMetadata": git,
            "regions": ["iad1"],
            "type": "LAMBDAS",
            "version": 2,
            "plan": "hobby",
            "public": False,
            "source": body.get("source", "cli"),
            "projectSettings": settings,
            "isInstantStatic": False,
            "build": {"env": []},
            # a static deployment without a vercel.json `routes` has none: null, as documented
            "routes": None,
            "_creatorEmail": user.get("email", ""),
            "env": sorted(snapshot_env(project, target, body)),
        }
        if scope.team:  # only a team's deployment names its team
            fields["team"] = {k: scope.team[k] for k in ("id", "name", "slug")}
        return fields

    # --- read, list, delete --------------------------------------------------------------------

    def get(self, request: app.Request, scope: Scope) -> app.Response:
        return app.Response.json(self.lifecycle.view(self.lifecycle.find(scope, request.params["id"])))

    def get_by_url(self, request: app.Request, scope: Scope) -> app.Response:
        url = request.arg("url")
        if not url:
            raise VercelErrorReply(400, "bad_request", "Missing `url` query parameter")
        return app.Response.json(self.lifecycle.view(self.lifecycle.find(scope, url)))

    def list(self, request: app.Request, scope: Scope) -> app.Response:
        """Newest first; ``until``/``since`` are exclusive creation times, ``pagination.next`` is
        the ``until`` of the next page. There is no server-side filter on ``meta``."""
        project_ref = request.arg("projectId") or request.arg("app")
        project = self.projects.lookup(scope, project_ref) if project_ref else None
        if project_ref and project is None:
            return app.Response.json({"deployments": [], "pagination": _page(0, None)})
        limit = max(1, min(int_arg(request, "limit", 20), 100))
        until, since = int_arg(request, "until", 2**62), int_arg(request, "since", 0)
        target, state = request.arg("target"), request.arg("state")
        rows = []
        for deployment in sorted(self.ctx.store.deployments.values(), key=lambda d: -d["createdAt"]):
            if deployment["ownerId"] != scope.owner_id or not since < deployment["createdAt"] < until:
                continue
            if project is not None and deployment["projectId"] != project["id"]:
                continue
            summary = self.lifecycle.summary(deployment)
            if (target and summary["target"] != target) or (
                state and summary["state"] not in state.split(",")
            ):
                continue
            rows.append(summary)
        page = rows[:limit]
        following = page[-1]["created"] if len(rows) > limit else None
        return app.Response.json({"deployments": page, "pagination": _page(len(page), following)})

    def delete(self, request: app.Request, scope: Scope) -> app.Response:
        ref = request.params.get("id") or request.arg("url")
        if not ref:
            raise VercelErrorReply(400, "bad_request", "Missing deployment id or `url`")
        deployment = self.lifecycle.find(scope, ref)
        self.aliases.unpublish_deployment(deployment)
        del self.ctx.store.deployments[deployment["id"]]
        project = self.ctx.store.projects.get(deployment["projectId"])
        if project is not None and project.get("_production") == deployment["id"]:
            project["_production"] = None
        return app.Response.json({"uid": deployment["id"], "state": "DELETED"})


def _inline_bytes(entry: JsonDict) -> bytes:
    data = entry["data"]
    if not isinstance(data, str):
        raise VercelErrorReply(400, "bad_request", f"Inline file {entry['file']} needs string `data`")
    if entry.get("encoding") == "base64":
        try:
            return base64.b64decode(data, validate=True)
        except binascii.Error as exc:
            raise VercelErrorReply(400, "bad_request", f"Inline file {entry['file']}: bad base64") from exc
    return data.encode()


def _page(count: int, following: int | None) -> JsonDict:
    return {"count": count, "next": following, "prev": None}
