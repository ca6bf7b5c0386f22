"""Signing in to Vercel with the device flow, as ``vercel login`` (CLI 58) does, but with the
project's own OAuth app (``--client-id`` or ``CI_DEPLOY_VERCEL_CLIENT_ID``; never the CLI's).

The endpoints come from the issuer's discovery document
(``{issuer}/.well-known/openid-configuration``: ``device_authorization_endpoint``,
``token_endpoint``), whose ``issuer`` must be the one asked, as the CLI checks. The device request
carries ``client_id`` and ``scope=openid offline_access``; polling carries ``client_id``,
``device_code`` and the device-code ``grant_type``, and the RFC 8628 rules apply
(:mod:`ci_deploy.connect.device_flow`). The issuer is ``https://vercel.com``, or the API URL when
one is configured (``VERCEL_API_URL``: a sandbox or proxy serves both at one origin).

The access token Vercel issues has a lifetime (``expires_in``), so ``connect`` only works with it:
what it stores is a token it makes for CI with it (:mod:`ci_deploy.platforms.vercel.ci_token`).
"""

from __future__ import annotations

from ci_deploy import http
from ci_deploy.connect import device_flow
from ci_deploy.errors import PlatformError

ISSUER = "https://vercel.com"
CLIENT_ID_VARIABLE = "CI_DEPLOY_VERCEL_CLIENT_ID"
SCOPE = "openid offline_access"
TOKEN_FORM = "https://vercel.com/account/settings/tokens"


def discover(client_id: str, api_url: str | None) -> device_flow.DeviceFlow:
    """The device and token endpoints the issuer advertises."""
    issuer = (api_url or ISSUER).rstrip("/")
    with http.new_client(headers={"Accept": "application/json"}) as client:
        response = http.send(client, "GET", f"{issuer}/.well-known/openid-configuration")
    try:
        document = response.json() if response.is_success else None
    except ValueError:
        document = None
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        raise PlatformError(
            f"Vercel's sign-in discovery at {issuer} answered {response.status_code} without "
            "its issuer's endpoints: try again later, or set VERCEL_TOKEN",
            status=response.status_code,
        )
    endpoints = (document.get("device_authorization_endpoint"), document.get("token_endpoint"))
    if not all(isinstance(url, str) and url.startswith(("https://", "http://")) for url in endpoints):
        raise PlatformError("Vercel's sign-in discovery names no device flow endpoints: set VERCEL_TOKEN")
    return device_flow.DeviceFlow(
        provider="Vercel",
        device_url=str(endpoints[0]),
        token_url=str(endpoints[1]),
        client_id=client_id,
        scope=SCOPE,
        client_id_from=f"--client-id or {CLIENT_ID_VARIABLE}",
        fallback=f"set VERCEL_TOKEN (create one at {TOKEN_FORM})",
    )


def device_login(client_id: str, api_url: str | None, clock: device_flow.Clock | None = None) -> str:
    """A Vercel access token from the device flow (short-lived: never the one stored)."""
    return device_flow.sign_in(discover(client_id, api_url), clock).access_token
