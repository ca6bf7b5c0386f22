"""The sticky PR comment: one per pull request and ``comment-key``, edited in place.

Found by a hidden marker on its first line, across every page of the PR's comments, and only
among comments our own identity wrote — a human who quotes the marker is never edited. A second
hidden line records which commit (and which run start) wrote the current text, so a run for an
older commit, or an older run of the same commit, never overwrites a newer result.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from ci_deploy.github.client import GitHubClient
from ci_deploy.github.errors import PULL_REQUESTS_WRITE, GitHubNotFoundError, interpret

log = logging.getLogger("ci_deploy.github.comments")

#: who writes a workflow's comments: its installation token cannot call ``GET /user``
WORKFLOW_BOT_LOGIN = "github-actions[bot]"
_STAMP = re.compile(r"^<!-- ci-deploy-run sha=(\S*) started=(\S*) state=(\S*) -->$")


@dataclass(frozen=True)
class Identity:
    """The login our comments are authored by."""

    login: str

    def wrote(self, comment: dict[str, Any]) -> bool:
        user = comment.get("user") or {}
        return str(user.get("login", "")).lower() == self.login.lower()


@dataclass(frozen=True)
class RunStamp:
    """Which run wrote a comment's text: the commit, when the run started (ISO 8601 UTC), and
    the state it reported."""

    sha: str
    started_at: str
    state: str = ""


@dataclass(frozen=True)
class PublishResult:
    comment_id: int | None
    action: Literal["created", "updated", "skipped"]
    reason: str = ""


def stamp_time(moment: datetime | None = None) -> str:
    """``moment`` (default now) as the fixed-width UTC text stamps compare by."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def marker(key: str) -> str:
    """The first line of our comment for ``key``. Characters that could end an HTML comment
    early (``>``, ``--``) are escaped so the marker stays hidden and exact."""
    safe = key.strip().replace("%", "%25").replace(">", "%3E").replace(" ", "%20")
    while "--" in safe:
        safe = safe.replace("--", "-%2D")
    return f"<!-- ci-deploy:{safe} -->"


def compose(key: str, stamp: RunStamp, body: str) -> str:
    """The full comment text: marker, run stamp, then the rendered report."""
    state = stamp.state.replace(" ", "-") or "-"
    run = f"<!-- ci-deploy-run sha={stamp.sha} started={stamp.started_at} state={state} -->"
    return f"{marker(key)}\n{run}\n{body}"


def read_stamp(body: str) -> RunStamp | None:
    """The run stamp on a comment's second line, or None (not written by us, or damaged)."""
    lines = body.splitlines()
    found = _STAMP.match(lines[1].strip()) if len(lines) > 1 else None
    if found is None:
        return None
    return RunStamp(found.group(1), found.group(2), found.group(3))


def is_sticky(comment: dict[str, Any], key: str, identity: Identity) -> bool:
    """True when ``comment`` is our sticky comment for ``key``: the marker is its whole first
    line and our identity wrote it."""
    body = str(comment.get("body") or "")
    first = body.split("\n", 1)[0].strip()
    return first == marker(key) and identity.wrote(comment)


def may_overwrite(existing: RunStamp | None, ours: RunStamp, head_sha: str | None) -> tuple[bool, str]:
    """Whether this run may replace the comment's text, and why not. ``head_sha`` is the PR's
    current head (None: do not check, as on cleanup)."""
    if head_sha is not None and ours.sha != head_sha:
        return False, f"commit {ours.sha[:7]} is no longer the head of the pull request ({head_sha[:7]})"
    if existing and existing.sha == ours.sha and existing.started_at > ours.started_at:
        return False, "a later run of the same commit already wrote the comment"
    return True, ""


def _same_run(written: RunStamp, ours: RunStamp) -> bool:
    return (written.sha, written.started_at) == (ours.sha, ours.started_at)


def resolve_identity(client: GitHubClient) -> Identity:
    """Our own login: ``GET /user`` for a personal token; a workflow's installation token gets
    403 there, and its comments are authored by ``github-actions[bot]``."""
    response = client.response("GET", "/user", what="read the token's user (GET /user)")
    if response.status_code in (403, 404):
        return Identity(WORKFLOW_BOT_LOGIN)
    user = interpret(
        response.status_code, response.headers, response.content, what="GET /user", permission=""
    )
    return Identity(str(user["login"]))


def pull_request_head(client: GitHubClient, pr_number: int) -> str:
    """The PR's current head commit sha."""
    pull = client.call(
        "GET",
        f"{client.repo_path}/pulls/{pr_number}",
        what=f"read pull request #{pr_number}",
        permission="pull-requests: read",
    )
    return str(pull["head"]["sha"])


class StickyComment:
    """The sticky comment of one PR and key. Keeps the comment's id between publishes."""

    def __init__(
        self, client: GitHubClient, *, pr_number: int, key: str, identity: Identity | None = None
    ) -> None:
        self.client = client
        self.pr_number = pr_number
        self.key = key
        self._identity = identity
        self.comment_id: int | None = None

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = resolve_identity(self.client)
        return self._identity

    @property
    def _comments_path(self) -> str:
        return f"{self.client.repo_path}/issues/{self.pr_number}/comments"

    def find(self) -> dict[str, Any] | None:
        """Our comment for this key (the oldest, should a race have made two), or None."""
        for comment in self.client.paginate(
            self._comments_path, what=f"list comments of PR #{self.pr_number}", permission=PULL_REQUESTS_WRITE
        ):
            if is_sticky(comment, self.key, self.identity):
                self.comment_id = int(comment["id"])
                return dict(comment)
        return None

    def publish(self, body: str, stamp: RunStamp, *, check_head: bool = True) -> PublishResult:
        """Write ``body`` as this run's state: update our comment, or create it once. With
        ``check_head``, a run whose commit is no longer the PR head writes nothing."""
        head = pull_request_head(self.client, self.pr_number) if check_head else None
        existing = self._current()
        allowed, reason = may_overwrite(read_stamp(str(existing["body"])) if existing else None, stamp, head)
        if not allowed:
            log.info("Not updating the PR comment: %s", reason)
            return PublishResult(self.comment_id, "skipped", reason)
        text = compose(self.key, stamp, body)
        if existing is not None:
            self._edit(int(existing["id"]), text)
            return PublishResult(self.comment_id, "updated")
        created = self.client.create(
            self._comments_path,
            json={"body": text},
            what=f"comment on PR #{self.pr_number}",
            permission=PULL_REQUESTS_WRITE,
            find=lambda: self._find_written(stamp),
        )
        self.comment_id = int(created["id"])
        return self._settle_race(text)

    def _find_written(self, stamp: RunStamp) -> dict[str, Any] | None:
        """After a create whose answer was lost: the comment this very run wrote (our marker and
        this run's stamp), if the create went through."""
        for comment in self.client.paginate(
            self._comments_path, what=f"list comments of PR #{self.pr_number}", permission=PULL_REQUESTS_WRITE
        ):
            written = read_stamp(str(comment.get("body") or ""))
            if (
                is_sticky(comment, self.key, self.identity)
                and written is not None
                and _same_run(written, stamp)
            ):
                return dict(comment)
        return None

    def _current(self) -> dict[str, Any] | None:
        """The comment as it is now: re-read by id when known (another run may have edited it)."""
        if self.comment_id is None:
            return self.find()
        try:
            comment = self.client.call(
                "GET",
                f"{self.client.repo_path}/issues/comments/{self.comment_id}",
                what="read the PR comment",
                permission=PULL_REQUESTS_WRITE,
            )
        except GitHubNotFoundError:
            self.comment_id = None  # deleted meanwhile: look again, else create
            return self.find()
        return dict(comment)

    def _edit(self, comment_id: int, text: str) -> None:
        self.client.call(
            "PATCH",
            f"{self.client.repo_path}/issues/comments/{comment_id}",
            json={"body": text},
            what=f"update the comment on PR #{self.pr_number}",
            permission=PULL_REQUESTS_WRITE,
        )
        self.comment_id = comment_id

    def _settle_race(self, text: str) -> PublishResult:
        """Two runs that both found nothing each create a comment; the one whose comment is not
        the oldest deletes its own and edits the oldest, so a PR keeps exactly one."""
        created = self.comment_id
        oldest = self.find()
        if oldest is None or int(oldest["id"]) == created:
            self.comment_id = created
            return PublishResult(created, "created")
        self.client.call(
            "DELETE",
            f"{self.client.repo_path}/issues/comments/{created}",
            what="delete a duplicate PR comment",
            permission=PULL_REQUESTS_WRITE,
        )
        self._edit(int(oldest["id"]), text)
        return PublishResult(self.comment_id, "updated", "another run had created the comment")
