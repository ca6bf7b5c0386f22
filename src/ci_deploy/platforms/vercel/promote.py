"""Promote and rollback: point production at a deployment, then wait for the alias job.

Both calls return at once (201, or 202 when queued); the switch happens in a job that the
project reports as ``lastAliasRequest`` (``GET /v9/projects/{id}?rollbackInfo=true``). Like the
CLI we poll it until ``jobStatus`` is ``succeeded`` or ``failed`` - with a bound, and reporting
the aliases that failed to move.
"""

from __future__ import annotations

import logging
from typing import Any

from ci_deploy.errors import DeployFailed, DeployTimeout, NotFoundError, PlatformError
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError
from ci_deploy.platforms.vercel.project import list_deployments, production_id
from ci_deploy.urls import path_segment

log = logging.getLogger("ci_deploy.platforms.vercel.adapter")

FIRST_DELAY = 0.25
MAX_DELAY = 2.0
DONE = ("succeeded", "failed", "skipped")


def job_state(project: dict[str, Any], deployment_id: str) -> str:
    """Pure: the alias job's status for ``deployment_id`` ("" while it is not ours yet)."""
    last = project.get("lastAliasRequest")
    if not isinstance(last, dict):
        return ""
    target = last.get("toDeploymentId")
    if target and target != deployment_id:
        return ""
    return str(last.get("jobStatus") or "")


def _failed_aliases(api: VercelApi, project_id: str) -> str:
    try:
        body = api.call("GET", f"/v9/projects/{project_id}/promote/aliases", params={"failedOnly": "true"})
    except PlatformError:
        return ""
    aliases = body.get("aliases") if isinstance(body, dict) else None
    names = [str(a.get("alias")) for a in aliases or [] if isinstance(a, dict)]
    return ", ".join(names)


def wait_alias_job(api: VercelApi, project_id: str, deployment_id: str, deadline: float, action: str) -> None:
    """Poll the project until the promote/rollback job for ``deployment_id`` is done."""
    delay = FIRST_DELAY
    status = ""
    while True:
        project = api.call(
            "GET", f"/v9/projects/{project_id}", params={"rollbackInfo": "true"}, deadline=deadline
        )
        status = job_state(project if isinstance(project, dict) else {}, deployment_id)
        if status in ("succeeded", "skipped"):
            return
        if status == "failed":
            failed = _failed_aliases(api, project_id)
            raise DeployFailed(
                f"Vercel could not {action} {deployment_id}"
                + (f": aliases not moved: {failed}" if failed else "")
            )
        remaining = deadline - api.clock()
        if remaining <= 0:
            raise DeployTimeout(
                f"the {action} of {deployment_id} did not finish in time (job: {status or 'unknown'})"
            )
        api.sleep(min(delay, remaining))
        delay = min(MAX_DELAY, delay * 2)


def promote(api: VercelApi, project_id: str, deployment_id: str, deadline: float) -> None:
    """``POST /v10/projects/{id}/promote/{dpl}`` and wait for the job."""
    log.info("promoting %s to production", deployment_id)
    try:
        api.call("POST", f"/v10/projects/{project_id}/promote/{path_segment(deployment_id)}", json={})
    except VercelApiError as exc:
        raise exc.during(f"promote deployment {deployment_id} to production") from exc
    wait_alias_job(api, project_id, deployment_id, deadline, "promote")


def rollback(api: VercelApi, project_id: str, deployment_id: str, deadline: float) -> None:
    """``POST /v9/projects/{id}/rollback/{dpl}`` and wait for the job."""
    log.info("rolling production back to %s", deployment_id)
    try:
        api.call("POST", f"/v9/projects/{project_id}/rollback/{path_segment(deployment_id)}", json={})
    except VercelApiError as exc:
        raise exc.during(f"roll production back to deployment {deployment_id}") from exc
    wait_alias_job(api, project_id, deployment_id, deadline, "roll back to")


def _created(item: dict[str, Any]) -> float:
    value = item.get("created") or item.get("createdAt") or 0
    return float(value) if isinstance(value, int | float) else 0.0


def ready_production(api: VercelApi, project_id: str) -> list[dict[str, Any]]:
    """The project's READY production deployments, newest first."""
    items = [
        item
        for item in list_deployments(api, project_id, target="production")
        if item.get("target") == "production" and (item.get("readyState") or item.get("state")) == "READY"
    ]
    return sorted(items, key=_created, reverse=True)


def previous_production(api: VercelApi, project: dict[str, Any]) -> dict[str, Any]:
    """The READY production deployment made before the live one (the default rollback target)."""
    live = production_id(project)
    candidates = ready_production(api, str(project["id"]))
    ids = [str(item.get("uid") or item.get("id")) for item in candidates]
    older = candidates[ids.index(live) + 1 :] if live in ids else candidates[1:]
    if not older:
        raise NotFoundError(
            "there is no earlier READY production deployment to roll back to", input_name="deployment-id"
        )
    return older[0]
