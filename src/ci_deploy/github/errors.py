"""GitHub's part of the exception tree, and the pure functions that turn a response into one.

Interpretation is kept apart from I/O (as gidgethub does): :func:`interpret` looks only at
(status, headers, body), so every branch is unit-tested without a network. Each error names
what we were doing and, for 403/404, the ``permissions:`` entry the job is missing — a bare
"Resource not accessible by integration" tells a user nothing about what to change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ci_deploy.errors import AuthError, CiDeployError
from ci_deploy.foreign_text import FOREIGN_LIMIT, one_line

PULL_REQUESTS_WRITE = "pull-requests: write"
DEPLOYMENTS_WRITE = "deployments: write"
ACTIONS_READ = "actions: read"


class GitHubError(CiDeployError):
    """GitHub answered with an error after retries. ``status`` is the HTTP status, if any."""

    def __init__(
        self, message: str, *, status: int | None = None, input_name: str | None = None, details: str = ""
    ) -> None:
        super().__init__(message, input_name=input_name, details=details)
        self.status = status


class GitHubAuthError(GitHubError, AuthError):
    """401: the token itself was refused (expired, revoked, mistyped)."""


class GitHubPermissionError(GitHubError, AuthError):
    """403 (or 404, GitHub's answer for what a token may not see): the token lacks
    ``permission``. A read-only token (fork or Dependabot PR) ends up here too."""

    def __init__(self, message: str, *, permission: str, status: int | None = None) -> None:
        super().__init__(message, status=status, input_name="github-token")
        self.permission = permission


class GitHubNotFoundError(GitHubPermissionError):
    """404: the thing does not exist, or the token may not see it — GitHub does not tell which."""


class GitHubValidationError(GitHubError):
    """422: GitHub refused the request body; ``fields`` are the ones its ``errors[]`` named."""

    def __init__(self, message: str, *, fields: tuple[str, ...], status: int = 422) -> None:
        super().__init__(message, status=status)
        self.fields = fields


class GitHubRateLimitError(GitHubError):
    """Still rate-limited once the retry budget (which honours the wait hints) was spent."""


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def parse_body(body: bytes) -> Any:
    """The JSON of ``body``, or None when it is empty or not JSON (an HTML error page)."""
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the decoder goes
        return None


def error_message(body: bytes) -> str:
    """GitHub's ``message`` field, or the start of a non-JSON body, as one bounded line."""
    payload = parse_body(body)
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return one_line(payload["message"], FOREIGN_LIMIT)
    return one_line(body[:200].decode("utf-8", "replace"), 200)


def is_rate_limited(status: int, headers: Mapping[str, str], body: bytes = b"") -> bool:
    """429, or a 403 that says "rate limit" by header (primary) or by message (secondary)."""
    if status == 429:
        return True
    if status != 403:
        return False
    lower = _lower(headers)
    if "retry-after" in lower or lower.get("x-ratelimit-remaining") == "0":
        return True
    return "rate limit" in error_message(body).lower()


def validation_fields(body: bytes) -> tuple[str, ...]:
    """The ``field`` of each entry of a 422's ``errors[]`` (entries may also be plain strings)."""
    payload = parse_body(body)
    entries = payload.get("errors", []) if isinstance(payload, dict) else []
    fields: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("field"):
            fields.append(str(entry["field"]))
    return tuple(fields)


def _validation_detail(body: bytes) -> str:
    payload = parse_body(body)
    entries = payload.get("errors", []) if isinstance(payload, dict) else []
    parts = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            what = entry.get("field") or entry.get("resource") or "request"
            parts.append(f"{what}: {entry.get('message') or entry.get('code') or 'invalid'}")
        else:
            parts.append(str(entry))
    return one_line("; ".join(parts), FOREIGN_LIMIT)


def interpret(status: int, headers: Mapping[str, str], body: bytes, *, what: str, permission: str) -> Any:
    """The parsed JSON of a 2xx answer to ``what`` (None when empty), else the matching error.

    ``permission`` is the job permission that call needs; it is named in 403/404 messages.
    """
    if 200 <= status < 300:
        return parse_body(body)
    message = error_message(body)
    if status == 401:
        raise GitHubAuthError(
            f"{what}: GitHub refused the token (401 {message}); check input 'github-token'",
            status=status,
            input_name="github-token",
        )
    if is_rate_limited(status, headers, body):
        raise GitHubRateLimitError(
            f"{what}: GitHub's rate limit is exhausted ({status} {message})", status=status
        )
    if status == 403:
        raise GitHubPermissionError(
            f"{what}: GitHub answered 403 ({message}): the token lacks `{permission}`. Add "
            f"`{permission}` to the job's `permissions:` block (a fork or Dependabot pull request "
            "only ever gets a read-only token)",
            permission=permission,
            status=status,
        )
    if status == 404:
        raise GitHubNotFoundError(
            f"{what}: GitHub answered 404 ({message}): it does not exist, or the token lacks "
            f"`{permission}` (add it to the job's `permissions:` block)",
            permission=permission,
            status=status,
        )
    if status == 422:
        detail = _validation_detail(body)
        suffix = f": {detail}" if detail else ""
        raise GitHubValidationError(
            f"{what}: GitHub refused it (422 {message}){suffix}", fields=validation_fields(body)
        )
    raise GitHubError(f"{what}: GitHub answered {status} ({message})", status=status)
