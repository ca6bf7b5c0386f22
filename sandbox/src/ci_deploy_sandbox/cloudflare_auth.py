"""Who a Cloudflare API request is: tokens, the accounts they reach, and what they may do.

The main sandbox token (``identities.CLOUDFLARE_TOKEN``) reaches exactly one account and may do
everything, so a client needs no configuration beyond it. The extra tokens below exist to prove a
client copes with the awkward real cases: a token that sees two accounts (account choice is
ambiguous), an account-scoped token that cannot read ``/memberships`` (wrangler without
``CLOUDFLARE_ACCOUNT_ID`` fails with it), and a token that may read DNS but not edit it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ci_deploy_sandbox import app, identities
from ci_deploy_sandbox.cloudflare_common import CloudflareErrorReply, JsonDict, auth_error

#: a second account, reachable only by :data:`MULTI_ACCOUNT_TOKEN`
SECOND_ACCOUNT_ID = "7e1f0a2b3c4d5e6f7a8b9c0d1e2f3a4b"
SECOND_ACCOUNT_NAME = "Sandbox Second Account"
#: sees the sandbox account and the second one, so "which account?" has no single answer
MULTI_ACCOUNT_TOKEN = "cfsandbox_multi_account_token_0123456789"
#: an account-scoped token: ``/memberships`` and ``/user`` answer 9109, ``/accounts`` works
ACCOUNT_SCOPED_TOKEN = "cfsandbox_account_scoped_token_0123456789"
#: may read zones and DNS records but not write them (403 code 10000 on writes)
DNS_READ_ONLY_TOKEN = "cfsandbox_dns_read_only_token_0123456789"
#: lacks the Pages permission group: every Pages call answers 403 code 10000
NO_PAGES_TOKEN = "cfsandbox_no_pages_token_0123456789"
#: past its ``expires_on``: verify says ``expired``, every other call 403 code 10000
EXPIRED_TOKEN = "cfsandbox_expired_token_0123456789"
#: an account-owned token: verified at ``/accounts/{id}/tokens/verify``, not ``/user/tokens/verify``
ACCOUNT_OWNED_TOKEN = "cfsandbox_account_owned_token_0123456789"

ACCOUNT_NAMES = {
    identities.CLOUDFLARE_ACCOUNT_ID: identities.CLOUDFLARE_ACCOUNT_NAME,
    SECOND_ACCOUNT_ID: SECOND_ACCOUNT_NAME,
}


@dataclass(frozen=True)
class Grant:
    """What one token may do."""

    token_id: str
    accounts: tuple[str, ...]
    user_scope: bool = True  # may read /memberships and /user
    dns_edit: bool = True
    #: endpoint-name prefixes of the permission groups the token lacks (``cloudflare.projects``)
    denied: tuple[str, ...] = ()
    status: str = "active"  # or "expired"
    #: the account that owns an account-owned token (None: a user's token)
    owner_account: str | None = None

    def require_account(self, account_id: str) -> None:
        """A token asking for an account it cannot reach gets what Cloudflare answers: 10000."""
        if account_id not in self.accounts:
            raise auth_error()

    def require_dns_edit(self) -> None:
        if not self.dns_edit:
            raise auth_error()


GRANTS = {
    identities.CLOUDFLARE_TOKEN: Grant(
        "c0ffee00000000000000000000000001", (identities.CLOUDFLARE_ACCOUNT_ID,)
    ),
    MULTI_ACCOUNT_TOKEN: Grant(
        "c0ffee00000000000000000000000002", (identities.CLOUDFLARE_ACCOUNT_ID, SECOND_ACCOUNT_ID)
    ),
    ACCOUNT_SCOPED_TOKEN: Grant(
        "c0ffee00000000000000000000000003", (identities.CLOUDFLARE_ACCOUNT_ID,), user_scope=False
    ),
    DNS_READ_ONLY_TOKEN: Grant(
        "c0ffee00000000000000000000000004", (identities.CLOUDFLARE_ACCOUNT_ID,), dns_edit=False
    ),
    NO_PAGES_TOKEN: Grant(
        "c0ffee00000000000000000000000005",
        (identities.CLOUDFLARE_ACCOUNT_ID,),
        denied=("cloudflare.projects", "cloudflare.deployments", "cloudflare.assets", "cloudflare.domains"),
    ),
    EXPIRED_TOKEN: Grant(
        "c0ffee00000000000000000000000006", (identities.CLOUDFLARE_ACCOUNT_ID,), status="expired"
    ),
    ACCOUNT_OWNED_TOKEN: Grant(
        "c0ffee00000000000000000000000007",
        (identities.CLOUDFLARE_ACCOUNT_ID,),
        user_scope=False,
        owner_account=identities.CLOUDFLARE_ACCOUNT_ID,
    ),
}


def authenticate(request: app.Request) -> Grant:
    """The grant of the request's API token, or Cloudflare's error for a missing/bad one."""
    header = request.headers.get("authorization")
    if header is None:
        if "x-auth-key" in request.headers or "x-auth-email" in request.headers:
            # The sandbox has no global API keys: only API tokens.
            raise CloudflareErrorReply(403, 9103, "Unknown X-Auth-Key or X-Auth-Email")
        raise CloudflareErrorReply(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
    token = request.bearer
    if token is None:
        raise CloudflareErrorReply(
            400, 6003, "Invalid request headers", (6111, "Invalid format for Authorization header")
        )
    grant = GRANTS.get(token)
    if grant is None or grant.status != "active" or request.endpoint.startswith(grant.denied):
        raise auth_error()
    return grant


def require_user_scope(grant: Grant) -> None:
    if not grant.user_scope:
        raise CloudflareErrorReply(403, 9109, "Unauthorized to access requested resource")


def account_json(account_id: str) -> JsonDict:
    return {
        "id": account_id,
        "name": ACCOUNT_NAMES.get(account_id, account_id),
        "type": "standard",
        "settings": {"enforce_twofactor": False, "api_access_enabled": None, "abuse_contact_email": None},
        "legacy_flags": {},
        "created_on": "2024-01-01T00:00:00.000000Z",
    }


def membership_json(grant: Grant, account_id: str) -> JsonDict:
    account = account_json(account_id)
    return {
        "id": f"{grant.token_id[:24]}{account_id[:8]}",
        "status": "accepted",
        "account": {"id": account_id, "name": account["name"]},
        "roles": ["Administrator"],
        "permissions": {},
    }


def user_json() -> JsonDict:
    return {
        "id": "5ab0c0ffee5ab0c0ffee5ab0c0ffee00",
        "email": identities.CLOUDFLARE_EMAIL,
        "first_name": None,
        "last_name": None,
        "username": "sandbox",
        "suspended": False,
        "two_factor_authentication_enabled": False,
        "has_pro_zones": False,
        "has_business_zones": False,
        "has_enterprise_zones": False,
        "created_on": "2024-01-01T00:00:00.000000Z",
        "modified_on": "2024-01-01T00:00:00.000000Z",
    }


#: a handler of an API-token route: the request and the token's grant
TokenHandler = Callable[[app.Request, Grant], app.Response]
#: (method, path pattern under /client/v4, endpoint name, handler)
TokenRoute = tuple[str, str, str, TokenHandler]
