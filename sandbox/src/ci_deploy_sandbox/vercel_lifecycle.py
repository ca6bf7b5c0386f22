"""A deployment's life after create: QUEUED -> BUILDING -> READY (or ERROR), and what READY does.

There is no background worker: a deployment's state is a function of the clock (it becomes
READY ``vercel.build_delay_ms`` after create), and the side effects of becoming READY — serving
its host, assigning its production or git-branch aliases — are applied by :meth:`settle`, which
every API request runs first. A client that polls therefore sees the same sequence as on Vercel.
"""

from __future__ import annotations

from typing import Any

from ci_deploy_sandbox.vercel_aliases import Aliases
from ci_deploy_sandbox.vercel_common import Context, JsonDict, Scope, not_found, public, site_host, slugify

SUMMARY_KEYS = (
    *("name", "url", "projectId", "target", "aliasAssigned", "aliasError", "inspectorUrl", "meta"),
    *("creator", "source", "createdAt", "buildingAt", "ready", "readySubstate", "type"),
)
BUILD_ERROR_MESSAGE = "The build failed (failure injected by the sandbox: vercel.fail_next_builds)"


class Lifecycle:
    """Settling deployments and promotion jobs, production aliases, and the public views."""

    def __init__(self, ctx: Context, aliases: Aliases) -> None:
        self.ctx = ctx
        self.aliases = aliases

    # --- time passes -------------------------------------------------------------------------

    def settle(self) -> None:
        """Apply everything whose time has come, oldest first, so the newest production wins."""
        now = self.ctx.now_ms()
        pending = [d for d in self.ctx.store.deployments.values() if not d["_settled"]]
        for deployment in sorted(pending, key=lambda d: d["createdAt"]):
            if deployment["_readyAt"] <= now:
                self._finish_build(deployment)
        for project in self.ctx.store.projects.values():
            job = project.get("lastAliasRequest")
            if job and job["jobStatus"] == "pending" and project["_jobDoneAt"] <= now:
                self._finish_alias_job(project, job)

    def _finish_build(self, deployment: JsonDict) -> None:
        deployment["_settled"] = True
        at = max(deployment["_readyAt"], deployment["createdAt"])
        project = self.ctx.store.projects.get(deployment["projectId"])
        if deployment["_fail"]:
            deployment.update(readyState="ERROR", errorCode="BUILD_FAILED", errorMessage=BUILD_ERROR_MESSAGE)
            self.log(deployment, "stderr", f"Error: {BUILD_ERROR_MESSAGE}", at)
            return
        deployment.update(readyState="READY", ready=at, aliasAssigned=True)
        self.aliases.publish_deployment(deployment)
        self.log(deployment, "stdout", "Build Completed in /vercel/output", at)
        if project is None:
            return
        if deployment["target"] == "production":
            if self._promotes_itself(project, deployment):
                self.promote(project, deployment)
                deployment["alias"] = self.production_hosts(project)
            else:
                deployment["readySubstate"] = "STAGED"
        else:
            deployment["alias"] = self._assign_branch_aliases(project, deployment)
        self.log(deployment, "stdout", "Deployment completed", at)

    def _promotes_itself(self, project: JsonDict, deployment: JsonDict) -> bool:
        """A READY production deployment takes the production aliases unless auto-promotion is
        paused (after a rollback), it asked not to (``autoAssignCustomDomains: false``), or a
        newer production deployment already holds them."""
        if project.get("_autoPromotePaused") or deployment.get("_autoAssign") is False:
            return False
        current = self.ctx.store.deployments.get(project.get("_production") or "")
        return current is None or current["createdAt"] <= deployment["createdAt"]

    def _assign_branch_aliases(self, project: JsonDict, deployment: JsonDict) -> list[str]:
        branch = deployment.get("_branch")
        if not branch:
            return []
        hosts = [branch_host(project["name"], branch, deployment["_scope"])]
        hosts += [d["name"] for d in project["_domains"] if d.get("gitBranch") == branch and d["verified"]]
        for host in hosts:
            self.aliases.assign(host, deployment)
        return hosts

    def _finish_alias_job(self, project: JsonDict, job: JsonDict) -> None:
        target = self.ctx.store.deployments.get(job["toDeploymentId"])
        if target is None or target.get("readyState") != "READY":
            job["jobStatus"] = "failed"
            return
        self.promote(project, target)
        job["jobStatus"] = "succeeded"

    # --- production ----------------------------------------------------------------------------

    def production_hosts(self, project: JsonDict) -> list[str]:
        """``<project>.vercel.localhost`` and the project's verified custom domains that are not
        tied to a git branch: the hosts a production deployment is served on."""
        domains = [d["name"] for d in project["_domains"] if d["verified"] and not d.get("gitBranch")]
        return [site_host(project["name"]), *[d for d in domains if d != site_host(project["name"])]]

    def promote(self, project: JsonDict, deployment: JsonDict) -> None:
        """Point every production host at ``deployment``."""
        for host in self.production_hosts(project):
            self.aliases.assign(host, deployment)
        project["_production"] = deployment["id"]
        deployment["readySubstate"] = "PROMOTED"

    def request_alias_job(self, project: JsonDict, deployment: JsonDict, kind: str) -> None:
        """Start a promote/rollback: the switch lands ``vercel.alias_delay_ms`` later, observed
        as ``lastAliasRequest.jobStatus`` going pending -> succeeded."""
        now = self.ctx.now_ms()
        project["lastAliasRequest"] = {
            "fromDeploymentId": project.get("_production"),
            "toDeploymentId": deployment["id"],
            "jobStatus": "pending",
            "requestedAt": now,
            "type": kind,
        }
        project["_jobDoneAt"] = now + int(self.ctx.setting("vercel.alias_delay_ms", 0))
        self.ctx.wake(project["_jobDoneAt"])
        project["_autoPromotePaused"] = kind == "rollback"

    # --- lookup and views -------------------------------------------------------------------------

    def find(self, scope: Scope, id_or_url: str) -> JsonDict:
        """A deployment of the scope by id or by URL (host, with or without scheme and port)."""
        wanted = id_or_url.lower().removeprefix("https://").removeprefix("http://").rstrip("/")
        for deployment in self.ctx.store.deployments.values():
            if deployment["ownerId"] != scope.owner_id:
                continue
            ids = (deployment["id"].lower(), deployment["id"][4:].lower())
            if wanted in (*ids, deployment["url"], deployment["_host"]):
                return deployment
        alias = self.aliases.find(scope.owner_id, wanted.split(":")[0])
        if alias is not None and alias["deploymentId"] in self.ctx.store.deployments:
            return self.ctx.store.deployments[alias["deploymentId"]]
        raise not_found("Deployment")

    def ready_state(self, deployment: JsonDict) -> str:
        if deployment["_settled"]:
            return str(deployment["readyState"])
        created, ready = deployment["createdAt"], deployment["_readyAt"]
        return "QUEUED" if self.ctx.now_ms() < created + (ready - created) // 4 else "BUILDING"

    def view(self, deployment: JsonDict) -> JsonDict:
        """The deployment object of ``/v13/deployments``."""
        state = self.ready_state(deployment)
        return {**public(deployment), "readyState": state, "status": state}

    def summary(self, deployment: JsonDict) -> JsonDict:
        """The shorter shape of list endpoints (``uid``, ``state``, ``created``)."""
        state = self.ready_state(deployment)
        keys = SUMMARY_KEYS
        return {
            "uid": deployment["id"],
            # fields a deployment has not got yet (``ready``, ``readySubstate``) are left out
            **{key: deployment[key] for key in keys if key in deployment},
            "created": deployment["createdAt"],
            "state": state,
            "readyState": state,
        }

    def log(self, deployment: JsonDict, kind: str, text: str, at: int | None = None) -> None:
        events: list[Any] = deployment["_events"]
        events.append({"type": kind, "created": at or self.ctx.now_ms(), "text": text})


def branch_host(project: str, branch: str, scope: str) -> str:
    """``<project>-git-<branch>-<scope>``, the git-branch alias, kept to one 63-byte DNS label."""
    room = 63 - len(project) - len(scope) - len("-git--")
    return site_host(f"{project}-git-{slugify(branch)[: max(room, 1)].strip('-')}-{scope}")
