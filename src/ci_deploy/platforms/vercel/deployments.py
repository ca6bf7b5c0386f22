"""Creating exactly one Vercel deployment: the create body, the missing-files round, and how an
unknown outcome is resolved without a duplicate.

Flow (as ``@vercel/client`` does it, vercel.md 1.1): ``POST /v13/deployments`` with every file's
sha; if Vercel lacks some contents it answers 400 ``missing_files`` listing their shas, which are
uploaded before the identical create is sent again. An unchanged redeploy therefore makes one
create and no upload request at all.

Creating is not idempotent. When a create's outcome is unknown (connection dropped after
sending, a 5xx that may have come after the work was done), the project's deployments are listed
and the one carrying this run's ``meta.ciDeployRunKey`` is taken before anything is sent again.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from ci_deploy.errors import PlatformError
from ci_deploy.http import CREATE_RETRY, AmbiguousOutcome
from ci_deploy.platforms.base import Deployment, DeployRequest
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError, interpret
from ci_deploy.platforms.vercel.files import FileEntry, distinct, file_list
from ci_deploy.platforms.vercel.project import get_deployment, list_deployments
from ci_deploy.platforms.vercel.upload import UploadResult, in_flight_for, upload_missing
from ci_deploy.platforms.vercel.urls import to_deployment

log = logging.getLogger("ci_deploy.platforms.vercel.adapter")

MISSING_ROUNDS = 3
#: how far before our request a listed deployment may be stamped (clock skew) and still be ours
LOOKUP_SKEW_MS = 10 * 60 * 1000

STATIC_SETTINGS: dict[str, Any] = {
    "framework": None,
    "buildCommand": None,
    "installCommand": None,
    "devCommand": None,
    "outputDirectory": None,
    "rootDirectory": None,
    "sourceFilesOutsideRootDirectory": True,
}
PREBUILT_SETTINGS: dict[str, Any] = {"rootDirectory": None, "sourceFilesOutsideRootDirectory": True}


def git_metadata(request: DeployRequest) -> dict[str, Any]:
    """``gitMetadata`` for the dashboard; only the fields that are known."""
    data: dict[str, Any] = {
        "commitSha": request.commit_sha,
        "commitRef": request.branch,
        "commitMessage": request.commit_message,
        "remoteUrl": request.remote_url,
    }
    known = {key: value for key, value in data.items() if value}
    return {**known, "dirty": request.commit_dirty}


def deployment_meta(request: DeployRequest, run_key: str) -> dict[str, str]:
    """``meta`` (string values only) by which cleanup and the ambiguous-create lookup find it."""
    meta = {
        "githubCommitSha": request.commit_sha,
        "githubCommitRef": request.branch,
        "githubPrId": str(request.pr_number) if request.pr_number is not None else "",
        "ciDeployRunKey": run_key,
        "ciDeployRunUrl": request.run_url or "",
    }
    return {key: value for key, value in meta.items() if value}


def create_body(
    project: dict[str, Any], entries: list[FileEntry], request: DeployRequest, run_key: str, *, prebuilt: bool
) -> dict[str, Any]:
    """The ``POST /v13/deployments`` body; ``target`` only for production (preview = none)."""
    body: dict[str, Any] = {
        "name": project["name"],
        "project": project["id"],
        "files": file_list(entries),
        "projectSettings": PREBUILT_SETTINGS if prebuilt else STATIC_SETTINGS,
        "gitMetadata": git_metadata(request),
        "meta": deployment_meta(request, run_key),
    }
    if request.environment == "production":
        body["target"] = "production"
    return body


def create_query(*, prebuilt: bool) -> dict[str, str]:
    query = {"skipAutoDetectionConfirmation": "1"}
    return {**query, "prebuilt": "1"} if prebuilt else query


def find_by_run_key(api: VercelApi, project_id: str, run_key: str, since_ms: float) -> dict[str, Any] | None:
    """Our own deployment among the project's newest (never merely "the newest")."""
    for item in list_deployments(api, project_id):
        meta = item.get("meta")
        if isinstance(meta, dict) and meta.get("ciDeployRunKey") == run_key:
            found = get_deployment(api, str(item.get("uid") or item.get("id")))
            return found if found is not None else item
        created = item.get("created") or item.get("createdAt")
        if isinstance(created, int | float) and created < since_ms - LOOKUP_SKEW_MS:
            return None
    return None


def create_once(
    api: VercelApi, body: dict[str, Any], query: dict[str, str], since_ms: float
) -> dict[str, Any]:
    """One logical create: 429s are retried by ``http.send``; after a lost answer or a 5xx it is
    sent again, within the retry budget, only when a lookup by ``meta.ciDeployRunKey`` shows
    nothing was created, at once and again after the backoff. Raises :class:`VercelApiError` (4xx)."""
    run_key = str(body["meta"]["ciDeployRunKey"])
    budget = api.budget()
    while True:
        try:
            response = api.send(
                "POST", "/v13/deployments", params=query, json=body, idempotent=False, retry=CREATE_RETRY
            )
        except AmbiguousOutcome as exc:
            reason, last = f"the connection failed ({type(exc.cause).__name__})", None
        else:
            if response.status_code < 500:
                data = interpret(response.status_code, response.content)
                if not isinstance(data, dict) or not data.get("id"):
                    raise PlatformError("Vercel's create-deployment answer has no deployment id")
                return data
            reason, last = f"HTTP {response.status_code}", response
        found = find_by_run_key(api, body["project"], run_key, since_ms)
        if found is None:
            if not budget.wait(f"create deployment: {reason} and nothing was created"):
                if last is not None:
                    interpret(last.status_code, last.content)
                raise PlatformError(f"creating the Vercel deployment failed: {reason}")
            # A slow server may have finished the lost create during the wait: look before resending.
            found = find_by_run_key(api, body["project"], run_key, since_ms)
        if found is not None:
            log.info(
                "create answer was lost (%s); found our deployment %s by its run key", reason, found["id"]
            )
            return found


def create_with_uploads(
    api: VercelApi, body: dict[str, Any], query: dict[str, str], entries: list[FileEntry], since_ms: float
) -> tuple[dict[str, Any], UploadResult]:
    """Create; upload whatever Vercel reports missing; create again with the identical body."""
    by_sha = distinct(entries)
    files = size = 0
    for _ in range(MISSING_ROUNDS):
        started = api.clock()
        try:
            return create_once(api, body, query, since_ms), UploadResult(files, size)
        except VercelApiError as exc:
            if exc.code != "missing_files" or not exc.missing:
                raise VercelApiError(
                    f"creating the Vercel deployment failed: {exc.described}",
                    status=exc.status or 0,
                    code=str(exc.code),
                    extra=exc.extra,
                ) from exc
            result = upload_missing(api, by_sha, exc.missing, in_flight_for(api.clock() - started))
            files, size = files + result.files, size + result.bytes
    raise PlatformError(f"Vercel still reports missing files after {MISSING_ROUNDS} upload rounds")


def as_deployment(
    data: dict[str, Any],
    project: dict[str, Any],
    request: DeployRequest,
    uploaded: UploadResult,
    *,
    building: bool,
) -> Deployment:
    """The run's deployment from Vercel's answer, what the answer leaves out taken from the request."""
    deployment = to_deployment(
        data, str(project["name"]), files_uploaded=uploaded.files, bytes_uploaded=uploaded.bytes
    )
    return dataclasses.replace(
        deployment,
        state="building" if building else deployment.state,
        branch=deployment.branch or request.branch,
        commit_sha=deployment.commit_sha or request.commit_sha,
        pr_number=deployment.pr_number if deployment.pr_number is not None else request.pr_number,
    )
