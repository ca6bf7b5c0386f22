"""The account and the Pages project: find the account, get or create the project, env vars.

Errors here come before the first write, so they are exit-2 errors that name the input at
fault and the fix: which permission the token lacks, which accounts it sees when it sees
several, that ``create-project`` would create a missing project.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from ci_deploy import http
from ci_deploy.errors import InputError, NotFoundError
from ci_deploy.platforms.base import Environment, EnvVar
from ci_deploy.platforms.cloudflare_pages.api import (
    MEMBERSHIPS_UNREADABLE,
    PROJECT_NOT_FOUND,
    CloudflareApi,
    CloudflareApiError,
    invalid_token_error,
    permission_error,
)
from ci_deploy.platforms.cloudflare_pages.endpoints import projects_path

log = logging.getLogger("ci_deploy.platforms.cloudflare_pages.project")

PAGES_EDIT = "Cloudflare Pages: Edit"
PROJECT_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,56}[a-z0-9])?$")


def discover_account(api: CloudflareApi) -> str:
    """The one account the token sees: ``/memberships``, or ``/accounts`` for account-scoped
    tokens (which cannot read memberships). None or several is an error naming ``account``."""
    try:
        accounts = [_membership_account(m) for m in api.pages("memberships", per_page=50)]
    except CloudflareApiError as exc:
        if not exc.has_code(*MEMBERSHIPS_UNREADABLE):
            raise _refused_or(exc, "list accounts", api=api) from exc
        try:
            accounts = [_account(a) for a in api.pages("accounts", per_page=50)]
        except CloudflareApiError as inner:
            raise _refused_or(inner, "list accounts", api=api) from inner
    found = sorted({a for a in accounts if a is not None})
    if not found:
        raise InputError(
            "the Cloudflare API token sees no account: set 'account' (or CLOUDFLARE_ACCOUNT_ID) to your "
            "account ID",
            input_name="account",
        )
    if len(found) > 1:
        listing = ", ".join(f"{account_id} ({name})" for account_id, name in found)
        raise InputError(
            f"the Cloudflare API token sees {len(found)} accounts; set 'account' (or CLOUDFLARE_ACCOUNT_ID) "
            f"to one of: {listing}",
            input_name="account",
        )
    log.info("Using Cloudflare account %s (%s), the only one the token sees", found[0][0], found[0][1])
    return found[0][0]


def _membership_account(item: Any) -> tuple[str, str] | None:
    if not isinstance(item, dict) or item.get("status", "accepted") != "accepted":
        return None
    return _account(item.get("account"))


def _account(item: Any) -> tuple[str, str] | None:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return item["id"], str(item.get("name") or "")
    return None


def _refused_or(
    exc: CloudflareApiError,
    what: str,
    account: str | None = None,
    *,
    api: CloudflareApi | None = None,
    failed: str | None = None,
) -> Exception:
    """A refused call becomes the permission the token needs to ``what``; anything else names
    what failed (``failed``, default ``what``). With ``api`` (the first reads of a run) an
    invalid token is told apart from a missing permission: Cloudflare answers both with 403
    code 10000."""
    if not exc.refused:
        return exc.during(failed or what)
    if api is not None and (exc.status == 401 or api.token_rejected()):
        return invalid_token_error(exc)
    return permission_error(exc, PAGES_EDIT, what, account)


class ProjectsApi:
    """Pages projects of one account."""

    def __init__(self, api: CloudflareApi, account: str) -> None:
        self._api = api
        self.account = account
        self._path = projects_path(account)

    def get(self, name: str) -> dict[str, Any] | None:
        """The project, or None when it does not exist."""
        try:
            return dict(self._api.call("GET", f"{self._path}/{name}"))
        except CloudflareApiError as exc:
            if exc.has_code(PROJECT_NOT_FOUND) or exc.status == 404:
                return None
            failed = f"read the Pages project '{name}'"
            raise _refused_or(exc, "read Pages projects", self.account, api=self._api, failed=failed) from exc

    def create(self, name: str, production_branch: str) -> dict[str, Any]:
        """Create a direct-upload project; when a lost answer hides that it worked, use it."""
        if not PROJECT_NAME.match(name):
            raise InputError(
                f"'{name}' is not a valid Pages project name: use 1-58 lowercase letters, digits and dashes, "
                "not starting or ending with a dash",
                input_name="project",
            )
        body = {
            "name": name,
            "production_branch": production_branch,
            "deployment_configs": {"production": {}, "preview": {}},
        }
        try:
            result = self._api.call("POST", self._path, json=body, idempotent=False)
        except (http.AmbiguousOutcome, CloudflareApiError) as exc:
            # A lost answer, or "name taken" after a retried create that did work.
            existing = self.get(name)
            if existing is not None:
                return existing
            if isinstance(exc, CloudflareApiError):
                failed = f"create the Pages project '{name}'"
                raise _refused_or(exc, "create Pages projects", self.account, failed=failed) from exc
            raise
        log.info("Created the Pages project %s (production branch %s)", name, production_branch)
        return dict(result)

    def set_env_vars(
        self, name: str, variables: Iterable[EnvVar], environment: Environment
    ) -> dict[str, Any]:
        """Merge ``variables`` into the project's env vars for ``environment`` (a PATCH keeps
        keys it does not mention); secrets as ``secret_text``. Returns the updated project."""
        env_vars = {
            var.name: {"type": "secret_text" if var.secret else "plain_text", "value": var.value}
            for var in variables
        }
        body = {"deployment_configs": {environment: {"env_vars": env_vars}}}
        try:
            return dict(self._api.call("PATCH", f"{self._path}/{name}", json=body))
        except CloudflareApiError as exc:
            raise _refused_or(exc, "set Pages environment variables", self.account) from exc


def env_names(project: dict[str, Any] | None, environment: Environment) -> set[str]:
    """Names of the env vars set on ``project`` for ``environment`` (values never read)."""
    configs = (project or {}).get("deployment_configs") or {}
    env_vars = (configs.get(environment) or {}).get("env_vars") or {}
    return {name for name, value in env_vars.items() if value is not None}


def missing_project(name: str, account: str, *, creatable: bool = True) -> NotFoundError:
    """``creatable``: a deploy could create it (so say how); else (rollback, promote, cleanup)
    there is nothing to act on, and the name or account must be wrong."""
    fix = (
        "create it in the dashboard, or set 'create-project: true' to let ci-deploy create it"
        if creatable
        else "nothing has been deployed there yet; check 'project' and 'account'"
    )
    return NotFoundError(
        f"the Pages project '{name}' does not exist in account {account}: {fix}", input_name="project"
    )
