"""Deployments of one Pages project: create exactly one, wait for it, list, delete, roll back.

Creating a deployment is not idempotent, and that is where wrangler's retry rule (retry on code
8000000) can make two. Here a create is sent again only when it provably did not happen: a 429
or a refused connection is retried by the transport; after a dropped connection, a timeout, a
5xx or an 8000000 we first look for our own deployment (branch + commit + created after the
request began, by the server's clock) and create again, within the retry budget, only when it is
not there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from ci_deploy import http
from ci_deploy.errors import DeployFailed, DeployTimeout, PlatformError
from ci_deploy.platforms.cloudflare_pages import model
from ci_deploy.platforms.cloudflare_pages.api import (
    UNKNOWN_ERROR,
    CloudflareApi,
    CloudflareApiError,
)
from ci_deploy.platforms.cloudflare_pages.endpoints import projects_path
from ci_deploy.urls import path_segment

log = logging.getLogger("ci_deploy.platforms.cloudflare_pages.deployments")

#: how long after an unknown outcome we look again before creating anew (server may lag)
LOOKUP_SETTLE = 2.0
#: slack for the 1-second resolution of ``Date`` when comparing server timestamps
CLOCK_SLACK = 2.0
POLL_FIRST_DELAY = 0.1
POLL_MAX_DELAY = 5.0
LOG_TAIL_LINES = 30


class DeploymentsApi:
    """The deployment endpoints of one project, with injectable sleep and clock for tests."""

    def __init__(
        self,
        api: CloudflareApi,
        account: str,
        project: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = api
        self._path = f"{projects_path(account, project)}/deployments"
        self._clock = clock

    def get(self, deployment_id: str, *, deadline: float | None = None) -> dict[str, Any]:
        """One deployment; ``deadline`` (``time.monotonic()``) bounds the transport's retries."""
        return dict(self._api.call("GET", f"{self._path}/{path_segment(deployment_id)}", deadline=deadline))

    def listing(self, environment: str | None = None) -> Iterator[dict[str, Any]]:
        """Deployments newest first, page by page as the caller iterates."""
        params = {"env": environment} if environment else {}
        try:
            for item in self._api.pages(self._path, params):
                if isinstance(item, dict):
                    yield item
        except CloudflareApiError as exc:
            raise exc.during("list the project's deployments") from exc

    def create(
        self, fields: Mapping[str, str], files: list[tuple[str, tuple[str, bytes, str]]]
    ) -> dict[str, Any]:
        """Create one deployment and return the API's answer for it — never a second one."""
        branch, commit = fields["branch"], fields.get("commit_hash", "")
        budget = self._api.budget()
        while True:
            began = self._api.server_now() - CLOCK_SLACK
            try:
                # Text fields go in as file-less parts: with no file at all httpx would otherwise
                # send a urlencoded form, which the API refuses.
                parts = [*((name, (None, value)) for name, value in fields.items()), *files]
                answer = self._api.call(
                    "POST", self._path, files=parts, idempotent=False, retry=http.CREATE_RETRY
                )
                return dict(answer)
            except http.AmbiguousOutcome as exc:
                reason = f"the connection failed ({type(exc.cause).__name__})"
            except CloudflareApiError as exc:
                if not (exc.status is not None and exc.status >= 500) and not exc.has_code(UNKNOWN_ERROR):
                    raise exc.during("create the deployment") from exc
                reason = f"the API answered {exc.message}"
            log.info("Creating the deployment may or may not have worked (%s); looking for it", reason)
            found = self.find_own(branch, commit, began, pause=budget.pause)
            if found is None:
                if not budget.wait(f"It was not created ({reason})"):
                    raise PlatformError(
                        f"creating the Cloudflare Pages deployment failed {budget.retries} times: {reason}"
                    )
                # A slow server may have finished it during the wait: look once more before resending.
                found = self._own_among_newest(branch, commit, began)
            if found is not None:
                log.info("Found the deployment %s created by the interrupted request", found.get("id"))
                return found

    def find_own(
        self, branch: str, commit: str, not_before: float, *, pause: http.Sleep | None = None
    ) -> dict[str, Any] | None:
        """Our deployment among the newest ones, looking twice: the server may still be at it.
        ``pause`` waits between the looks (a create's retry budget, which the wait spends)."""
        for look in range(2):
            if look:
                (pause or self._api.sleep)(LOOKUP_SETTLE)
            found = self._own_among_newest(branch, commit, not_before)
            if found is not None:
                return found
        return None

    def _own_among_newest(self, branch: str, commit: str, not_before: float) -> dict[str, Any] | None:
        """One look: the earliest deployment for ``branch`` and ``commit`` since ``not_before``."""
        mine = [d for d in self._newest(50) if model.is_own_deployment(d, branch, commit, not_before)]
        return min(mine, key=_created) if mine else None

    def _newest(self, limit: int) -> list[dict[str, Any]]:
        """The first ``limit`` deployments of the list (newest first)."""
        newest: list[dict[str, Any]] = []
        for item in self.listing():
            newest.append(item)
            if len(newest) >= limit:
                break
        return newest

    def wait(self, result: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Poll (at once, then backing off 0.1 s -> 5 s) until the deploy stage succeeded;
        raise DeployFailed with the build log's tail, or DeployTimeout with the last stage and,
        when status checks kept failing, why the last one did."""
        deadline = self._clock() + timeout
        # The transport's own retries (and any Retry-After) stop at the same bound, in its clock.
        transport_deadline = time.monotonic() + timeout
        deployment_id = str(result["id"])
        delay, polls, failed = POLL_FIRST_DELAY, 0, ""
        while True:
            if model.has_failed(result):
                raise self._failure(deployment_id, result)
            if model.is_ready(result):
                return result
            remaining = deadline - self._clock()
            if remaining <= 0:
                name, status = model.stage(result)
                why = f"; the last status check failed: {failed}" if failed else ""
                raise DeployTimeout(
                    f"deployment {deployment_id} was not ready within {timeout:g}s "
                    f"(last seen stage: {name} {status}{why}); raise 'timeout' or check the Cloudflare "
                    "dashboard",
                    input_name="timeout",
                )
            if polls:
                self._api.sleep(min(delay, remaining))
                delay = min(delay * 2, POLL_MAX_DELAY)
            polls += 1
            try:
                result, failed = self.get(deployment_id, deadline=transport_deadline), ""
            except CloudflareApiError as exc:
                if exc.status is not None and exc.status < 500 and exc.status != 429:
                    raise exc.during(f"check the status of deployment {deployment_id}") from exc
                failed = exc.message
                log.info("Status check failed (%s); trying again", failed)
            except httpx.TransportError as exc:
                failed = f"{type(exc).__name__}: {exc}"
                log.info("Status check failed (%s); trying again", failed)

    def _failure(self, deployment_id: str, result: Mapping[str, Any]) -> DeployFailed:
        name, status = model.stage(result)
        tail = self.log_tail(deployment_id)
        return DeployFailed(
            f"Cloudflare Pages reports deployment {deployment_id} {status} at stage '{name}': "
            f"{build_error(tail)}",
            details=tail,
        )

    def log_tail(self, deployment_id: str) -> str:
        """The last lines of the deployment's log, or why they could not be read."""
        try:
            result = self._api.call(
                "GET", f"{self._path}/{path_segment(deployment_id)}/history/logs", params={"size": 10000000}
            )
        except (CloudflareApiError, httpx.HTTPError) as exc:
            return f"(the deployment log could not be read: {exc})"
        data = result.get("data") if isinstance(result, dict) else None
        lines = [str(e.get("line", "")) for e in data or [] if isinstance(e, dict)]
        return "\n".join(lines[-LOG_TAIL_LINES:]) or "(the deployment log is empty)"

    def delete(self, deployment_id: str) -> None:
        """Delete a deployment, forcing aliased ones (8000035 otherwise); gone already is fine."""
        try:
            self._api.call("DELETE", f"{self._path}/{path_segment(deployment_id)}", params={"force": "true"})
        except CloudflareApiError as exc:
            if exc.status != 404:
                raise exc.during(f"delete deployment {deployment_id}") from exc
            log.info("Deployment %s was already deleted", deployment_id)

    def rollback(self, deployment_id: str) -> Any:
        """Make an earlier production deployment live (what it returns is unverified)."""
        try:
            return self._api.call("POST", f"{self._path}/{path_segment(deployment_id)}/rollback")
        except CloudflareApiError as exc:
            raise exc.during(f"roll production back to deployment {deployment_id}") from exc


def build_error(log_tail: str) -> str:
    """The line of a build log that says why it failed: the last one naming an error, else the
    last line — so the one-line message carries the reason, not only the details."""
    lines = [line.strip() for line in log_tail.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "fail" in line.lower()]
    return (errors or lines or ["(no build log)"])[-1]


def _created(deployment: Mapping[str, Any]) -> float:
    return model.parse_time(deployment.get("created_on")) or 0.0
