"""Connecting to Vercel: the scope (team id, slug or personal), the project, deployment listing.

Scope (``account`` / ``VERCEL_ORG_ID``): a ``team_…`` id becomes ``teamId=`` and anything else
a team ``slug=`` on every call - except the account's own user id or username (what
``vercel link`` records as ``orgId`` for a personal project), which means no scope at all. Telling
those apart needs ``GET /v2/user``, a call that is not team-scoped, so it is made only then.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from ci_deploy.errors import AuthError, InputError, NotFoundError
from ci_deploy.http import AmbiguousOutcome
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError
from ci_deploy.platforms.vercel.endpoints import project_path, scope_params
from ci_deploy.platforms.vercel.urls import production_alias
from ci_deploy.urls import path_segment

log = logging.getLogger("ci_deploy.platforms.vercel.adapter")

PROJECT_NAME = re.compile(r"^[a-z0-9._-]{1,100}$")
PAGE_SIZE = 100


def auth_error(exc: VercelApiError, account: str | None) -> AuthError:
    """Say whether the token itself is bad or only lacks access to the team."""
    if exc.status == 401 or exc.invalid_token:
        return AuthError(
            f"Vercel rejected the token as invalid or expired ({exc.code})",
            input_name="token",
            details="Create a new token at https://vercel.com/account/tokens and store it as a secret.",
        )
    if account:
        return AuthError(
            f"the token has no access to the Vercel team '{account}' ({exc.code}: {exc.message})",
            input_name="account",
            details="Use a token created by a member of that team, or fix the team id/slug.",
        )
    return AuthError(f"Vercel refused the token ({exc.code}: {exc.message})", input_name="token")


def resolve_scope(api: VercelApi, account: str | None) -> dict[str, str]:
    """The query parameters that scope every call to ``account``."""
    if not account:
        return {}
    if account.startswith("team_"):
        return scope_params(account, None)
    try:
        user = api.call("GET", "/v2/user", scoped=False)
    except VercelApiError as exc:
        if exc.status in (401, 403):
            raise auth_error(exc, None) from exc
        raise exc.during("read the token's user") from exc
    record = user.get("user", user) if isinstance(user, dict) else {}
    own = {str(record.get(key)) for key in ("id", "uid", "username") if record.get(key)}
    if account in own:
        log.info("account '%s' is the token's personal account: no team scope", account)
        return {}
    return scope_params(None, account)


def get_project(api: VercelApi, id_or_name: str, account: str | None) -> dict[str, Any] | None:
    """The project, or None when it does not exist (403 becomes an :class:`AuthError`)."""
    try:
        project = api.call("GET", project_path(id_or_name))
    except VercelApiError as exc:
        if exc.status == 404:
            return None
        if exc.status in (401, 403):
            raise auth_error(exc, account) from exc
        raise exc.during(f"read the Vercel project '{id_or_name}'") from exc
    return project if isinstance(project, dict) else None


def create_project(api: VercelApi, name: str, account: str | None) -> dict[str, Any]:
    """``POST /v11/projects`` for a valid name; a lost answer is resolved by reading it back."""
    if not PROJECT_NAME.match(name) or "---" in name:
        raise InputError(
            f"'{name}' is not a valid Vercel project name (lowercase a-z 0-9 . _ -, at most 100, no '---')",
            input_name="project",
        )
    log.info("creating Vercel project %s", name)
    try:
        created = api.call("POST", "/v11/projects", json={"name": name}, idempotent=False)
    except AmbiguousOutcome:
        created = None
    except VercelApiError as exc:
        if exc.status in (401, 403):
            raise auth_error(exc, account) from exc
        if exc.status != 409:
            raise exc.during(f"create the Vercel project '{name}'") from exc
        created = None
    if isinstance(created, dict) and created.get("id"):
        return created
    found = get_project(api, name, account)
    if found is None:
        raise NotFoundError(f"Vercel project '{name}' could not be created", input_name="project")
    return found


def find_project(
    api: VercelApi, project: str, account: str | None, *, create: bool, read_only: bool
) -> dict[str, Any] | None:
    """The project named by ``project`` (name or ``prj_`` id); created when missing and allowed.
    None only for a read-only look at a project that would be created."""
    found = get_project(api, project, account)
    if found is not None:
        return found
    if project.startswith("prj_") or not create:
        why = "a project id cannot be created" if project.startswith("prj_") else "create-project is off"
        raise NotFoundError(
            f"Vercel project '{project}' does not exist ({why})",
            input_name="project",
            details="Check the project name and the account/team it belongs to.",
        )
    if read_only:
        log.info("Vercel project %s does not exist yet; a deploy would create it", project)
        return None
    return create_project(api, project, account)


def list_deployments(api: VercelApi, project_id: str, **filters: str) -> Iterator[dict[str, Any]]:
    """The project's deployments, newest first, every page (``until`` = ``pagination.next``)."""
    params = {"projectId": project_id, "limit": str(PAGE_SIZE), **filters}
    seen: set[str] = set()
    while True:
        try:
            page = api.call("GET", "/v6/deployments", params=params)
        except VercelApiError as exc:
            raise exc.during("list the project's deployments") from exc
        items = page.get("deployments") if isinstance(page, dict) else None
        yield from (item for item in items or [] if isinstance(item, dict))
        pagination = page.get("pagination") if isinstance(page, dict) else None
        following = pagination.get("next") if isinstance(pagination, dict) else None
        if not items or following in (None, "") or str(following) in seen:
            return
        seen.add(str(following))
        params = {**params, "until": str(following)}


def get_deployment(api: VercelApi, deployment_id: str) -> dict[str, Any] | None:
    """``GET /v13/deployments/{id}``; None when it does not exist."""
    try:
        data = api.call("GET", f"/v13/deployments/{path_segment(deployment_id)}")
    except VercelApiError as exc:
        if exc.status == 404:
            return None
        raise
    return data if isinstance(data, dict) else None


def production_id(project: dict[str, Any]) -> str | None:
    """The live production deployment's id from the project (``targets.production``)."""
    targets = project.get("targets")
    production = targets.get("production") if isinstance(targets, dict) else None
    if isinstance(production, dict) and production.get("id"):
        return str(production["id"])
    return None


def auto_promotion_paused(project: dict[str, Any]) -> bool:
    """After a rollback Vercel stops promoting new production deployments until a promote."""
    last = project.get("lastAliasRequest")
    return isinstance(last, dict) and last.get("type") == "rollback"


def with_current_aliases(api: VercelApi, data: dict[str, Any], project_name: str) -> dict[str, Any]:
    """``data`` with the aliases that point at it now. A deployment's ``alias[]`` is fixed when
    it is built, so one promoted later (or rolled back to) lacks its production alias there;
    ``GET /v2/deployments/{id}/aliases`` lists the ones it holds now."""
    held = [str(a) for a in data.get("alias") or []]
    if data.get("target") != "production" or production_alias(held, project_name):
        return data
    try:
        body = api.call("GET", f"/v2/deployments/{data['id']}/aliases")
    except VercelApiError as exc:
        log.info("listing the aliases of %s failed: %s", data["id"], exc.message)
        return data
    rows = body.get("aliases") if isinstance(body, dict) else None
    names = [str(row["alias"]) for row in rows or [] if isinstance(row, dict) and row.get("alias")]
    return {**data, "alias": list(dict.fromkeys(held + names))}


def pr_previews(api: VercelApi, project_id: str, pr_number: int, known_ids: set[str]) -> list[dict[str, Any]]:
    """A pull request's preview deployments: those whose ``meta.githubPrId`` we set, listed over
    the project, plus ``known_ids`` (recorded on GitHub) still there. Never production ones."""
    found: dict[str, dict[str, Any]] = {}
    for item in list_deployments(api, project_id):
        meta = item.get("meta")
        ours = isinstance(meta, dict) and str(meta.get("githubPrId", "")) == str(pr_number)
        if ours and item.get("target") != "production":
            found[str(item.get("id") or item.get("uid"))] = item  # as to_deployment names it
    for deployment_id in sorted(known_ids - found.keys()):
        data = get_deployment(api, deployment_id)
        if data is not None and data.get("target") != "production":
            found[deployment_id] = data
    return list(found.values())
