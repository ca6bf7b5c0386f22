"""Pages projects: create, list, get, PATCH (env vars and secrets), delete.

A PATCH merges: keys it does not mention are kept and ``KEY: null`` deletes, which is how
``wrangler pages secret put/delete`` work. ``secret_text`` values are stored but never returned.
"""

from __future__ import annotations

import re
import secrets
import string
import uuid
from datetime import UTC, datetime
from typing import Any

from ci_deploy_sandbox import app
from ci_deploy_sandbox.cloudflare_auth import Grant, TokenRoute
from ci_deploy_sandbox.cloudflare_common import (
    PAGES_SUFFIX,
    PROJECT_EXISTS,
    CloudflareErrorReply,
    JsonDict,
    bad_request,
    body_object,
    paged,
    success,
)
from ci_deploy_sandbox.cloudflare_context import Context
from ci_deploy_sandbox.cloudflare_state import Project
from ci_deploy_sandbox.cloudflare_views import default_config, project_json

_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,56}[a-z0-9])?$")
ENVIRONMENTS = ("production", "preview")
ENV_VAR_TYPES = ("plain_text", "secret_text")


class Projects:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def routes(self) -> list[TokenRoute]:
        base = "/accounts/{account}/pages/projects"
        return [
            ("GET", base, "cloudflare.projects.list", self.list),
            ("POST", base, "cloudflare.projects.create", self.create),
            ("GET", base + "/{name}", "cloudflare.projects.get", self.get),
            ("PATCH", base + "/{name}", "cloudflare.projects.update", self.update),
            ("DELETE", base + "/{name}", "cloudflare.projects.delete", self.delete),
            ("POST", base + "/{name}/purge_build_cache", "cloudflare.projects.purge_cache", self.purge),
        ]

    def _project(self, request: app.Request, grant: Grant) -> Project:
        grant.require_account(request.params["account"])
        return self.ctx.project(request.params["account"], request.params["name"])

    def list(self, request: app.Request, grant: Grant) -> app.Response:
        account = request.params["account"]
        grant.require_account(account)
        found = [p for p in self.ctx.state.projects.values() if p.account_id == account]
        found.sort(key=lambda p: p.created_at, reverse=True)
        return paged(request, [project_json(self.ctx, p) for p in found], per_page_default=10)

    def get(self, request: app.Request, grant: Grant) -> app.Response:
        return success(project_json(self.ctx, self._project(request, grant)))

    def create(self, request: app.Request, grant: Grant) -> app.Response:
        account = request.params["account"]
        grant.require_account(account)
        body = body_object(request)
        name = body.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise bad_request(
                "Project names must be 1-58 lowercase letters, numbers and dashes, "
                "and cannot start or end with a dash."
            )
        if self.ctx.key(account, name) in self.ctx.state.projects:
            raise CloudflareErrorReply(
                409,
                PROJECT_EXISTS,
                "A project with this name already exists. Choose a different project name.",
            )
        branch = body.get("production_branch") or "main"
        if not isinstance(branch, str):
            raise bad_request("production_branch must be a string")
        now = self.ctx.now()
        today = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        project = Project(
            id=str(uuid.uuid4()),
            account_id=account,
            name=name,
            subdomain=self._subdomain(name),
            production_branch=branch,
            created_at=now,
            deployment_configs={env: default_config(today) for env in ENVIRONMENTS},
        )
        merge_configs(project, body.get("deployment_configs"))
        self.ctx.state.projects[self.ctx.key(account, name)] = project
        return success(project_json(self.ctx, project))

    def _subdomain(self, name: str) -> str:
        """``<name>.pages.localhost`` unless that is taken (by another project, or because the
        ``cloudflare.taken_subdomains`` setting says so): then a random suffix is added, as on
        pages.dev, so a client that builds the host from the name instead of ``subdomain`` fails."""
        taken = set(self.ctx.setting("cloudflare.taken_subdomains", []) or [])
        taken |= {p.subdomain.removesuffix("." + PAGES_SUFFIX) for p in self.ctx.state.projects.values()}
        label = name
        while label in taken:
            suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(3))
            label = f"{name}-{suffix}"
        return f"{label}.{PAGES_SUFFIX}"

    def update(self, request: app.Request, grant: Grant) -> app.Response:
        project = self._project(request, grant)
        body = body_object(request)
        branch = body.get("production_branch")
        if branch is not None:
            if not isinstance(branch, str) or not branch:
                raise bad_request("production_branch must be a non-empty string")
            project.production_branch = branch
        merge_configs(project, body.get("deployment_configs"))
        return success(project_json(self.ctx, project))

    def delete(self, request: app.Request, grant: Grant) -> app.Response:
        project = self._project(request, grant)
        self.ctx.withdraw(project)
        del self.ctx.state.projects[self.ctx.key(project.account_id, project.name)]
        return success(None)

    def purge(self, request: app.Request, grant: Grant) -> app.Response:
        self._project(request, grant)
        return success(None)


def merge_configs(project: Project, patch: Any) -> None:
    """Merge a ``deployment_configs`` patch into ``project``: maps (env vars, bindings) merge
    key by key with ``null`` deleting a key; other values replace. Validated before any change."""
    if patch is None:
        return
    if not isinstance(patch, dict) or not set(patch) <= set(ENVIRONMENTS):
        raise bad_request("deployment_configs must be an object with 'production' and/or 'preview'")
    for env, changes in patch.items():
        if changes is None:
            continue
        if not isinstance(changes, dict):
            raise bad_request(f"deployment_configs.{env} must be an object")
        check_env_vars(env, changes.get("env_vars"))
    for env, changes in patch.items():
        config = project.deployment_configs[env]
        for key, value in (changes or {}).items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key] = merged(config[key], value)
            elif value is None and key == "env_vars":
                continue
            else:
                config[key] = value


def merged(current: JsonDict, changes: JsonDict) -> JsonDict:
    result = dict(current)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def check_env_vars(env: str, env_vars: Any) -> None:
    if env_vars is None:
        return
    if not isinstance(env_vars, dict):
        raise bad_request(f"deployment_configs.{env}.env_vars must be an object")
    for name, var in env_vars.items():
        if var is None:
            continue
        if (
            not isinstance(var, dict)
            or var.get("type", "plain_text") not in ENV_VAR_TYPES
            or not isinstance(var.get("value"), str)
        ):
            raise bad_request(
                f"deployment_configs.{env}.env_vars.{name} must be "
                '{"type": "plain_text"|"secret_text", "value": "<string>"}'
            )
        var.setdefault("type", "plain_text")
