"""Emulated GitHub Deployments and deployment statuses.

The semantics the action depends on are GitHub's: listing is newest first with ``sha``/``ref``/
``task``/``environment`` filters; a ``success`` status with ``auto_inactive`` (default true)
marks earlier deployments of the same environment inactive — but only non-transient,
non-production ones; an active deployment cannot be deleted unless it is its environment's only
one; a deployment of a branch without ``auto_merge: false`` is answered 202, not created.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from ci_deploy_sandbox import app
from ci_deploy_sandbox.github_common import (
    Context,
    GitHubErrorReply,
    JsonDict,
    invalid,
    not_found,
    now,
    paginate,
)
from ci_deploy_sandbox.github_objects import simple_user

STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def _payload(ctx: Context) -> JsonDict:
    try:
        payload = ctx.request.json()
    except ValueError as exc:
        raise GitHubErrorReply(400, "Problems parsing JSON") from exc
    if not isinstance(payload, dict):
        raise GitHubErrorReply(400, "Problems parsing JSON")
    return payload


def _find(ctx: Context) -> JsonDict:
    for deployment in ctx.repo["deployments"]:
        if str(deployment["id"]) == ctx.request.params["id"]:
            return dict(deployment)
    raise not_found()


def _latest_state(repo: JsonDict, deployment_id: int) -> str | None:
    statuses = repo["statuses"].get(str(deployment_id), [])
    return str(statuses[-1]["state"]) if statuses else None


def _view(ctx: Context, deployment: JsonDict) -> JsonDict:
    url = f"{ctx.api_base}/deployments/{deployment['id']}"
    creator = simple_user(deployment["creator"], ctx.request.origin)
    return {
        **deployment,
        "creator": creator,
        "url": url,
        "statuses_url": f"{url}/statuses",
        "repository_url": ctx.api_base,
    }


def _status_view(ctx: Context, status: JsonDict) -> JsonDict:
    """A stored status as GitHub shows it: its own ``url`` and a full ``creator``."""
    url = f"{status['deployment_url']}/statuses/{status['id']}"
    return {**status, "url": url, "creator": simple_user(status["creator"], ctx.request.origin)}


def create(ctx: Context) -> app.Response:
    body = _payload(ctx)
    ref = body.get("ref")
    if not isinstance(ref, str) or not ref:
        raise invalid("Deployment", "ref", "missing_field")
    if body.get("auto_merge", True) is not False and not _SHA.match(ref):
        # GitHub merges the default branch into the ref first and answers 202 without a deployment
        return app.Response.json({"message": f"Auto-merged main into {ref} on deployment."}, 202)
    environment = str(body.get("environment") or "production")
    payload = body.get("payload", {})
    if not isinstance(payload, dict | str):
        raise invalid("Deployment", "payload", "invalid")
    stamp = now()
    deployment_id = ctx.store.new_id()
    deployment = {
        "id": deployment_id,
        "node_id": f"DE_{deployment_id}",
        "sha": ref if _SHA.match(ref) else hashlib.sha1(ref.encode()).hexdigest(),
        "ref": ref,
        "task": str(body.get("task") or "deploy"),
        "payload": payload,
        "original_environment": environment,
        "environment": environment,
        "description": body.get("description"),
        "creator": ctx.principal.user(),
        "created_at": stamp,
        "updated_at": stamp,
        "transient_environment": bool(body.get("transient_environment", False)),
        "production_environment": bool(body.get("production_environment", environment == "production")),
    }
    ctx.repo["deployments"].append(deployment)
    return app.Response.json(_view(ctx, deployment), 201)


def list_deployments(ctx: Context) -> app.Response:
    filters = {name: ctx.request.arg(name) for name in ("sha", "ref", "task", "environment")}
    found = [
        _view(ctx, d)
        for d in reversed(ctx.repo["deployments"])
        if all(value is None or str(d[name]) == value for name, value in filters.items())
    ]
    return paginate(ctx.request, found)


def get(ctx: Context) -> app.Response:
    return app.Response.json(_view(ctx, _find(ctx)))


def delete(ctx: Context) -> app.Response:
    deployment = _find(ctx)
    same_environment = [d for d in ctx.repo["deployments"] if d["environment"] == deployment["environment"]]
    if _latest_state(ctx.repo, deployment["id"]) != "inactive" and len(same_environment) > 1:
        raise GitHubErrorReply(
            422,
            "We cannot delete an active deployment unless it is the only deployment in a given environment.",
        )
    ctx.repo["deployments"] = [d for d in ctx.repo["deployments"] if d["id"] != deployment["id"]]
    ctx.repo["statuses"].pop(str(deployment["id"]), None)
    return app.Response(204)


def _add_status(ctx: Context, deployment: JsonDict, state: str, fields: JsonDict) -> JsonDict:
    status_id = ctx.store.new_id()
    status = {
        "id": status_id,
        "node_id": f"DES_{status_id}",
        "state": state,
        "description": str(fields.get("description") or ""),
        "environment": deployment["environment"],
        "environment_url": str(fields.get("environment_url") or ""),
        "log_url": str(fields.get("log_url") or fields.get("target_url") or ""),
        "target_url": str(fields.get("log_url") or fields.get("target_url") or ""),
        "creator": ctx.principal.user(),
        "created_at": now(),
        "updated_at": now(),
        "deployment_url": f"{ctx.api_base}/deployments/{deployment['id']}",
        "repository_url": ctx.api_base,
    }
    ctx.repo["statuses"].setdefault(str(deployment["id"]), []).append(status)
    return status


def _auto_inactivate(ctx: Context, deployment: JsonDict) -> None:
    """GitHub's ``auto_inactive``: earlier non-transient, non-production deployments of the same
    environment become inactive. Transient (preview) ones are not touched."""
    for earlier in ctx.repo["deployments"]:
        if (
            earlier["id"] < deployment["id"]
            and earlier["environment"] == deployment["environment"]
            and not earlier["transient_environment"]
            and not earlier["production_environment"]
            and _latest_state(ctx.repo, earlier["id"]) not in (None, "inactive")
        ):
            _add_status(ctx, earlier, "inactive", {})


def create_status(ctx: Context) -> app.Response:
    deployment = _find(ctx)
    body = _payload(ctx)
    state = body.get("state")
    if state not in STATES:
        raise invalid("DeploymentStatus", "state", "invalid", f"state must be one of {', '.join(STATES)}")
    if len(str(body.get("description") or "")) > 140:
        raise invalid("DeploymentStatus", "description", "custom", "description is too long (maximum is 140)")
    status = _add_status(ctx, deployment, str(state), body)
    if state == "success" and body.get("auto_inactive", True) is not False:
        _auto_inactivate(ctx, deployment)
    return app.Response.json(_status_view(ctx, status), 201)


def list_statuses(ctx: Context) -> app.Response:
    deployment = _find(ctx)
    statuses = ctx.repo["statuses"].get(str(deployment["id"]), [])
    return paginate(ctx.request, [_status_view(ctx, s) for s in reversed(statuses)])


def describe(repo: JsonDict) -> list[JsonDict]:
    """Deployments newest first, each with ``statuses`` (newest first) and ``state``."""
    described = []
    for deployment in reversed(repo["deployments"]):
        statuses = list(reversed(repo["statuses"].get(str(deployment["id"]), [])))
        state = statuses[0]["state"] if statuses else None
        described.append({**deployment, "statuses": statuses, "state": state})
    return described


Handler = Callable[[Context], app.Response]
#: (method, pattern under /repos/{owner}/{repo}, endpoint, handler, permission level)
ROUTES: list[tuple[str, str, str, Handler, str]] = [
    ("POST", "/deployments", "github.deployments.create", create, "write"),
    ("GET", "/deployments", "github.deployments.list", list_deployments, "read"),
    ("GET", "/deployments/{id}", "github.deployments.get", get, "read"),
    ("DELETE", "/deployments/{id}", "github.deployments.delete", delete, "write"),
    ("POST", "/deployments/{id}/statuses", "github.statuses.create", create_status, "write"),
    ("GET", "/deployments/{id}/statuses", "github.statuses.list", list_statuses, "read"),
]
