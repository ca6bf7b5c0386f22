"""Waiting, with a bound, until a Vercel deployment is ready - or saying why it is not.

Polls ``GET /v13/deployments/{id}`` at once, then backs off (1 s growing to 5 s, never past the
deadline). Done when ``readyState`` is READY and ``aliasAssigned`` is set (as the CLI decides),
or READY and STAGED / not expected to be aliased (auto-promotion paused by a rollback). ERROR,
CANCELED, BLOCKED, an ``aliasError`` or a failed ``deployment-alias`` check end the wait with
:class:`DeployFailed` carrying Vercel's ``errorMessage`` and the tail of the build log. A poll
that keeps failing (5xx, 429, a dropped connection) is retried until the deadline, and then
reported with its real reason; a 4xx that asking again cannot change ends the wait at once. A 404
is read again only while the deployment may not be readable yet (never read, and for at most
``NOT_FOUND_GRACE``): after that it was deleted, and waiting out ``timeout`` would not bring it
back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from ci_deploy import redaction
from ci_deploy.errors import AuthError, DeployFailed, DeployTimeout, PlatformError
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError, interpret
from ci_deploy.urls import path_segment

log = logging.getLogger("ci_deploy.platforms.vercel.adapter")

FIRST_DELAY = 1.0
MAX_DELAY = 5.0
GROWTH = 1.6
LOG_TAIL_LINES = 20

Outcome = Literal["ready", "failed", "pending"]

#: a status read answered so is tried again until the deadline; any other 4xx ends the wait at
#: once, since asking again cannot change it (404: a deployment just made may not be readable yet)
RETRIED_STATUSES = frozenset({404, 408, 409, 425, 429})
#: seconds a deployment that has never been read may answer 404 before it counts as deleted
NOT_FOUND_GRACE = 30.0


@dataclass(frozen=True)
class Assessment:
    outcome: Outcome
    state: str
    reason: str = ""


def assess(data: dict[str, Any], *, alias_expected: bool = True) -> Assessment:
    """Pure: what a deployment body says about the wait."""
    state = str(data.get("readyState") or data.get("status") or "UNKNOWN")
    error = str(data.get("errorMessage") or data.get("errorCode") or "")
    if state in ("ERROR", "CANCELED", "BLOCKED") or state.endswith("_ERROR"):
        return Assessment("failed", state, error or f"the deployment ended in state {state}")
    alias_error = data.get("aliasError")
    if alias_error:
        text = alias_error.get("message", alias_error) if isinstance(alias_error, dict) else alias_error
        return Assessment("failed", state, f"assigning its aliases failed: {text}")
    checks = data.get("checks")
    alias_check = checks.get("deployment-alias") if isinstance(checks, dict) else None
    if isinstance(alias_check, dict) and alias_check.get("state") == "failed":
        return Assessment("failed", state, "the deployment-alias check failed")
    if state == "READY" and (
        data.get("aliasAssigned") or data.get("readySubstate") == "STAGED" or not alias_expected
    ):
        return Assessment("ready", state)
    return Assessment("pending", state)


def event_lines(body: Any) -> list[str]:
    """Text lines of a ``/v3/deployments/{id}/events`` answer (a JSON array or NDJSON)."""
    if isinstance(body, str):
        items: list[Any] = []
        for line in body.splitlines():
            try:
                items.append(json.loads(line))
            except ValueError:
                items.append({"text": line})
    else:
        items = body if isinstance(body, list) else []
    lines = []
    for item in items:
        if not isinstance(item, dict):
            continue
        payload = item.get("payload")
        text = item.get("text") or (payload.get("text") if isinstance(payload, dict) else None)
        if text:
            lines.extend(str(text).splitlines())
    return lines


def build_log_tail(api: VercelApi, deployment_id: str, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of the build log; empty when they cannot be read (never hides the error)."""
    try:
        body = api.call("GET", f"/v3/deployments/{path_segment(deployment_id)}/events")
    except (PlatformError, httpx.HTTPError) as exc:
        log.info("could not read the build log of %s: %s", deployment_id, exc)
        return ""
    return redaction.redact("\n".join(event_lines(body)[-lines:]))


def _poll(
    api: VercelApi, deployment_id: str, deadline: float, *, not_found_is_gone: bool
) -> tuple[dict[str, Any] | None, str]:
    """One status read: (body, "") or (None, why it failed)."""
    try:
        response = api.send("GET", f"/v13/deployments/{path_segment(deployment_id)}", deadline=deadline)
        data = interpret(response.status_code, response.content)
    except VercelApiError as exc:
        if exc.status in (401, 403):
            raise AuthError(f"Vercel refused to show deployment {deployment_id}: {exc.message}") from exc
        why = f"HTTP {exc.status} {exc.code}: {exc.message}"
        if exc.status == 404 and not_found_is_gone:
            raise PlatformError(
                f"Vercel deployment {deployment_id} no longer exists ({why}): it was deleted while "
                "ci-deploy waited for it to be ready",
                status=exc.status,
                code=exc.code,
            ) from exc
        if exc.status is not None and exc.status < 500 and exc.status not in RETRIED_STATUSES:
            what = f"could not check the status of Vercel deployment {deployment_id}"
            raise PlatformError(f"{what}: {why}") from exc
        return None, why
    except httpx.TransportError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return (data, "") if isinstance(data, dict) else (None, "an empty answer")


def wait_until_ready(
    api: VercelApi, deployment_id: str, deadline: float, timeout: float, *, alias_expected: bool = True
) -> dict[str, Any]:
    """The deployment's body once ready; :class:`DeployFailed` or :class:`DeployTimeout` else."""
    delay = FIRST_DELAY
    state, last_error = "unknown", ""
    read_once, started = False, api.clock()
    while True:
        gone_if_not_found = read_once or api.clock() - started >= NOT_FOUND_GRACE
        data, error = _poll(api, deployment_id, deadline, not_found_is_gone=gone_if_not_found)
        if data is not None:
            read_once = True
            verdict = assess(data, alias_expected=alias_expected)
            state, last_error = verdict.state, ""
            if verdict.outcome == "ready":
                return data
            if verdict.outcome == "failed":
                tail = build_log_tail(api, deployment_id)
                raise DeployFailed(
                    f"Vercel deployment {deployment_id} failed: {redaction.redact(verdict.reason)}",
                    details=f"Build log (last lines):\n{tail}" if tail else "",
                )
        else:
            last_error = error
            log.info("reading deployment %s failed (%s); will try again", deployment_id, error)
        remaining = deadline - api.clock()
        if remaining <= 0:
            why = f"; the last status read failed: {last_error}" if last_error else ""
            raise DeployTimeout(
                f"Vercel deployment {deployment_id} was not ready within {timeout:g}s "
                f"(last state {state}{why})",
                input_name="timeout",
            )
        api.sleep(min(delay, remaining))
        delay = min(MAX_DELAY, delay * GROWTH)
