"""Cloudflare's token introspection: ``GET /user/tokens/verify`` for a user's token and
``GET /accounts/{id}/tokens/verify`` for an account-owned one.

A token the endpoint does not know answers 401 code 1000 "Invalid API Token" (an account-owned
token is unknown to the user endpoint, and the other way round); a known token answers success
with its ``status`` — ``active``, or ``expired`` with an ``expires_on`` in the past, which every
other endpoint refuses with 403 code 10000.
"""

from __future__ import annotations

from ci_deploy_sandbox import app
from ci_deploy_sandbox.cloudflare_auth import GRANTS, Grant
from ci_deploy_sandbox.cloudflare_common import CloudflareErrorReply, JsonDict

INVALID_TOKEN = 1000
_EXPIRED_ON = "2024-01-01T00:00:00Z"


def _answer(grant: Grant) -> app.Response:
    result: JsonDict = {"id": grant.token_id, "status": grant.status}
    message = "This API Token is valid and active"
    if grant.status == "expired":
        result["expires_on"] = _EXPIRED_ON
        message = "This API Token has expired"
    payload = {
        "success": True,
        "errors": [],
        "messages": [{"code": 10000, "message": message, "type": None}],
        "result": result,
    }
    return app.Response.json(payload)


def _invalid() -> CloudflareErrorReply:
    return CloudflareErrorReply(401, INVALID_TOKEN, "Invalid API Token")


def verify_user_token(request: app.Request) -> app.Response:
    grant = GRANTS.get(request.bearer or "")
    if grant is None or grant.owner_account is not None:
        raise _invalid()
    return _answer(grant)


def verify_account_token(request: app.Request) -> app.Response:
    grant = GRANTS.get(request.bearer or "")
    if grant is None or grant.owner_account != request.params["account"]:
        raise _invalid()
    return _answer(grant)
