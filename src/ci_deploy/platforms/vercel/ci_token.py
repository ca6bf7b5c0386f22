"""The lasting Vercel token ``connect`` stores after a device sign-in
(:mod:`ci_deploy.connect.ci_token` says why and when).

``POST /v3/user/tokens`` (``createAuthToken``) with ``{name, expiresAt?}``, and ``teamId`` when
the account is a team, which scopes the token to that team (as the terraform provider's
``vercel_user_token`` does); the personal account's gets none. The answer's ``bearerToken`` is
the value, given this once; ``token.id`` is what revokes it (``DELETE /v3/user/tokens/{id}``,
``vercel tokens rm ID``, or the token page).

Vercel lets only a classic token of the user's own scope make tokens: an OAuth session's is
refused with 403 "Only user authentication tokens can be used to create new tokens." (vercel CLI
58's ``tokens add`` explains that answer the same way). A 401/403 ends ``connect`` with one line
naming the way round it: a token from the token page, given with ``--token-stdin``.

Once the secret holds the new token, the earlier tokens of its name (made by earlier connects
for that same secret, their values stored nowhere else) are revoked (:meth:`revoke_earlier`).

The create is not resent blindly: ``http.send`` retries only a 429; after a lost answer or a 5xx
the tokens of that name made since are looked up and revoked (their value went with the answer),
then it is sent again within the retry budget.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ci_deploy import redaction
from ci_deploy.connect.model import Choice, MintedToken
from ci_deploy.errors import AuthError, PlatformError
from ci_deploy.http import CREATE_RETRY, AmbiguousOutcome
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError, interpret
from ci_deploy.urls import path_segment

log = logging.getLogger(__name__)

TOKEN_FORM = "https://vercel.com/account/settings/tokens"
#: how far before our send a token the lookup finds may say it was made (clocks differ)
LOOKUP_SKEW_MS = 60_000


def _scope(account: Choice) -> dict[str, str]:
    """A team's id puts the call (and the token) in its scope; the personal account has none."""
    return {"teamId": account.id} if account.id.startswith("team_") else {}


class VercelTokenMinter:
    """The :class:`~ci_deploy.connect.model.TokenMinter` of Vercel, with the sign-in's token."""

    def __init__(self, token: str, api_url: str | None) -> None:
        self.api = VercelApi(token, base_url=api_url)

    def create(self, name: str, account: Choice, expires_at_ms: int | None) -> MintedToken:
        body: dict[str, Any] = {"name": name}
        if expires_at_ms is not None:
            body["expiresAt"] = expires_at_ms
        since_ms = time.time() * 1000
        budget = self.api.budget()
        while True:
            try:
                response = self.api.send(
                    "POST", "/v3/user/tokens", params=_scope(account), scoped=False, json=body,
                    idempotent=False, retry=CREATE_RETRY,
                )  # fmt: skip
            except AmbiguousOutcome as exc:
                reason = f"the connection failed ({type(exc.cause).__name__})"
            else:
                if response.status_code < 500:
                    return self._made(response.status_code, response.content, account)
                reason = f"HTTP {response.status_code}"
            self._revoke_made_since(name, since_ms)
            if not budget.wait(f"create the token for CI: {reason}"):
                raise PlatformError(
                    f"Vercel did not make the token for CI ({reason}): nothing was stored; "
                    "run connect again later"
                )

    def _made(self, status: int, content: bytes, account: Choice) -> MintedToken:
        try:
            answer = interpret(status, content)
        except VercelApiError as error:
            if error.status in (401, 403):
                raise AuthError(
                    f"Vercel refused to make a token for CI with the sign-in ({error.message}): "
                    f"create a token at {TOKEN_FORM} (Scope: {account.name}) and pass it with "
                    "--token-stdin (or VERCEL_TOKEN); nothing was written"
                ) from None
            raise PlatformError(f"Vercel did not make the token for CI: {error.described}") from None
        record = answer.get("token") if isinstance(answer, dict) else None
        value = answer.get("bearerToken") if isinstance(answer, dict) else None
        if not isinstance(value, str) or not value or not isinstance(record, dict) or not record.get("id"):
            raise PlatformError("Vercel's answer to making the token for CI has no token value and id")
        redaction.register(value)
        expires = record.get("expiresAt")
        token_id = str(record["id"])
        return MintedToken(
            value=value,
            id=token_id,
            name=str(record.get("name", "")),
            expires_at_ms=int(expires) if isinstance(expires, int | float) else None,
            kind="Vercel token",
            revoke=f"delete it at {TOKEN_FORM}, or run `vercel tokens rm {token_id}`",
            tokens_page=TOKEN_FORM,
        )

    def _revoke_made_since(self, name: str, since_ms: float) -> None:
        """Revoke the tokens named ``name`` made since ``since_ms``: a create whose answer was
        lost may have made one, and without its value it is only a loose credential."""
        for token in self._named(name):
            created = token.get("createdAt")
            if isinstance(created, int | float) and created >= since_ms - LOOKUP_SKEW_MS:
                log.info("revoking token %s: made by a create whose answer was lost", token.get("id"))
                self._delete(str(token["id"]))

    def revoke_earlier(self, kept: MintedToken) -> list[str]:
        """Revoke the other tokens named as ``kept``: earlier connects made them for the secret
        that now holds ``kept``, so their values are in no secret any more, whichever team each
        was made for."""
        revoked = []
        for token in self._named(kept.name):
            if str(token["id"]) != kept.id:
                self._delete(str(token["id"]))
                revoked.append(str(token["id"]))
        return revoked

    def _named(self, name: str) -> list[dict[str, Any]]:
        """The user's tokens called ``name`` (the list answers every scope's)."""
        listed = self.api.call("GET", "/v5/user/tokens", scoped=False)
        tokens = listed.get("tokens", []) if isinstance(listed, dict) else []
        return [t for t in tokens if isinstance(t, dict) and t.get("name") == name and t.get("id")]

    def _delete(self, token_id: str) -> None:
        """A token is the user's, whatever its scope: ``deleteAuthToken`` takes no team."""
        self.api.call("DELETE", f"/v3/user/tokens/{path_segment(token_id)}", scoped=False)

    def revoke(self, token: MintedToken) -> None:
        self._delete(token.id)

    def close(self) -> None:
        self.api.close()
