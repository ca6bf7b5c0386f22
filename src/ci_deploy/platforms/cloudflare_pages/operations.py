"""Cleanup, rollback and promote: which deployments they touch, and doing it safely.

The live production deployment is the project's ``canonical_deployment`` (falling back to the
newest successful production one); "the previous one" is the newest successful production
deployment created before it. A PR's previews are those whose recorded branch is the PR's,
plus the ids GitHub remembers; production is never among them and the live production
deployment is never deleted. The choices are pure functions; :class:`DeploymentOperations`
does the calls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ci_deploy.errors import InputError, NotFoundError, PlatformError
from ci_deploy.platforms.cloudflare_pages import model
from ci_deploy.platforms.cloudflare_pages.api import CloudflareApiError
from ci_deploy.platforms.cloudflare_pages.deployments import DeploymentsApi

log = logging.getLogger("ci_deploy.platforms.cloudflare_pages.operations")

#: how long a rollback may take to show as the project's canonical deployment
CONFIRM_SECONDS = 60.0


def canonical_id(project: Mapping[str, Any] | None) -> str | None:
    canonical = (project or {}).get("canonical_deployment")
    if isinstance(canonical, Mapping) and canonical.get("id"):
        return str(canonical["id"])
    return None


def is_live_candidate(deployment: Mapping[str, Any]) -> bool:
    """A production deployment that finished successfully (it can serve production)."""
    return model.environment_of(deployment) == "production" and model.is_ready(deployment)


def live_production(
    project: Mapping[str, Any] | None, production: Iterable[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The production deployment live now: the canonical one, else the newest successful."""
    canonical = (project or {}).get("canonical_deployment")
    if isinstance(canonical, Mapping) and canonical.get("id"):
        return canonical
    candidates = [d for d in production if is_live_candidate(d)]
    return max(candidates, key=_created, default=None)


def previous_production(
    live: Mapping[str, Any] | None, production: Iterable[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The newest successful production deployment created before ``live`` (not ``live``)."""
    live_id = (live or {}).get("id")
    live_created = _created(live) if live else float("inf")
    earlier = [
        d
        for d in production
        if is_live_candidate(d) and d.get("id") != live_id and _created(d) < live_created
    ]
    return max(earlier, key=_created, default=None)


def branch_previews(deployments: Iterable[Mapping[str, Any]], branch: str) -> list[Mapping[str, Any]]:
    """Preview deployments recorded for ``branch``."""
    return [
        d
        for d in deployments
        if model.environment_of(d) == "preview" and model.trigger_metadata(d).get("branch") == branch
    ]


def _created(deployment: Mapping[str, Any] | None) -> float:
    return model.parse_time((deployment or {}).get("created_on")) or 0.0


class DeploymentOperations:
    """Deployment-level operations; ``fetch_project`` returns the project as it is now."""

    def __init__(
        self,
        deployments: DeploymentsApi,
        fetch_project: Callable[[], Mapping[str, Any]],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._deployments = deployments
        self._fetch_project = fetch_project
        self._sleep = sleep
        self._clock = clock

    def live(self) -> Mapping[str, Any] | None:
        project = self._fetch_project()
        if canonical_id(project):
            return live_production(project, [])
        return live_production(project, self._deployments.listing("production"))

    def previews(self, branch: str | None, known_ids: set[str]) -> list[Mapping[str, Any]]:
        found: dict[str, Mapping[str, Any]] = {}
        if branch:
            found = {str(d["id"]): d for d in branch_previews(self._deployments.listing("preview"), branch)}
        for deployment_id in sorted(known_ids - found.keys()):
            result = self._get(deployment_id)
            if result is not None and model.environment_of(result) == "preview":
                found[deployment_id] = result
        return list(found.values())

    def delete(self, deployment_id: str) -> None:
        if deployment_id == canonical_id(self._fetch_project()):
            raise InputError(
                f"deployment {deployment_id} is the live production deployment and is never deleted",
                input_name="deployment-id",
            )
        self._deployments.delete(deployment_id)

    def rollback(self, to_id: str | None) -> Mapping[str, Any]:
        """Make ``to_id`` (default: the one before the live one) live, and confirm it is."""
        project = self._fetch_project()
        target = self._production_target(to_id) if to_id else self._previous(project)
        target_id = str(target["id"])
        if target_id != canonical_id(project):
            self._deployments.rollback(target_id)
            self._confirm_live(target_id)
        log.info("Production now serves deployment %s", target_id)
        return target

    def _previous(self, project: Mapping[str, Any]) -> Mapping[str, Any]:
        production = list(self._deployments.listing("production"))
        target = previous_production(live_production(project, production), production)
        if target is None:
            raise NotFoundError(
                "there is no earlier successful production deployment to roll back to",
                input_name="deployment-id",
            )
        return target

    def _get(self, deployment_id: str) -> dict[str, Any] | None:
        try:
            return self._deployments.get(deployment_id)
        except CloudflareApiError as exc:
            if exc.status == 404:
                return None
            raise

    def _production_target(self, deployment_id: str) -> Mapping[str, Any]:
        target = self._get(deployment_id)
        if target is None:
            raise NotFoundError(f"deployment {deployment_id} does not exist", input_name="deployment-id")
        if not is_live_candidate(target):
            raise InputError(
                f"deployment {deployment_id} is not a successful production deployment; Pages can only make "
                "a production deployment live again (a preview cannot be promoted on Cloudflare Pages)",
                input_name="deployment-id",
            )
        return target

    def _confirm_live(self, deployment_id: str) -> None:
        """Poll the project until the rollback shows as its canonical deployment."""
        deadline = self._clock() + CONFIRM_SECONDS
        delay = 0.25
        while canonical_id(self._fetch_project()) != deployment_id:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise PlatformError(f"the rollback to deployment {deployment_id} did not take effect")
            self._sleep(min(delay, remaining))
            delay = min(delay * 2, 5.0)
