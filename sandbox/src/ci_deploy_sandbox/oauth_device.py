"""The OAuth 2.0 device authorization grant (RFC 8628) as the sandbox's GitHub and Vercel sign-in
endpoints share it: codes issued, polls answered, and nobody at a browser.

Approval is scripted by settings (``/_sandbox/settings`` or ``Sandbox(settings=...)``), read at
each poll:

- ``oauth.pending_polls`` (default 1): how many polls of a code answer ``authorization_pending``
  before the person "acts";
- ``oauth.result`` (default ``approved``): what they do then: ``approved`` (the poll gets a
  token the emulated API accepts), ``denied`` (``access_denied``) or ``expired``
  (``expired_token``);
- ``oauth.slow_down_poll`` (default 0: never): the number of the poll that answers ``slow_down``
  instead (the interval grows by 5 s, as the RFC says);
- ``oauth.interval`` (default 5) and ``oauth.expires_in`` (default 900) of issued codes.

A code past its ``expires_in`` answers ``expired_token``; a code that got its token is spent
(``invalid_grant``). Codes live in memory: a restarted sandbox forgets them, as a sign-in
abandoned half-way.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from ci_deploy_sandbox import app

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
_USER_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"


@dataclass
class DeviceCode:
    client_id: str
    scope: str
    device_code: str
    user_code: str
    interval: int
    expires_at: float
    polls: int = 0
    spent: bool = False


@dataclass(frozen=True)
class PollAnswer:
    """A token endpoint answer: ``error`` (RFC 8628 code) or the ``token`` issued."""

    error: str = ""
    token: str = ""
    interval: int = 0


def form(request: app.Request) -> dict[str, str]:
    """The request's parameters: a form body, a JSON body, or the query (as GitHub accepts)."""
    fields = {k: v[0] for k, v in request.query.items() if v}
    if request.headers.get("content-type", "").startswith("application/json"):
        body = json.loads(request.body or b"{}")
        return {**fields, **{k: str(v) for k, v in body.items()}} if isinstance(body, dict) else fields
    parsed = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    return {**fields, **{k: v[0] for k, v in parsed.items() if v}}


class DeviceGrants:
    """The device codes of one authorization server; ``issue_token`` mints a token its API
    accepts for an approved code's client id."""

    def __init__(
        self, world: app.World, issue_token: Callable[[str], str], clock: Callable[[], float] = time.time
    ) -> None:
        self.world = world
        self.issue_token = issue_token
        self.clock = clock
        self.codes: dict[str, DeviceCode] = {}
        self.lock = threading.Lock()

    def start(self, client_id: str, scope: str) -> DeviceCode:
        letters = "".join(secrets.choice(_USER_CODE_LETTERS) for _ in range(8))
        code = DeviceCode(
            client_id=client_id,
            scope=scope,
            device_code=secrets.token_hex(20),
            user_code=f"{letters[:4]}-{letters[4:]}",
            interval=int(self.world.setting("oauth.interval", 5)),
            expires_at=self.clock() + int(self.world.setting("oauth.expires_in", 900)),
        )
        with self.lock:
            self.codes[code.device_code] = code
        return code

    def expires_in(self, code: DeviceCode) -> int:
        return max(0, round(code.expires_at - self.clock()))

    def poll(self, client_id: str, device_code: str, grant_type: str) -> PollAnswer:
        """One poll of the token endpoint, decided by the code and the ``oauth.*`` settings."""
        if grant_type != GRANT_TYPE:
            return PollAnswer("unsupported_grant_type")
        with self.lock:
            code = self.codes.get(device_code)
            if code is None or code.client_id != client_id or code.spent:
                return PollAnswer("invalid_grant")
            code.polls += 1
            return self._answer(code)

    def _answer(self, code: DeviceCode) -> PollAnswer:
        if self.clock() >= code.expires_at:
            return PollAnswer("expired_token")
        if code.polls == int(self.world.setting("oauth.slow_down_poll", 0)):
            code.interval += 5
            return PollAnswer("slow_down", interval=code.interval)
        if code.polls <= int(self.world.setting("oauth.pending_polls", 1)):
            return PollAnswer("authorization_pending")
        result = str(self.world.setting("oauth.result", "approved"))
        if result == "denied":
            return PollAnswer("access_denied")
        if result == "expired":
            return PollAnswer("expired_token")
        code.spent = True
        return PollAnswer(token=self.issue_token(code.client_id))


def error_body(error: str, description: str, **more: Any) -> dict[str, Any]:
    return {"error": error, "error_description": description, **more}


DESCRIPTIONS = {
    "authorization_pending": "The authorization request is still pending.",
    "slow_down": "Too many requests have been made in the same timeframe.",
    "expired_token": "The device code has expired.",
    "access_denied": "The authorization request was denied.",
    "unsupported_grant_type": "The grant type is not supported.",
    "invalid_grant": "The device code is not valid.",
}
