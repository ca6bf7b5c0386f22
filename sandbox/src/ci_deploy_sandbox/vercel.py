"""The emulated Vercel REST API, at the root of the sandbox port (the vercel CLI's ``--api``).

This module is the front door: bearer-token auth and the team scope (``teamId``/``slug``) of
every call, the user and team endpoints the CLI calls at startup, file uploads (``/v2/files``,
checked against their sha1), persistence, and the route table of the other parts:
deployments (``vercel_deployments``), their lifecycle (``vercel_lifecycle``) and build log
(``vercel_builds``), aliases and promote/rollback (``vercel_promote``), projects, env vars and
domains (of projects, and of the account: ``vercel_team_domains``), and access tokens
(``vercel_tokens``: made, listed and revoked; an expired or revoked one is refused here).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ci_deploy_sandbox import app, identities, vercel_oauth
from ci_deploy_sandbox.vercel_aliases import Aliases
from ci_deploy_sandbox.vercel_builds import Builds
from ci_deploy_sandbox.vercel_common import Account, Context, JsonDict, Scope, VercelErrorReply, VercelStore
from ci_deploy_sandbox.vercel_deployments import Deployments
from ci_deploy_sandbox.vercel_domains import Domains
from ci_deploy_sandbox.vercel_env import EnvVars
from ci_deploy_sandbox.vercel_lifecycle import Lifecycle
from ci_deploy_sandbox.vercel_projects import Projects
from ci_deploy_sandbox.vercel_promote import Promotions
from ci_deploy_sandbox.vercel_team_domains import TeamDomains
from ci_deploy_sandbox.vercel_tokens import OAUTH_TOKEN_TYPE, Tokens, fixed_meta, signed_in_meta

ScopedHandler = Callable[[app.Request, Scope], app.Response]

_TOKEN = re.compile(r"^\w+$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
#: when the sandbox team was made (and its owner joined it)
_TEAM_CREATED = 1704067200000


def _no_wake(at_ms: int) -> None:
    """Without timers, due state is applied by the next request."""


class _Part(Protocol):
    def routes(self) -> list[tuple[str, str, str, ScopedHandler]]: ...


def default_accounts() -> tuple[Account, ...]:
    """The sandbox's one Vercel token: its user, a member of the sandbox team."""
    team = {"id": identities.VERCEL_TEAM_ID, "slug": identities.VERCEL_TEAM_SLUG, "name": "Sandbox Team"}
    user = {
        "id": identities.VERCEL_USER_ID,
        "uid": identities.VERCEL_USER_ID,
        "username": identities.VERCEL_USERNAME,
        "email": f"{identities.VERCEL_USERNAME}@example.com",
        "name": "Sandbox User",
        "avatar": None,
        "defaultTeamId": None,
        "version": "northstar",
    }
    return (Account(identities.VERCEL_TOKEN, user, (team,), fixed_meta(identities.VERCEL_USER_ID)),)


class VercelEmulator(app.ApiEmulator):
    name = "vercel"

    def __init__(
        self,
        world: app.World,
        accounts: Iterable[Account] | None = None,
        clock: Callable[[], float] = time.time,
        timers: bool = True,
    ) -> None:
        """``timers=False`` (unit tests with a fake clock) leaves settling to the requests."""
        super().__init__(world)
        self.accounts = {a.token: a for a in (accounts if accounts is not None else default_accounts())}
        self.ctx = Context(world, VercelStore(), clock, self._wake if timers else _no_wake)
        self.lock = threading.RLock()
        self.aliases = Aliases(self.ctx)
        self.lifecycle = Lifecycle(self.ctx, self.aliases)
        self.projects = Projects(self.ctx, self.lifecycle)
        self.tokens = Tokens(self.ctx, self._forget)
        parts: list[_Part] = [
            Deployments(self.ctx, self.lifecycle, self.aliases, self.projects),
            Builds(self.lifecycle),
            self.projects,
            EnvVars(self.ctx, self.projects),
            Domains(self.ctx, self.lifecycle, self.projects),
            Promotions(self.lifecycle, self.projects),
            self.tokens,
            TeamDomains(self.ctx),
        ]
        own: list[tuple[str, str, str, ScopedHandler]] = [
            ("GET", "/v2/user", "vercel.user.get", self.user),
            ("GET", "/www/user", "vercel.user.get", self.user),
            ("GET", "/v1/teams", "vercel.teams.list", self.teams),
            ("GET", "/v2/teams", "vercel.teams.list", self.teams),
            ("GET", "/teams/{team}", "vercel.teams.get", self.team),
            ("GET", "/v2/teams/{team}", "vercel.teams.get", self.team),
            ("POST", "/v2/files", "vercel.files.upload", self.upload),
            ("POST", "/v2/now/files", "vercel.files.upload", self.upload),
        ]
        for method, pattern, endpoint, handler in own + [r for part in parts for r in part.routes()]:
            self.router.add(method, pattern, endpoint, self._scoped(handler))
        self.device_login = vercel_oauth.DeviceLogin(world, self._add_signed_in)
        for method, pattern, endpoint, sign_in in self.device_login.routes():
            self.router.add(method, pattern, endpoint, sign_in)

    def _add_signed_in(self, token: str, client_id: str, lifetime_s: int) -> None:
        """A token from the device flow: the first account's user and teams (the sandbox user),
        as an OAuth token that expires after ``lifetime_s``."""
        with self.lock:
            first = next(iter(self.accounts.values()))
            meta = signed_in_meta(client_id, self.ctx.now_ms(), lifetime_s)
            self.accounts[token] = Account(token, first.user, first.teams, meta)

    def _forget(self, token_id: str) -> bool:
        """Revoke a device sign-in's token by its id (the fixed tokens cannot be revoked)."""
        for bearer, account in list(self.accounts.items()):
            if account.meta.get("id") == token_id and account.meta.get("type") == OAUTH_TOKEN_TYPE:
                del self.accounts[bearer]
                return True
        return False

    # --- the front door -------------------------------------------------------------------------

    def error(self, request: app.Request, status: int, message: str) -> app.Response:
        """Vercel's envelope, for unknown routes and injected faults too."""
        code = {404: "not_found", 429: "rate_limited"}.get(status, "internal_server_error")
        if status < 500 and status not in (404, 429):
            code = "bad_request"
        return app.Response.json({"error": {"code": code, "message": message}}, status)

    def _scoped(self, handler: ScopedHandler) -> app.Handler:
        """Wrap a handler with auth, scope, settling of due state, errors and persistence."""

        def run(request: app.Request) -> app.Response:
            with self.lock:
                try:
                    scope = self._scope(request)
                    self.lifecycle.settle()
                    response = handler(request, scope)
                except VercelErrorReply as error:
                    return error.response()
                if request.method != "GET":
                    self.world.save()
                return response

        return run

    def _scope(self, request: app.Request) -> Scope:
        """The token's account and the team named by ``teamId`` or ``slug`` (403 if not a member)."""
        token = request.bearer
        if token is None:
            raise VercelErrorReply(
                403, "forbidden", "The request is missing an authentication token", missingToken=True
            )
        account = (self.accounts.get(token) or self.tokens.account(token)) if _TOKEN.match(token) else None
        if account is None or (account.expires_at is not None and account.expires_at <= self.ctx.now_ms()):
            raise VercelErrorReply(403, "forbidden", "The specified token is not valid", invalidToken=True)
        team_id, slug = request.arg("teamId"), request.arg("slug")
        if not team_id and not slug:
            return Scope(account, None)
        for team in account.teams:
            if team_id in (team["id"], team["slug"]) or (not team_id and slug == team["slug"]):
                return Scope(account, team)
        if team_id == account.user["id"]:
            return Scope(account, None)
        raise VercelErrorReply(
            403, "forbidden", f"Not authorized: this token has no access to the team {team_id or slug}"
        )

    def _wake(self, at_ms: int) -> None:
        """Settle at ``at_ms`` on a timer thread, so a build becomes READY (and its aliases move)
        on time even when no client polls. Settling reads no settings, so it needs only our lock."""

        def settle() -> None:
            with self.lock:
                self.lifecycle.settle()
            self.world.save()

        timer = threading.Timer(max(0.0, at_ms / 1000 - self.ctx.clock()) + 0.001, settle)
        timer.daemon = True
        timer.start()

    # --- user and teams -------------------------------------------------------------------------

    def user(self, request: app.Request, scope: Scope) -> app.Response:
        """The full user (a token with every privilege): a Hobby account with no soft block."""
        account: JsonDict = {
            "createdAt": 1704067200000,
            "softBlock": None,
            "billing": None,
            "resourceConfig": {},
        }
        more = {"stagingPrefix": scope.account.user["username"], "hasTrialAvailable": False}
        return app.Response.json({"user": {**scope.account.user, **account, **more}})

    def teams(self, request: app.Request, scope: Scope) -> app.Response:
        teams = [self._team_view(t, scope.account.user) for t in scope.account.teams]
        return app.Response.json(
            {"teams": teams, "pagination": {"count": len(teams), "next": None, "prev": None}}
        )

    def team(self, request: app.Request, scope: Scope) -> app.Response:
        wanted = request.params["team"]
        for team in scope.account.teams:
            if wanted in (team["id"], team["slug"]):
                return app.Response.json(self._team_view(team, scope.account.user))
        raise VercelErrorReply(
            403, "forbidden", f"Not authorized: this token has no access to the team {wanted}"
        )

    def _team_view(self, team: JsonDict, user: JsonDict) -> JsonDict:
        """The full team (the description's ``Team``, not ``TeamLimited``): the user owns it."""
        membership = {
            "role": "OWNER",
            "confirmed": True,
            "created": _TEAM_CREATED,
            "createdAt": _TEAM_CREATED,
        }
        made = {"creatorId": user["id"], "createdAt": _TEAM_CREATED, "updatedAt": _TEAM_CREATED}
        about = {"description": None, "stagingPrefix": team["slug"], "avatar": None}
        return {**team, **made, **about, "membership": membership, "limited": False}

    # --- files ---------------------------------------------------------------------------------

    def upload(self, request: app.Request, scope: Scope) -> app.Response:
        """Store a file under its sha1 for the scope. The digest header must match the body."""
        digest = (request.headers.get("x-vercel-digest") or request.headers.get("x-now-digest") or "").lower()
        if not digest:
            raise VercelErrorReply(400, "missing_digest", "File digest missing")
        actual = hashlib.sha1(request.body).hexdigest()
        if not _SHA1.match(digest) or digest != actual:
            raise VercelErrorReply(
                400,
                "invalid_sha1",
                f"SHA1 sum of the file ({actual}) doesn't match the provided SHA1 sum ({digest})",
            )
        size = request.headers.get("x-now-size") or request.headers.get("x-vercel-size")
        if size is not None and size.strip() != str(len(request.body)):
            raise VercelErrorReply(400, "invalid_size", f"The file has {len(request.body)} bytes, not {size}")
        self.ctx.world.blobs.put(scope.namespace, digest, request.body)
        self.world.count("files_uploaded")
        self.world.count("bytes_uploaded", len(request.body))
        return app.Response.json({})

    # --- persistence ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            data = {"store": self.ctx.store.to_json()}
            copied: dict[str, Any] = json.loads(json.dumps(data))  # the writer runs after we unlock
            return copied

    def restore(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.ctx.store = VercelStore.from_json(data.get("store", {}))
            self.aliases.republish()
