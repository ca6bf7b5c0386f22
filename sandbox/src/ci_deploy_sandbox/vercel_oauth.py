"""Vercel's sign-in by device flow, as ``vercel login`` (CLI 58) uses it, at the sandbox's Vercel
origin (the issuer is the origin the client addressed, as ``https://vercel.com`` is Vercel's):

- ``GET /.well-known/openid-configuration``: ``issuer``, ``device_authorization_endpoint``,
  ``token_endpoint`` (the endpoints the sandbox has; no revocation or introspection);
- ``POST /login/oauth/device-authorization`` (``client_id``, ``scope``) -> ``device_code``,
  ``user_code``, ``verification_uri``, ``verification_uri_complete``, ``expires_in``,
  ``interval``;
- ``POST /login/oauth/token`` (``client_id``, ``device_code``, ``grant_type``) ->
  ``access_token``, ``token_type: Bearer``, ``expires_in``, ``scope``; errors are RFC 8628's,
  answered 400 with ``error`` and ``error_description``.

Who approves and when is scripted by the ``oauth.*`` settings
(:mod:`ci_deploy_sandbox.oauth_device`); an approved code's token acts as the sandbox user with
its team, accepted by every Vercel route at once (kept in memory: a restart forgets it) until it
expires: ``oauth.token_expires_in`` (default 3600) is the lifetime the token answer states and the
API enforces. It is an OAuth token (``type: oauth2-token``), which may not create tokens
(:mod:`ci_deploy_sandbox.vercel_tokens`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from ci_deploy_sandbox import app
from ci_deploy_sandbox.oauth_device import DESCRIPTIONS, DeviceGrants, error_body, form

DISCOVERY = "/.well-known/openid-configuration"
DEVICE_PATH = "/login/oauth/device-authorization"
TOKEN_PATH = "/login/oauth/token"


def _error(error: str, description: str, **more: Any) -> app.Response:
    return app.Response.json(error_body(error, description, **more), 400)


class DeviceLogin:
    """The discovery document and the two device flow routes; ``add_token(token, client_id,
    lifetime_s)`` makes a minted token an account of the emulator (the sandbox user's)."""

    def __init__(self, world: app.World, add_token: Callable[[str, str, int], None]) -> None:
        self.world = world
        self.add_token = add_token
        self.grants = DeviceGrants(world, self._issue)

    def routes(self) -> list[tuple[str, str, str, app.Handler]]:
        return [
            ("GET", DISCOVERY, "vercel.oauth.discovery", self.discovery),
            ("POST", DEVICE_PATH, "vercel.oauth.device_authorization", self.device_authorization),
            ("POST", TOKEN_PATH, "vercel.oauth.token", self.token),
        ]

    def _issue(self, client_id: str) -> str:
        token = f"vcoauth_{secrets.token_hex(20)}"
        self.add_token(token, client_id, self._lifetime())
        return token

    def _lifetime(self) -> int:
        return int(self.world.setting("oauth.token_expires_in", 3600))

    def discovery(self, request: app.Request) -> app.Response:
        origin = request.origin
        return app.Response.json(
            {
                "issuer": origin,
                "device_authorization_endpoint": origin + DEVICE_PATH,
                "token_endpoint": origin + TOKEN_PATH,
                "grant_types_supported": ["urn:ietf:params:oauth:grant-type:device_code"],
                "scopes_supported": ["openid", "email", "profile", "offline_access"],
            }
        )

    def device_authorization(self, request: app.Request) -> app.Response:
        fields = form(request)
        if not fields.get("client_id"):
            return _error("invalid_client", "The client_id is missing.")
        code = self.grants.start(fields["client_id"], fields.get("scope", ""))
        verification = f"{request.origin}/oauth/device"
        return app.Response.json(
            {
                "device_code": code.device_code,
                "user_code": code.user_code,
                "verification_uri": verification,
                "verification_uri_complete": f"{verification}?user_code={code.user_code}",
                "expires_in": self.grants.expires_in(code),
                "interval": code.interval,
            }
        )

    def token(self, request: app.Request) -> app.Response:
        fields = form(request)
        client_id, device_code = fields.get("client_id", ""), fields.get("device_code", "")
        answer = self.grants.poll(client_id, device_code, fields.get("grant_type", ""))
        if not answer.token:
            return _error(answer.error, DESCRIPTIONS[answer.error])
        code = self.grants.codes[device_code]
        return app.Response.json(
            {
                "access_token": answer.token,
                "token_type": "Bearer",
                "expires_in": self._lifetime(),
                "scope": code.scope,
            }
        )
