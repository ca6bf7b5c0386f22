"""Vercel's access tokens, the ``authentication`` operations of the official description:

- ``POST /v3/user/tokens`` (``createAuthToken``) ``{name, expiresAt?}`` -> ``{token: {id, name,
  type, origin, scopes, activeAt, createdAt, expiresAt?}, bearerToken}``. With ``teamId``/``slug``
  the token is of that team's scope (``scopes: [{type: "team", teamId}]``, as the terraform
  provider's ``vercel_user_token`` uses it), else of the user's. The value is in this answer
  only, and works on every route at once;
- ``GET /v5/user/tokens`` (``listAuthTokens``; vercel CLI 58's ``tokens ls`` reads ``/v6``, the
  same list here) and ``GET /v5/user/tokens/{id}`` (``getAuthToken``; the id ``current`` is the
  request's own token);
- ``DELETE /v3/user/tokens/{id}`` (``deleteAuthToken``; ``current`` too) -> ``{tokenId}``; the
  token is refused from then on. The sandbox's fixed token cannot be revoked (404).

As on Vercel, only a classic token of the user's own scope may create tokens: a device sign-in's
token (``type: oauth2-token``) is refused with 403 "Only user authentication tokens can be used to
create new tokens." (the answer vercel CLI 58's ``tokens add`` recognises, and what Vercel says to
an OAuth session) unless the setting ``vercel.oauth_creates_tokens`` is true; a team-scoped token
is refused with 403 "To create a token you must be authenticated to scope ..." (the prefix the CLI
recognises; the rest is the sandbox's wording). Made tokens persist with the state, the bearer
only as its sha256; an expired or revoked token never gets past the front door.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ci_deploy_sandbox import app
from ci_deploy_sandbox.vercel_common import (
    Account,
    Context,
    JsonDict,
    Scope,
    VercelErrorReply,
    body_object,
    new_id,
    public,
)

_CREATED = 1_700_000_000_000
OAUTH_TOKEN_TYPE = "oauth2-token"
REFUSED_OAUTH = "Only user authentication tokens can be used to create new tokens."
_FIELDS = ("name", "expiresAt")


def fingerprint(bearer: str) -> str:
    return hashlib.sha256(bearer.encode("utf-8")).hexdigest()


def fixed_meta(user_id: str) -> JsonDict:
    """The record of a token the sandbox was started with (made by hand, never expires)."""
    return {
        "id": f"tok_{user_id[-12:]}",
        "name": "sandbox",
        "type": "token",
        "origin": "manual",
        "activeAt": _CREATED,
        "createdAt": _CREATED,
        "scopes": [{"type": "user", "origin": "manual", "createdAt": _CREATED}],
    }


def signed_in_meta(client_id: str, now_ms: int, lifetime_s: int) -> JsonDict:
    """The record of a device sign-in's access token: an OAuth token that expires."""
    expires = now_ms + lifetime_s * 1000
    return {
        "id": new_id("tok_"),
        "name": client_id,
        "type": OAUTH_TOKEN_TYPE,
        "origin": "app",
        "activeAt": now_ms,
        "createdAt": now_ms,
        "expiresAt": expires,
        "scopes": [{"type": "user", "origin": "app", "createdAt": now_ms, "expiresAt": expires}],
    }


def _forbidden(message: str) -> VercelErrorReply:
    return VercelErrorReply(403, "forbidden", message)


def _invalid(message: str) -> VercelErrorReply:
    return VercelErrorReply(400, "bad_request", f"Invalid request: {message}")


class Tokens:
    """The token routes (a part of :class:`~ci_deploy_sandbox.vercel.VercelEmulator`).
    ``forget(id)`` revokes a token the emulator keeps outside the store (a device sign-in's);
    it answers False when there is none it may revoke."""

    def __init__(self, ctx: Context, forget: Callable[[str], bool]) -> None:
        self.ctx = ctx
        self.forget = forget

    def routes(self) -> list[tuple[str, str, str, Callable[[app.Request, Scope], app.Response]]]:
        return [
            ("GET", "/v5/user/tokens", "vercel.tokens.list", self.list),
            ("GET", "/v6/user/tokens", "vercel.tokens.list", self.list),
            ("GET", "/v5/user/tokens/{token}", "vercel.tokens.get", self.get),
            ("POST", "/v3/user/tokens", "vercel.tokens.create", self.create),
            ("DELETE", "/v3/user/tokens/{token}", "vercel.tokens.delete", self.delete),
        ]

    def account(self, bearer: str) -> Account | None:
        """The account of a token made here, by its value."""
        digest = fingerprint(bearer)
        for record in self.ctx.store.tokens.values():
            if record.get("_sha256") == digest:
                return Account(bearer, record["_user"], tuple(record["_teams"]), public(record))
        return None

    def _own(self, scope: Scope) -> list[JsonDict]:
        user_id = scope.account.user["id"]
        return [r for r in self.ctx.store.tokens.values() if r["_user"]["id"] == user_id]

    @staticmethod
    def _meta(account: Account) -> JsonDict:
        return account.meta or fixed_meta(str(account.user["id"]))

    def list(self, request: app.Request, scope: Scope) -> app.Response:
        tokens = sorted((public(r) for r in self._own(scope)), key=lambda t: -int(t["createdAt"]))
        current = self._meta(scope.account)
        if all(token["id"] != current["id"] for token in tokens):
            tokens.insert(0, current)
        pagination = {"count": len(tokens), "next": None, "prev": None}
        return app.Response.json({"tokens": tokens, "pagination": pagination})

    def get(self, request: app.Request, scope: Scope) -> app.Response:
        wanted = request.params["token"]
        if wanted == "current":
            return app.Response.json({"token": self._meta(scope.account)})
        for record in self._own(scope):
            if record["id"] == wanted:
                return app.Response.json({"token": public(record)})
        raise VercelErrorReply(404, "not_found", "Token not found")

    def create(self, request: app.Request, scope: Scope) -> app.Response:
        self._may_create(scope.account)
        fields = self._fields(body_object(request))
        now = self.ctx.created_ms()
        kind: JsonDict = {"type": "team", "teamId": scope.team["id"]} if scope.team else {"type": "user"}
        meta = {
            "id": new_id("tok_"),
            "name": fields["name"],
            "type": "token",
            "origin": "manual",
            "scopes": [{**kind, "origin": "manual", "createdAt": now}],
            "activeAt": now,
            "createdAt": now,
            **({"expiresAt": fields["expiresAt"]} if "expiresAt" in fields else {}),
        }
        bearer = new_id("vcp_", 48)
        teams = [scope.team] if scope.team else list(scope.account.teams)
        self.ctx.store.tokens[meta["id"]] = {
            **meta,
            "_sha256": fingerprint(bearer),
            "_user": scope.account.user,
            "_teams": teams,
        }
        return app.Response.json({"token": meta, "bearerToken": bearer})

    def _may_create(self, account: Account) -> None:
        meta = self._meta(account)
        oauth_may = bool(self.ctx.setting("vercel.oauth_creates_tokens", False))
        if meta.get("type") == OAUTH_TOKEN_TYPE and not oauth_may:
            raise _forbidden(REFUSED_OAUTH)
        if not any(s.get("type") == "user" for s in meta.get("scopes", [])):
            raise _forbidden(
                f'To create a token you must be authenticated to scope "{account.user["username"]}": '
                "this token is scoped to a team"
            )

    def _fields(self, body: JsonDict) -> JsonDict:
        """``name`` (required) and ``expiresAt`` (ms, in the future); nothing else, as the
        description's request schema says (``additionalProperties: false``)."""
        for key in body:
            if key not in _FIELDS:
                raise _invalid(f"should NOT have additional property `{key}`.")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _invalid("missing required property `name`.")
        expires = body.get("expiresAt")
        if expires is None:
            return {"name": name}
        if isinstance(expires, bool) or not isinstance(expires, int | float):
            raise _invalid("`expiresAt` should be number.")
        if expires <= self.ctx.now_ms():
            raise _invalid("`expiresAt` must be in the future.")
        return {"name": name, "expiresAt": expires}

    def delete(self, request: app.Request, scope: Scope) -> app.Response:
        wanted = request.params["token"]
        if wanted == "current":
            wanted = str(self._meta(scope.account)["id"])
        for record in self._own(scope):
            if record["id"] == wanted:
                del self.ctx.store.tokens[wanted]
                return app.Response.json({"tokenId": wanted})
        if self.forget(wanted):
            return app.Response.json({"tokenId": wanted})
        raise VercelErrorReply(404, "not_found", "Token not found")
