"""Vercel's token introspection: ``GET /v5/user/tokens/{id}``, where the id ``current`` names the
token of the request itself. A refused token never gets here: the front door answers 403
``forbidden`` with ``invalidToken: true``, as Vercel does for a mistyped, revoked or expired one."""

from __future__ import annotations

from collections.abc import Callable

from ci_deploy_sandbox import app
from ci_deploy_sandbox.vercel_common import Scope, VercelErrorReply

_CREATED = 1_700_000_000_000


class Tokens:
    """The token routes (a part of :class:`~ci_deploy_sandbox.vercel.VercelEmulator`)."""

    def routes(self) -> list[tuple[str, str, str, Callable[[app.Request, Scope], app.Response]]]:
        return [("GET", "/v5/user/tokens/{token}", "vercel.tokens.get", self.get)]

    def get(self, request: app.Request, scope: Scope) -> app.Response:
        if request.params["token"] != "current":
            raise VercelErrorReply(404, "not_found", "Token not found")
        token = {
            "id": f"tok_{scope.account.user['id'][-12:]}",
            "name": "sandbox",
            "type": "token",
            "origin": "manual",
            "activeAt": _CREATED,
            "createdAt": _CREATED,
            "scopes": [{"type": "user", "origin": "manual", "createdAt": _CREATED}],
        }
        return app.Response.json({"token": token})
