"""The emulated Cloudflare API (``/client/v4``): accounts and tokens here; Pages projects,
assets, deployments, custom domains, zones and DNS in the ``cloudflare_*`` modules.

Faithful enough that the real ``wrangler`` 4.86 deploys into it (tests/conformance). Before
answering, every route publishes the deployments whose deploy stage has ended since the last
request (the server runs API handlers one at a time, so no lock is needed here).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ci_deploy_sandbox import app
from ci_deploy_sandbox.cloudflare_assets import Assets, expired_token
from ci_deploy_sandbox.cloudflare_auth import (
    Grant,
    TokenHandler,
    TokenRoute,
    account_json,
    authenticate,
    membership_json,
    require_user_scope,
    user_json,
)
from ci_deploy_sandbox.cloudflare_common import (
    UNKNOWN_ERROR,
    CloudflareErrorReply,
    failure,
    no_route,
    paged,
    success,
)
from ci_deploy_sandbox.cloudflare_context import Context
from ci_deploy_sandbox.cloudflare_deployments import Deployments
from ci_deploy_sandbox.cloudflare_dns import Dns
from ci_deploy_sandbox.cloudflare_domains import Domains
from ci_deploy_sandbox.cloudflare_projects import Projects
from ci_deploy_sandbox.cloudflare_state import CloudflareState
from ci_deploy_sandbox.cloudflare_tokens import verify_account_token, verify_user_token

PREFIX = "/client/v4"


class CloudflareEmulator(app.ApiEmulator):
    name = "cloudflare"
    fault_kinds = ("expired-token",)

    def __init__(self, world: app.World, clock: Callable[[], float] = time.time) -> None:
        super().__init__(world)
        self.router = app.Router(PREFIX)
        self.ctx = Context(world, clock)
        assets = Assets(self.ctx)
        token_routes: list[TokenRoute] = [
            *self._account_routes(),
            *Projects(self.ctx).routes(),
            *assets.token_routes(),
            *Deployments(self.ctx).routes(),
            *Domains(self.ctx).routes(),
            *Dns(self.ctx).routes(),
        ]
        self.router.add(
            "GET", "/user/tokens/verify", "cloudflare.user.verify_token", self._guard(verify_user_token)
        )
        self.router.add(
            "GET",
            "/accounts/{account}/tokens/verify",
            "cloudflare.accounts.verify_token",
            self._guard(verify_account_token),
        )
        for method, pattern, endpoint, handler in token_routes:
            self.router.add(method, pattern, endpoint, self._with_token(handler))
        for method, pattern, endpoint, plain in assets.jwt_routes():
            self.router.add(method, pattern, endpoint, self._guard(plain))

    # --- request plumbing -----------------------------------------------------------------------

    def _guard(self, handler: app.Handler) -> app.Handler:
        """Publish what became ready, then answer; API errors become Cloudflare's envelope."""

        def run(request: app.Request) -> app.Response:
            try:
                self.ctx.settle()
                return handler(request)
            except CloudflareErrorReply as exc:
                return exc.response()

        return run

    def _with_token(self, handler: TokenHandler) -> app.Handler:
        def run(request: app.Request) -> app.Response:
            try:
                self.ctx.settle()
                response = handler(request, authenticate(request))
            except CloudflareErrorReply as exc:
                return exc.response()
            if request.method != "GET":
                self.world.save()
            return response

        return run

    def error(self, request: app.Request, status: int, message: str) -> app.Response:
        if status == 404:
            return no_route(request.path).response()
        if status == 429:
            return failure(
                429, [{"code": 971, "message": "Please wait and consider throttling your request speed"}]
            )
        if status >= 500:
            known = "An unknown error occurred. Contact your account team or Cloudflare support."
            return failure(status, [{"code": UNKNOWN_ERROR, "message": f"{known} ({message})"}])
        return failure(status, [{"code": status, "message": message}])

    def fault(self, kind: str, request: app.Request) -> app.Response:
        if kind == "expired-token":
            return expired_token("The upload token has expired").response()
        return super().fault(kind, request)

    def snapshot(self) -> dict[str, Any]:
        return self.ctx.state.to_json()

    def restore(self, data: dict[str, Any]) -> None:
        self.ctx.state = CloudflareState.from_json(data)
        self.ctx.refresh_all()

    # --- accounts and the token itself ----------------------------------------------------------

    def _account_routes(self) -> list[TokenRoute]:
        return [
            ("GET", "/user", "cloudflare.user.get", self.user),
            ("GET", "/memberships", "cloudflare.memberships.list", self.memberships),
            ("GET", "/accounts", "cloudflare.accounts.list", self.accounts),
            ("GET", "/accounts/{account}", "cloudflare.accounts.get", self.account),
        ]

    def user(self, request: app.Request, grant: Grant) -> app.Response:
        require_user_scope(grant)
        return success(user_json())

    def memberships(self, request: app.Request, grant: Grant) -> app.Response:
        require_user_scope(grant)
        return paged(
            request, [membership_json(grant, account) for account in grant.accounts], per_page_default=20
        )

    def accounts(self, request: app.Request, grant: Grant) -> app.Response:
        return paged(request, [account_json(account) for account in grant.accounts], per_page_default=20)

    def account(self, request: app.Request, grant: Grant) -> app.Response:
        grant.require_account(request.params["account"])
        return success(account_json(request.params["account"]))
