"""The emulated GitHub REST API (``GITHUB_API_URL`` = ``http://127.0.0.1:<port>/api/v3``, the
GitHub Enterprise layout): the calls the action makes, with realistic tokens.

The workflow token cannot call ``GET /user`` and writes as ``github-actions[bot]``; a personal
token is a user; a read-only token gets "Resource not accessible by integration" on every write.
Comments carry their author and only the author may edit them; listings paginate with ``Link``
headers. Deployments live in ``github_deployments``; run artifacts and their download host
(another host, which refuses a request carrying ``Authorization``) in ``github_artifacts``.
Repositories appear on first use; pull requests, other people's comments and artifacts are
seeded through the Python methods below (tests, demos).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from ci_deploy_sandbox import (
    app,
    github_artifacts,
    github_comments,
    github_deployments,
    github_oauth,
    github_objects,
    github_secrets,
    identities,
)
from ci_deploy_sandbox.github_common import (
    Context,
    GitHubErrorReply,
    JsonDict,
    Principal,
    Store,
    not_found,
    now,
    public_comment,
)

PREFIX = "/api/v3"
SUPPORTED_VERSIONS = ("2022-11-28", "2026-03-10")
ContextHandler = Callable[[Context], app.Response]


class GitHubRouter(app.Router):
    """Routes the API under ``/api/v3``, and requests for the artifact host and the server host
    (device sign-in, :mod:`~ci_deploy_sandbox.github_oauth`) by their own tables (a signed
    download URL is a different host, as on github.com)."""

    def __init__(self) -> None:
        super().__init__(PREFIX)
        self.download_host = app.Router()
        self.server_host = app.Router()

    def match(self, request: app.Request) -> app.Route | None:
        if request.host == identities.GITHUB_ARTIFACTS_HOST:
            return self.download_host.match(request)
        if request.host == github_oauth.HOST:
            return self.server_host.match(request)
        return super().match(request)


class GitHubEmulator(app.ApiEmulator):
    name = "github"
    hosts = (identities.GITHUB_ARTIFACTS_HOST, github_oauth.HOST)
    #: GitHub's two ways of saying "slow down": an exhausted primary limit (403, remaining 0,
    #: reset time) and a secondary limit (403 with Retry-After) — not the generic 429
    fault_kinds = ("rate-limit", "secondary-rate-limit")

    def __init__(self, world: app.World) -> None:
        super().__init__(world)
        self.store = Store()
        self.router = GitHubRouter()
        repo = "/repos/{owner}/{repo}"
        self.router.add("GET", "/user", "github.users.me", self._me)
        self._route(
            "GET", f"{repo}/pulls/{{number}}", "github.pulls.get", self._get_pull, "pull_requests", "read"
        )
        for method, pattern, endpoint, handler, level in github_comments.ROUTES:
            self._route(method, repo + pattern, endpoint, handler, "pull_requests", level)
        for method, pattern, endpoint, handler, level in github_deployments.ROUTES:
            self._route(method, repo + pattern, endpoint, handler, "deployments", level)
        for method, pattern, endpoint, handler, scope, level in github_secrets.ROUTES:
            self._route(method, repo + pattern, endpoint, handler, scope, level)
        for method, pattern, endpoint, handler in github_artifacts.ROUTES:
            self._route(method, repo + pattern, endpoint, handler, "actions", "read")
        self.router.download_host.add(
            "GET", github_artifacts.DOWNLOAD_PATTERN, "github.artifacts.blob", self._download
        )
        self.device_login = github_oauth.DeviceLogin(world, self.store)
        for method, pattern, endpoint, sign_in in self.device_login.routes():
            self.router.server_host.add(method, pattern, endpoint, sign_in)

    # --- plumbing --------------------------------------------------------------------------

    def error(self, request: app.Request, status: int, message: str) -> app.Response:
        return GitHubErrorReply(status, message).response()

    def fault(self, kind: str, request: app.Request) -> app.Response:
        if kind == "secondary-rate-limit":
            message = (
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            )
            return GitHubErrorReply(403, message).response_with([("Retry-After", "1")])
        reset = str(int(time.time()) + 1)
        limits = [("X-RateLimit-Limit", "5000"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", reset)]
        return GitHubErrorReply(403, "API rate limit exceeded for installation.").response_with(limits)

    def _authenticate(self, request: app.Request) -> Principal:
        version = request.headers.get("x-github-api-version")
        if version and version not in SUPPORTED_VERSIONS:
            raise GitHubErrorReply(400, f"API version {version} is not supported.")
        token = request.bearer
        if token is None and request.headers.get("authorization", "").lower().startswith("token "):
            token = request.headers["authorization"][6:].strip()
        if not token:
            raise GitHubErrorReply(401, "Requires authentication")
        principal = self.store.principals().get(token)
        if principal is None:
            raise GitHubErrorReply(401, "Bad credentials")
        return principal

    def _route(
        self, method: str, pattern: str, endpoint: str, handler: ContextHandler, scope: str, level: str
    ) -> None:
        """Register ``handler`` behind authentication and the ``scope: level`` permission."""

        def guarded(request: app.Request) -> app.Response:
            try:
                principal = self._authenticate(request)
                if not principal.allows(scope, level):
                    raise GitHubErrorReply(403, principal.denial)
                repo = self.store.repo(f"{request.params['owner']}/{request.params['repo']}")
                response = handler(Context(request, principal, repo, self.store))
            except GitHubErrorReply as exc:
                return exc.response()
            if request.method != "GET":
                self.world.save()
            return response

        self.router.add(method, pattern, endpoint, guarded)

    def _me(self, request: app.Request) -> app.Response:
        try:
            principal = self._authenticate(request)
        except GitHubErrorReply as exc:
            return exc.response()
        if not principal.can_read_user:
            return GitHubErrorReply(403, principal.denial).response()
        return app.Response.json(github_objects.simple_user(principal.user(), request.origin))

    def _download(self, request: app.Request) -> app.Response:
        return github_artifacts.download(self.store, request, self.world.blobs)

    # --- pull requests and comments --------------------------------------------------------

    def _get_pull(self, ctx: Context) -> app.Response:
        pull = ctx.repo["pulls"].get(ctx.request.params["number"])
        if pull is None:
            raise not_found()
        head_repo = self.store.repo(pull["head"]["repo"])
        return app.Response.json(github_objects.pull_request(pull, ctx.repo, head_repo, ctx.request.origin))

    # --- seeding (tests and demos) ---------------------------------------------------------

    def seed_pull_request(
        self,
        repository: str,
        number: int,
        *,
        head_sha: str,
        head_ref: str = "feature",
        base_ref: str = "main",
        state: str = "open",
        head_repository: str | None = None,
    ) -> JsonDict:
        """Create or update a pull request (a push to it changes ``head_sha``)."""
        repo = self.store.repo(repository)
        head_repo = self.store.repo(head_repository or repository)["full_name"]
        earlier = repo["pulls"].get(str(number)) or {"id": self.store.new_id(), "created_at": now()}
        pull = {
            "id": earlier["id"],
            "number": number,
            "state": state,
            "title": f"Pull request #{number}",
            "user": Principal("", "octocat", 5000 + len("octocat"), "User").user(),
            "head": {"ref": head_ref, "sha": head_sha, "repo": head_repo},
            "base": {"ref": base_ref, "sha": hashlib.sha1(f"{repository}:{base_ref}".encode()).hexdigest()},
            "merged": False,
            "created_at": earlier["created_at"],
            "updated_at": now(),
        }
        repo["pulls"][str(number)] = pull
        self.world.save()
        return pull

    def seed_comment(
        self, repository: str, number: int, body: str, *, login: str = "octocat", user_type: str = "User"
    ) -> int:
        """A comment on a PR written by someone else (a human by default); returns its id."""
        user = Principal("", login, 5000 + len(login), user_type).user()
        comment_id = int(
            github_comments.add_comment(self.store, self.store.repo(repository), number, body, user)["id"]
        )
        self.world.save()
        return comment_id

    def seed_artifact(
        self, repository: str, run_id: int, name: str, zip_bytes: bytes, *, expired: bool = False
    ) -> int:
        """An artifact uploaded by workflow run ``run_id``; returns its id."""
        artifact_id = github_artifacts.add_artifact(
            self.store, self.world.blobs, repository, run_id, name, zip_bytes, expired
        )
        self.world.save()
        return artifact_id

    def seed_token(
        self,
        token: str,
        *,
        login: str,
        user_type: str = "User",
        can_read_user: bool = True,
        permissions: dict[str, str] | None = None,
    ) -> None:
        """Accept another token, e.g. one whose ``permissions`` lack ``deployments``."""
        user_id = 2000 + len(self.store.data["tokens"])
        self.store.add_principal(Principal(token, login, user_id, user_type, can_read_user, permissions))
        self.world.save()

    def comments(self, repository: str, number: int) -> list[JsonDict]:
        """A PR's comments as the API shows them, oldest first (for assertions)."""
        repo = self.store.repo(repository)
        return [public_comment(c) for c in repo["comments"] if c["_issue"] == number]

    def deployments(self, repository: str) -> list[JsonDict]:
        """Every deployment with its statuses (newest first), for assertions."""
        return github_deployments.describe(self.store.repo(repository))

    # --- persistence -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return self.store.snapshot()

    def restore(self, data: dict[str, Any]) -> None:
        self.store.restore(data)
