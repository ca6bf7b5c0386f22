"""``ci-deploy connect vercel``: verify a token, find its personal account and teams and their
projects, and probe what a deploy reads with one cheap call each.

The token is checked with ``GET /v2/user`` (who it is) and ``GET /v5/user/tokens/current``
(the token itself: its expiry). Vercel tokens are scoped to a team or to the personal account
rather than to permissions, so a refused probe means the token's scope misses that account: the
fix is a token created for it (``https://vercel.com/account/settings/tokens``, Scope: the team).
"""

from __future__ import annotations

import time
from typing import Any

from ci_deploy.connect.model import Choice, Permission
from ci_deploy.errors import AuthError
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError
from ci_deploy.platforms.vercel.endpoints import scope_params

TOKEN_FORM = "https://vercel.com/account/settings/tokens"


class VercelConnector:
    """The :class:`~ci_deploy.connect.model.Connector` of Vercel."""

    def __init__(self, token: str, api_url: str | None) -> None:
        self.api = VercelApi(token, base_url=api_url)
        self.user: dict[str, Any] = {}

    def _get(self, path: str, account: Choice | None = None, **params: str) -> Any:
        scope = self._scope(account)
        return self.api.call("GET", path, params={**scope, **params}, scoped=False)

    def _scope(self, account: Choice | None) -> dict[str, str]:
        if account is None or account.id == self.user.get("id"):
            return {}
        return scope_params(account.id, None)

    def verify(self, account_hint: str | None) -> str:
        try:
            user = self._get("/v2/user")
            token = self._get("/v5/user/tokens/current")
        except VercelApiError as error:
            if error.status in (401, 403):
                raise AuthError(
                    f"Vercel refused the token ({error.message}): it is mistyped, revoked or expired; "
                    f"create one at {TOKEN_FORM}",
                    input_name="token",
                ) from None
            raise
        self.user = user.get("user", user) if isinstance(user, dict) else {}
        record = token.get("token", {}) if isinstance(token, dict) else {}
        expires = record.get("expiresAt")
        if isinstance(expires, int | float) and expires / 1000 < time.time():
            raise AuthError(f"the Vercel token has expired: create one at {TOKEN_FORM}", input_name="token")
        return f"Vercel token '{record.get('name', '')}' of {self.user.get('username', 'a user')}"

    def accounts(self) -> list[Choice]:
        own = Choice(str(self.user.get("id", "")), f"{self.user.get('username', 'personal')} (personal)")
        teams = self._get("/v2/teams", limit="100")
        listed = teams.get("teams", []) if isinstance(teams, dict) else []
        found = [Choice(str(t["id"]), str(t.get("slug") or t["id"])) for t in listed if isinstance(t, dict)]
        return [own, *found] if own.id else found

    def projects(self, account: Choice) -> list[Choice]:
        answer = self._get("/v9/projects", account, limit="100")
        listed = answer.get("projects", []) if isinstance(answer, dict) else []
        return [Choice(str(p["id"]), str(p["name"])) for p in listed if isinstance(p, dict)]

    def missing(self, account: Choice) -> list[Permission]:
        probes = (
            (Permission(f"projects of {account.name} (token scope)"), "/v9/projects"),
            (Permission(f"deployments of {account.name} (token scope)"), "/v6/deployments"),
        )
        lacking = []
        for permission, path in probes:
            try:
                self._get(path, account, limit="1")
            except VercelApiError as error:
                if error.status not in (401, 403):
                    raise
                lacking.append(permission)
        return lacking

    def token_link(self, missing: list[Permission], account: Choice) -> str:
        return f"{TOKEN_FORM} (Create Token, Scope: {account.name})"

    def variables(self, account: Choice, project: Choice) -> dict[str, str]:
        ids = {"VERCEL_ORG_ID": account.id}
        if project.id != project.name:  # an existing project; a new one gets its id on first deploy
            ids["VERCEL_PROJECT_ID"] = project.id
        return ids

    def close(self) -> None:
        self.api.close()
