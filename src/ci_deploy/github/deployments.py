"""GitHub Deployments: the "View deployment" button on a PR, and our record of what we deployed.

A deployment is created on the commit sha (a fork's branch does not exist in the base repo),
never auto-merged, with no required contexts. Its ``payload`` records the platform, project,
platform deployment ids and the PR, so cleanup finds a PR's previews by what we wrote down rather
than by guessing. Each PR's previews share a ``task`` (``deploy:pr-<n>``), which GitHub filters
on server-side: a new preview makes only its own PR's earlier previews inactive. GitHub's own
``auto_inactive`` leaves transient deployments alone, so we do that part ourselves.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

from ci_deploy.github.client import GitHubClient
from ci_deploy.github.errors import DEPLOYMENTS_WRITE, GitHubError

log = logging.getLogger("ci_deploy.github.deployments")

State = Literal["queued", "in_progress", "success", "failure", "error", "inactive"]
_DESCRIPTION_LIMIT = 140


@dataclass(frozen=True)
class DeploymentSpec:
    """What to record on GitHub for one platform deployment."""

    sha: str
    environment: str
    production: bool
    platform: str
    project: str
    branch: str = ""
    pr_number: int | None = None
    platform_ids: tuple[str, ...] = ()
    #: unique per run: finds our own deployment after a create whose outcome is unknown
    run_key: str = ""
    description: str = ""


@dataclass(frozen=True)
class GitHubDeployment:
    """A deployment as GitHub lists it, with the payload we stored read back."""

    id: int
    sha: str
    environment: str
    task: str
    payload: dict[str, Any]
    production: bool
    created_at: str = ""

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> GitHubDeployment:
        return cls(
            id=int(data["id"]),
            sha=str(data.get("sha", "")),
            environment=str(data.get("environment", "")),
            task=str(data.get("task", "")),
            payload=_payload(data.get("payload")),
            production=bool(data.get("production_environment")),
            created_at=str(data.get("created_at", "")),
        )

    @property
    def platform_ids(self) -> tuple[str, ...]:
        ids = self.payload.get("deployment_ids")
        return tuple(str(item) for item in ids) if isinstance(ids, list) else ()

    @property
    def pr_number(self) -> int | None:
        number = self.payload.get("pr")
        return number if isinstance(number, int) else None


def _payload(value: Any) -> dict[str, Any]:
    """GitHub returns the payload as sent: an object, or a JSON string from other tools."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return dict(value) if isinstance(value, dict) else {}


def task_for(pr_number: int | None, branch: str, production: bool) -> str:
    """The task grouping one line of previews: a PR's (``deploy:pr-<n>``), a branch's, or
    plain ``deploy`` for production."""
    if production:
        return "deploy"
    if pr_number is not None:
        return f"deploy:pr-{pr_number}"
    return f"deploy:branch-{re.sub(r'[^A-Za-z0-9._/-]+', '-', branch)}"


def request_body(spec: DeploymentSpec) -> dict[str, Any]:
    """The body of ``POST /deployments`` for ``spec`` (pure)."""
    return {
        "ref": spec.sha,
        "task": task_for(spec.pr_number, spec.branch, spec.production),
        "auto_merge": False,
        "required_contexts": [],
        "environment": spec.environment,
        "description": (spec.description or f"{spec.platform} {spec.project}")[:_DESCRIPTION_LIMIT],
        "transient_environment": not spec.production,
        "production_environment": spec.production,
        "payload": {
            "ci_deploy": 1,
            "platform": spec.platform,
            "project": spec.project,
            "deployment_ids": list(spec.platform_ids),
            "pr": spec.pr_number,
            "branch": spec.branch,
            "run_key": spec.run_key,
        },
    }


def create_deployment(client: GitHubClient, spec: DeploymentSpec) -> GitHubDeployment:
    """Create the GitHub deployment for ``spec``, exactly once even when the first answer is
    lost: after an ambiguous create (dropped connection, timeout, 5xx), our own (same sha,
    environment and ``run_key``) is looked up before anything is sent again."""
    body = request_body(spec)
    what = f"create a GitHub deployment in environment {spec.environment!r}"

    def find() -> dict[str, Any] | None:
        if not spec.run_key:
            raise GitHubError(f"{what}: the outcome is unknown and there is no run key to look it up by")
        listed = client.paginate(
            f"{client.repo_path}/deployments",
            params={"sha": spec.sha, "environment": spec.environment},
            what="list GitHub deployments",
            permission=DEPLOYMENTS_WRITE,
        )
        mine = [d for d in listed if _payload(d.get("payload")).get("run_key") == spec.run_key]
        return dict(mine[-1]) if mine else None  # newest first: the oldest is the first we made

    created = client.create(
        f"{client.repo_path}/deployments", json=body, what=what, permission=DEPLOYMENTS_WRITE, find=find
    )
    if not isinstance(created, dict) or "id" not in created:
        # 202: GitHub merged or is merging the base branch instead (only without auto_merge: false)
        raise GitHubError(f"{what}: GitHub did not create it ({created!r})")
    return GitHubDeployment.from_api(created)


def set_status(
    client: GitHubClient,
    deployment_id: int,
    state: State,
    *,
    environment_url: str = "",
    log_url: str = "",
    description: str = "",
    auto_inactive: bool | None = None,
) -> None:
    """Add a status: ``environment_url`` becomes the PR's "View deployment" link. After a lost
    answer the newest status is read first, and the status is not added twice."""
    body: dict[str, Any] = {"state": state}
    if environment_url:
        body["environment_url"] = environment_url
    if log_url:
        body["log_url"] = log_url
    if description:
        body["description"] = description[:_DESCRIPTION_LIMIT]
    if auto_inactive is not None:
        body["auto_inactive"] = auto_inactive
    path = f"{client.repo_path}/deployments/{deployment_id}/statuses"

    def find() -> dict[str, Any] | None:
        newest = _newest_status(client, deployment_id)
        return newest if newest is not None and is_same_status(newest, body) else None

    client.create(
        path,
        json=body,
        what=f"set GitHub deployment {deployment_id} to {state}",
        permission=DEPLOYMENTS_WRITE,
        find=find,
    )


def is_same_status(status: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether a listed ``status`` is the one ``body`` asked for (what we sent, read back)."""
    return all(
        str(status.get(key) or "") == str(body.get(key) or "")
        for key in ("state", "environment_url", "log_url", "description")
    )


def _newest_status(client: GitHubClient, deployment_id: int) -> dict[str, Any] | None:
    statuses = client.call(
        "GET",
        f"{client.repo_path}/deployments/{deployment_id}/statuses",
        params={"per_page": 1},
        what=f"read the statuses of GitHub deployment {deployment_id}",
        permission=DEPLOYMENTS_WRITE,
    )
    return dict(statuses[0]) if statuses else None


def list_deployments(
    client: GitHubClient, *, sha: str | None = None, task: str | None = None, environment: str | None = None
) -> list[GitHubDeployment]:
    """Deployments matching the server-side filters, newest first, across every page."""
    params = {k: v for k, v in {"sha": sha, "task": task, "environment": environment}.items() if v}
    return [
        GitHubDeployment.from_api(item)
        for item in client.paginate(
            f"{client.repo_path}/deployments",
            params=params,
            what="list GitHub deployments",
            permission=DEPLOYMENTS_WRITE,
        )
    ]


def pr_deployments(client: GitHubClient, pr_number: int) -> list[GitHubDeployment]:
    """A PR's preview deployments that we recorded (task and payload agree; never production)."""
    return [
        d
        for d in list_deployments(client, task=task_for(pr_number, "", production=False))
        if d.pr_number == pr_number and not d.production
    ]


def latest_state(client: GitHubClient, deployment_id: int) -> str | None:
    """The state of a deployment's newest status, or None when it has none."""
    newest = _newest_status(client, deployment_id)
    return str(newest["state"]) if newest is not None else None


def deactivate(
    client: GitHubClient, deployments: list[GitHubDeployment], *, log_url: str = "", description: str = ""
) -> list[int]:
    """Mark each of ``deployments`` inactive unless it already is (one read is cheaper than a
    write against GitHub's content-creation limits). Production ones are never touched."""
    changed: list[int] = []
    for deployment in deployments:
        if deployment.production or latest_state(client, deployment.id) == "inactive":
            continue
        set_status(client, deployment.id, "inactive", log_url=log_url, description=description)
        changed.append(deployment.id)
    return changed


def deactivate_earlier_previews(
    client: GitHubClient, current: GitHubDeployment, *, log_url: str = ""
) -> list[int]:
    """After ``current`` (a preview) succeeded: its own line's earlier previews (same task and
    environment) become inactive. Other PRs' previews have another task and are left alone."""
    if current.production:
        return []
    earlier = [
        d
        for d in list_deployments(client, task=current.task, environment=current.environment)
        if d.id != current.id and d.pr_number == current.pr_number
    ]
    changed = deactivate(client, earlier, log_url=log_url, description="superseded by a newer preview")
    if changed:
        log.info("Marked %d earlier preview deployment(s) inactive", len(changed))
    return changed


def deactivate_pr(client: GitHubClient, pr_number: int, *, log_url: str = "") -> list[int]:
    """Cleanup: every recorded preview of the PR becomes inactive."""
    return deactivate(
        client, pr_deployments(client, pr_number), log_url=log_url, description="preview removed"
    )
