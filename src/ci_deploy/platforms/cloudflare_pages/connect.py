"""``ci-deploy connect cloudflare-pages``: verify an API token, find its accounts and Pages
projects, and probe each permission a deploy needs with one cheap read.

A user's token is verified at ``GET /user/tokens/verify``; an account-owned token is unknown
there (code 1000) and is verified at ``GET /accounts/{id}/tokens/verify`` instead, for the
account named or each account ``GET /accounts`` lists. A token lacking a permission gets a link
to Cloudflare's token form with every permission a deploy needs already ticked
(``permissionGroupKeys``: ``page`` edit for Pages, ``zone`` and ``dns`` read for custom domains).
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from ci_deploy.connect.model import Choice, Permission
from ci_deploy.errors import AuthError, InputError
from ci_deploy.platforms.cloudflare_pages.api import CloudflareApi, CloudflareApiError

TOKEN_FORM = "https://dash.cloudflare.com/profile/api-tokens"
TOKEN_NAME = "ci-deploy"
PAGES = Permission("Account > Cloudflare Pages > Edit", "page")
ZONE = Permission("Zone > Zone > Read (custom domains)", "zone", required=False)
DNS = Permission("Zone > DNS > Read (custom domains)", "dns", required=False)
#: the token form's keys and levels for everything a deploy may use
_FORM_KEYS = (
    {"key": "page", "type": "edit"},
    {"key": "zone", "type": "read"},
    {"key": "dns", "type": "read"},
)


def token_link(account_id: str | None = None) -> str:
    """Cloudflare's token form, pre-filled with what a deploy needs (and the account, if known)."""
    query = {
        "permissionGroupKeys": json.dumps(list(_FORM_KEYS), separators=(",", ":")),
        "accountId": account_id or "*",
        "zoneId": "all",
        "name": TOKEN_NAME,
    }
    return f"{TOKEN_FORM}?{urlencode(query, quote_via=quote)}"


class CloudflareConnector:
    """The :class:`~ci_deploy.connect.model.Connector` of Cloudflare Pages."""

    def __init__(self, token: str, api_url: str | None) -> None:
        self.api = CloudflareApi(token, api_url)

    def verify(self, account_hint: str | None) -> str:
        try:
            result = self.api.call("GET", "/user/tokens/verify")
        except CloudflareApiError as error:
            if not error.refused:
                raise
            result = self._verify_account_token(account_hint, error)
        status = result.get("status") if isinstance(result, dict) else None
        if status != "active":
            raise AuthError(
                f"the Cloudflare API token is {status or 'not active'}: create a new one at {token_link()}",
                input_name="token",
            )
        return f"Cloudflare API token {result.get('id', '')} is active"

    def _verify_account_token(self, account_hint: str | None, first: CloudflareApiError) -> object:
        """An account-owned token: verified against its account (named, or each one listed)."""
        try:
            candidates = [account_hint] if account_hint else [a.id for a in self.accounts()]
        except InputError:
            candidates = []
        for account_id in candidates:
            try:
                return self.api.call("GET", f"/accounts/{account_id}/tokens/verify")
            except CloudflareApiError as error:
                if not error.refused:
                    raise
        raise AuthError(
            f"Cloudflare refused the API token ({first.message}): check it was copied whole, "
            f"or create one at {token_link()}",
            input_name="token",
        )

    def accounts(self) -> list[Choice]:
        try:
            items = list(self.api.pages("/accounts", per_page=50))
        except CloudflareApiError as error:
            if error.refused:
                raise AuthError(
                    f"the Cloudflare API token may not list accounts: {error.message}", input_name="token"
                ) from None
            raise
        return [Choice(str(a["id"]), str(a.get("name") or a["id"])) for a in items if isinstance(a, dict)]

    def projects(self, account: Choice) -> list[Choice]:
        items = self.api.pages(f"/accounts/{account.id}/pages/projects", per_page=10)
        return [Choice(str(p["name"]), str(p["name"])) for p in items if isinstance(p, dict)]

    def missing(self, account: Choice) -> list[Permission]:
        lacking = []
        if not self._allowed(f"/accounts/{account.id}/pages/projects"):
            lacking.append(PAGES)
        if not self._allowed("/zones", {"account.id": account.id}):
            return [*lacking, ZONE, DNS]
        zones = self.api.call("GET", "/zones", params={"account.id": account.id, "per_page": 1})
        if zones and not self._allowed(f"/zones/{zones[0]['id']}/dns_records"):
            lacking.append(DNS)
        return lacking

    def _allowed(self, path: str, params: dict[str, str] | None = None) -> bool:
        try:
            self.api.call("GET", path, params={**(params or {}), "per_page": 1})
        except CloudflareApiError as error:
            if error.refused:
                return False
            raise
        return True

    def token_link(self, missing: list[Permission], account: Choice) -> str:
        return token_link(account.id)

    def variables(self, account: Choice, project: Choice) -> dict[str, str]:
        return {"CLOUDFLARE_ACCOUNT_ID": account.id}

    def close(self) -> None:
        self.api.close()
