"""What the parts of the emulated Vercel API share: accounts and scopes, the error envelope,
ids, the in-memory store and the context each part is built on.

Records are kept as plain JSON-able dicts so that :meth:`VercelEmulator.snapshot` is a copy of the
store; keys starting with ``_`` are the sandbox's own bookkeeping and never leave the API.
"""

from __future__ import annotations

import re
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ci_deploy_sandbox import app

JsonDict = dict[str, Any]

#: the suffix every emulated ``*.vercel.app`` host gets instead: loopback by RFC 6761
SITE_SUFFIX = "vercel.localhost"

_ALPHABET = string.ascii_lowercase + string.digits
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


class VercelErrorReply(Exception):
    """An API error, rendered as Vercel's envelope ``{"error": {"code", "message", ...extra}}``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def response(self) -> app.Response:
        return app.Response.json(
            {"error": {"code": self.code, "message": self.message, **self.extra}}, self.status
        )


def not_found(what: str, code: str = "not_found") -> VercelErrorReply:
    return VercelErrorReply(404, code, f"{what} not found")


@dataclass(frozen=True)
class Account:
    """A token and what it may act as: its user, and the teams it is a member of; ``meta`` is the
    token's own record as ``/v5/user/tokens/current`` answers it (``expiresAt`` is enforced)."""

    token: str
    user: JsonDict
    teams: tuple[JsonDict, ...] = ()
    meta: JsonDict = field(default_factory=dict)

    @property
    def expires_at(self) -> int | None:
        """When the token stops working (ms), or None when it does not expire."""
        value = self.meta.get("expiresAt")
        return int(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class Scope:
    """Who a request acts as: the token's user, and the team (``teamId``/``slug``) if any."""

    account: Account
    team: JsonDict | None

    @property
    def owner_id(self) -> str:
        return str(self.team["id"] if self.team else self.account.user["id"])

    @property
    def slug(self) -> str:
        """The scope name used in deployment hosts and inspector URLs."""
        return str(self.team["slug"] if self.team else self.account.user["username"])

    @property
    def namespace(self) -> str:
        """The blob namespace of uploaded files: uploads are shared per team or user."""
        return f"vercel/{self.owner_id}"


@dataclass
class VercelStore:
    """Everything the API knows, keyed by id (aliases by host)."""

    projects: dict[str, JsonDict] = field(default_factory=dict)
    deployments: dict[str, JsonDict] = field(default_factory=dict)
    aliases: dict[str, JsonDict] = field(default_factory=dict)
    last_created: int = 0
    #: the domains of each account (``/v7/domains``), by id; project domains live on the project
    domains: dict[str, JsonDict] = field(default_factory=dict)
    #: tokens made with ``POST /v3/user/tokens``, by id (the bearer kept only as its sha256)
    tokens: dict[str, JsonDict] = field(default_factory=dict)

    def to_json(self) -> JsonDict:
        return {
            "projects": self.projects,
            "deployments": self.deployments,
            "aliases": self.aliases,
            "last_created": self.last_created,
            "domains": self.domains,
            "tokens": self.tokens,
        }

    @classmethod
    def from_json(cls, data: JsonDict) -> VercelStore:
        return cls(
            dict(data.get("projects", {})),
            dict(data.get("deployments", {})),
            dict(data.get("aliases", {})),
            int(data.get("last_created", 0)),
            dict(data.get("domains", {})),
            dict(data.get("tokens", {})),
        )


@dataclass
class Context:
    """The world, the store and the clock, shared by every part of the API."""

    world: app.World
    store: VercelStore
    clock: Callable[[], float] = time.time
    #: ``wake(at_ms)``: have :meth:`Lifecycle.settle` run at that time even if no request comes
    wake: Callable[[int], None] = lambda at_ms: None

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def created_ms(self) -> int:
        """A creation timestamp, strictly increasing so ``until`` pagination never skips a record."""
        self.store.last_created = max(self.now_ms(), self.store.last_created + 1)
        return self.store.last_created

    def setting(self, name: str, default: Any) -> Any:
        value = self.world.setting(name, default)
        return default if value is None else value

    def take_build_failure(self) -> bool:
        """Whether this build should fail: ``vercel.fail_next_builds`` counts down to zero."""
        wanted = int(self.setting("vercel.fail_next_builds", 0) or 0)
        if wanted <= 0:
            return False
        self.world.set_setting("vercel.fail_next_builds", wanted - 1)
        return True


def new_id(prefix: str, length: int = 24) -> str:
    """An id in Vercel's style: ``dpl_``/``prj_``/``env`` prefix and random alphanumerics."""
    chars = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(chars) for _ in range(length))


def random_label(length: int = 9) -> str:
    """The random part of a deployment host (lowercase, as DNS labels are)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def slugify(text: str) -> str:
    """A git branch as Vercel puts it into a host label: lowercase, runs of other characters
    become one ``-``."""
    return _SLUG_UNSAFE.sub("-", text.lower()).strip("-")


def site_host(label: str) -> str:
    return f"{label}.{SITE_SUFFIX}"


def body_json(request: app.Request) -> Any:
    """The request's JSON body, or a 400 in Vercel's envelope when it is not JSON."""
    try:
        return request.json()
    except ValueError as exc:
        raise VercelErrorReply(400, "bad_request", f"Invalid JSON body: {exc}") from exc


def body_object(request: app.Request) -> JsonDict:
    payload = body_json(request)
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise VercelErrorReply(400, "bad_request", "The request body must be a JSON object")
    return payload


def int_arg(request: app.Request, name: str, default: int) -> int:
    """An integer query parameter; a malformed one is the client's 400, not a crash."""
    value = request.arg(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise VercelErrorReply(400, "bad_request", f"`{name}` must be an integer, not {value!r}") from None


def public(record: JsonDict) -> JsonDict:
    """A record without the sandbox's bookkeeping keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
