"""What the parts of the emulated GitHub REST API share: tokens and what they may do, the error
envelope, ids and times, the store, and ``Link``-header pagination.

Records are plain JSON-able dicts so :meth:`GitHubEmulator.snapshot` is a copy of the store.
"""

from __future__ import annotations

import copy
import math
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from ci_deploy_sandbox import app, github_objects, identities

JsonDict = dict[str, Any]

DOCS = "https://docs.github.com/rest"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100

#: a read-only installation token, as a fork's or Dependabot's pull request gets
READ_ONLY_TOKEN = "ghs_sandboxReadOnlyToken0123456789abcd"


class GitHubErrorReply(Exception):
    """An API error, rendered as GitHub's envelope ``{"message", "documentation_url", "status"}``
    (plus ``errors[]`` for a 422)."""

    def __init__(self, status: int, message: str, errors: list[JsonDict] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def response(self) -> app.Response:
        return self.response_with([])

    def response_with(self, headers: list[tuple[str, str]]) -> app.Response:
        body: JsonDict = {"message": self.message, "documentation_url": DOCS, "status": str(self.status)}
        if self.errors is not None:
            body["errors"] = self.errors
        return app.Response.json(body, self.status, headers)


def not_found() -> GitHubErrorReply:
    return GitHubErrorReply(404, "Not Found")


def invalid(resource: str, field: str, code: str = "invalid", message: str = "") -> GitHubErrorReply:
    """A 422 whose ``errors[]`` names ``field``, the way GitHub reports validation failures."""
    entry: JsonDict = {"resource": resource, "field": field, "code": code}
    if message:
        entry["message"] = message
    return GitHubErrorReply(422, "Validation Failed", [entry])


@dataclass(frozen=True)
class Principal:
    """A token and what it acts as. ``permissions`` maps a scope (``pull_requests``,
    ``deployments``, ``actions``, ``issues``) to ``read`` or ``write``; None grants write on all."""

    token: str
    login: str
    user_id: int
    user_type: str = "User"
    can_read_user: bool = True
    permissions: dict[str, str] | None = None

    def allows(self, scope: str, level: str) -> bool:
        if self.permissions is None:
            return True
        granted = self.permissions.get(scope, "none")
        return granted == "write" or (granted == "read" and level == "read")

    @property
    def denial(self) -> str:
        """What GitHub says when this kind of token lacks a permission."""
        if self.token.startswith("ghs_"):
            return "Resource not accessible by integration"
        return "Resource not accessible by personal access token"

    def user(self) -> JsonDict:
        """What the store keeps of this user; answers show it as a full ``simple-user``."""
        return github_objects.stored_user(self.login, self.user_id, self.user_type)


def default_principals() -> list[Principal]:
    """The sandbox's fixed tokens: the workflow token (a Bot that cannot ``GET /user``), a
    personal token, and a read-only workflow token."""
    read_only = {"pull_requests": "read", "deployments": "read", "actions": "read", "issues": "read"}
    return [
        Principal(identities.GITHUB_TOKEN, identities.GITHUB_BOT_LOGIN, 41898282, "Bot", can_read_user=False),
        Principal(identities.GITHUB_PAT, identities.GITHUB_USER_LOGIN, 1001, "User"),
        Principal(READ_ONLY_TOKEN, identities.GITHUB_BOT_LOGIN, 41898282, "Bot", False, read_only),
    ]


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """The API's whole state: repositories (created on first use), ids, seeded tokens."""

    def __init__(self) -> None:
        self.data: JsonDict = {
            "next_id": 1000,
            "repos": {},
            "tokens": [],
            "signing_key": secrets.token_hex(16),
        }

    def new_id(self) -> int:
        self.data["next_id"] += 1
        return int(self.data["next_id"])

    def repo(self, full_name: str) -> JsonDict:
        repos: dict[str, JsonDict] = self.data["repos"]
        if full_name not in repos:
            repos[full_name] = {
                "id": self.new_id(),
                "full_name": full_name,
                "created_at": now(),
                "pulls": {},
                "comments": [],
                "deployments": [],
                "statuses": {},
                "artifacts": [],
            }
        return repos[full_name]

    def principals(self) -> dict[str, Principal]:
        seeded = [Principal(**item) for item in self.data["tokens"]]
        return {p.token: p for p in [*default_principals(), *seeded]}

    def add_principal(self, principal: Principal) -> None:
        self.data["tokens"] = [t for t in self.data["tokens"] if t["token"] != principal.token]
        self.data["tokens"].append(asdict(principal))

    def snapshot(self) -> JsonDict:
        return copy.deepcopy(self.data)

    def restore(self, data: JsonDict) -> None:
        self.data = {**Store().data, **copy.deepcopy(data)}


@dataclass
class Context:
    """One authenticated request: who sent it and the repository it addresses."""

    request: app.Request
    principal: Principal
    repo: JsonDict
    store: Store

    @property
    def api_base(self) -> str:
        return f"{self.request.origin}/api/v3/repos/{self.repo['full_name']}"


def per_page(request: app.Request) -> int:
    value = request.arg("per_page") or str(DEFAULT_PER_PAGE)
    return max(1, min(MAX_PER_PAGE, int(value))) if value.isdigit() else DEFAULT_PER_PAGE


def page_of(request: app.Request, items: list[JsonDict]) -> tuple[list[JsonDict], list[tuple[str, str]]]:
    """One page of ``items`` (``per_page``, ``page``) and GitHub's ``Link`` header for it:
    next/last and prev/first, each URL the request's own with only ``page`` changed."""
    size = per_page(request)
    page_arg = request.arg("page") or "1"
    page = max(1, int(page_arg)) if page_arg.isdigit() else 1
    last = max(1, math.ceil(len(items) / size))
    rels = [("next", page + 1), ("last", last)] if page < last else []
    if page > 1:
        rels += [("prev", page - 1), ("first", 1)]
    links = []
    for rel, number in rels:
        query = {k: v[0] for k, v in request.query.items() if k != "page"}
        query["page"] = str(number)
        links.append(f'<{request.origin}{request.path}?{urlencode(query)}>; rel="{rel}"')
    headers = [("Link", ", ".join(links))] if links else []
    return items[(page - 1) * size : page * size], headers


def paginate(request: app.Request, items: list[JsonDict]) -> app.Response:
    """A JSON list answer of one page of ``items``, with its ``Link`` header."""
    shown, headers = page_of(request, items)
    return app.Response.json(shown, headers=headers)


def public_comment(comment: JsonDict, origin: str = "http://127.0.0.1") -> JsonDict:
    """A stored comment without the sandbox's own bookkeeping (keys starting with ``_``)."""
    base = f"{origin}/api/v3/repos/{comment['_repo']}"
    shown = {k: v for k, v in comment.items() if not k.startswith("_")}
    shown["url"] = f"{base}/issues/comments/{comment['id']}"
    shown["html_url"] = f"{origin}/{comment['_repo']}/pull/{comment['_issue']}#issuecomment-{comment['id']}"
    shown["issue_url"] = f"{base}/issues/{comment['_issue']}"
    shown["user"] = github_objects.simple_user(comment["user"], origin)
    return shown


def comment_body(ctx: Context) -> str:
    try:
        payload = ctx.request.json()
    except ValueError as exc:
        raise GitHubErrorReply(400, "Problems parsing JSON") from exc
    body = payload.get("body") if isinstance(payload, dict) else None
    if not isinstance(body, str) or not body:
        raise invalid("IssueComment", "body", "missing_field")
    if len(body) > 65536:
        raise invalid("IssueComment", "body", "custom", "body is too long (maximum is 65536 characters)")
    return body
