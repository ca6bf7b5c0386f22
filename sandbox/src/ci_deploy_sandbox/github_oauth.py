"""GitHub's device flow on the sandbox's GitHub *server* host (``GITHUB_SERVER_URL`` =
``http://github.localhost:<port>``; the API stays under ``/api/v3``), as GitHub documents it:

- ``POST /login/device/code`` (``client_id``, ``scope``) -> ``device_code``, ``user_code``,
  ``verification_uri`` (``/login/device``), ``expires_in``, ``interval``;
- ``POST /login/oauth/access_token`` (``client_id``, ``device_code``, ``grant_type``) ->
  ``access_token``, ``token_type: bearer``, ``scope`` — or an error, which GitHub answers with
  200 and ``error``/``error_description``/``error_uri`` (``slow_down`` adds the new ``interval``).

Answers are JSON with ``Accept: application/json``, else form-encoded, as on github.com. Who
approves and when is scripted by the ``oauth.*`` settings (:mod:`ci_deploy_sandbox.oauth_device`).
An approved code's token is a user token of the sandbox user (``gho_…``) with every repository
permission (the ``repo`` scope), accepted by the API at once.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from ci_deploy_sandbox import app, identities
from ci_deploy_sandbox.github_common import Principal, Store
from ci_deploy_sandbox.oauth_device import DESCRIPTIONS, DeviceGrants, error_body, form

HOST = "github.localhost"
DOCS = "https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow"
#: GitHub's names for the RFC's errors
_GITHUB_ERRORS = {"invalid_grant": "incorrect_device_code"}


def _reply(request: app.Request, payload: dict[str, Any], status: int = 200) -> app.Response:
    if "json" in request.headers.get("accept", ""):
        return app.Response.json(payload, status)
    return app.Response.text(urlencode(payload), status, "application/x-www-form-urlencoded; charset=utf-8")


class DeviceLogin:
    """The two sign-in routes, minting tokens into the GitHub emulator's ``store``."""

    def __init__(self, world: app.World, store: Store) -> None:
        self.world = world
        self.store = store
        self.grants = DeviceGrants(world, self._issue)

    def routes(self) -> list[tuple[str, str, str, app.Handler]]:
        return [
            ("POST", "/login/device/code", "github.oauth.device_code", self.device_code),
            ("POST", "/login/oauth/access_token", "github.oauth.access_token", self.access_token),
        ]

    def _issue(self, client_id: str) -> str:
        token = f"gho_{secrets.token_hex(18)}"
        self.store.add_principal(Principal(token, identities.GITHUB_USER_LOGIN, 1001, "User"))
        self.world.save()
        return token

    def device_code(self, request: app.Request) -> app.Response:
        fields = form(request)
        if not fields.get("client_id"):
            return _reply(request, error_body("incorrect_client_credentials", "The client_id is missing."))
        code = self.grants.start(fields["client_id"], fields.get("scope", ""))
        answer = {
            "device_code": code.device_code,
            "user_code": code.user_code,
            "verification_uri": f"{request.origin}/login/device",
            "expires_in": self.grants.expires_in(code),
            "interval": code.interval,
        }
        return _reply(request, answer)

    def access_token(self, request: app.Request) -> app.Response:
        fields = form(request)
        answer = self.grants.poll(
            fields.get("client_id", ""), fields.get("device_code", ""), fields.get("grant_type", "")
        )
        if answer.token:
            return _reply(request, {"access_token": answer.token, "token_type": "bearer", "scope": "repo"})
        error = _GITHUB_ERRORS.get(answer.error, answer.error)
        more = {"interval": answer.interval} if answer.interval else {}
        return _reply(request, error_body(error, DESCRIPTIONS[answer.error], error_uri=DOCS, **more))
