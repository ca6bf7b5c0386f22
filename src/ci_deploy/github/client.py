"""The one client for GitHub's REST API: auth headers, pagination, retries, typed errors.

The base URL is ``GITHUB_API_URL`` as given (``https://api.github.com``, or
``https://ghe.example.com/api/v3`` on GitHub Enterprise); nothing here assumes github.com.
Retries (backoff, ``Retry-After``, ``x-ratelimit-reset``, 403-with-rate-limit) come from
:func:`ci_deploy.http.send`; what a final answer means comes from the pure
:func:`ci_deploy.github.errors.interpret`. Creates (deployments, statuses, comments) go through
:meth:`GitHubClient.create`, which never sends one twice after a lost answer. The token
(registered for redaction by the config, with every other secret) is only ever sent to the API's
own origin.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import httpx

from ci_deploy import http
from ci_deploy.errors import InputError
from ci_deploy.github.errors import GitHubError, interpret

log = logging.getLogger("ci_deploy.github")

API_VERSION = "2022-11-28"
PER_PAGE = 100

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_REL = re.compile(r'rel\s*=\s*"?([^";]+)"?')


def link_targets(header: str | None) -> dict[str, str]:
    """``rel`` -> URL of a ``Link`` header (``<url>; rel="next", <url>; rel="last"``)."""
    targets: dict[str, str] = {}
    for found in _LINK.finditer(header or ""):
        rel = _REL.search(found.group(2))
        for name in rel.group(1).split() if rel else ():
            targets.setdefault(name, found.group(1))
    return targets


def next_page(header: str | None) -> str | None:
    """The URL of the next page, or None on the last one."""
    return link_targets(header).get("next")


def split_repository(repository: str) -> tuple[str, str]:
    """``owner/name`` -> (owner, name), refusing anything else (GITHUB_REPOSITORY's shape)."""
    owner, _, name = repository.strip().partition("/")
    if not owner or not name or "/" in name:
        raise InputError(f"GITHUB_REPOSITORY must be 'owner/name', got {repository!r}")
    return owner, name


def _answer(response: httpx.Response, what: str, permission: str) -> Any:
    return interpret(
        response.status_code, response.headers, response.content, what=what, permission=permission
    )


class GitHubClient:
    """REST calls against one repository. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        api_url: str,
        token: str,
        repository: str,
        *,
        retry: http.RetryPolicy = http.DEFAULT_RETRY,
        sleep: http.Sleep | None = None,
        clock: http.Clock | None = None,
    ) -> None:
        if not token:
            raise InputError("no GitHub token: set input 'github-token'", input_name="github-token")
        self.owner, self.name = split_repository(repository)
        self.api_url = api_url.rstrip("/")
        self.retry = retry
        self._sleep, self._clock = sleep, clock
        self.http = http.new_client(
            self.api_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
        )

    @property
    def repo_path(self) -> str:
        """``/repos/{owner}/{name}``, the prefix of every repository call."""
        return f"/repos/{self.owner}/{self.name}"

    def response(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool = True,
        retry: http.RetryPolicy | None = None,
        what: str | None = None,
    ) -> httpx.Response:
        """The final response (after retries) to ``path`` (relative to the API, or an absolute
        URL on the API's own origin), whatever its status. With ``what``, no answer at all
        (retries spent, or a write's answer lost) is a :class:`GitHubError` naming it, like any
        refusal: GitHub is a side channel the deploy goes on without. Without it (a create that
        looks for what it may have made) :class:`~ci_deploy.http.AmbiguousOutcome` is raised."""
        url = self._checked_url(path)
        try:
            return http.send(
                self.http,
                method,
                url,
                params=params,
                json=json,
                retry=retry or self.retry,
                idempotent=idempotent,
                sleep=self._sleep,
                clock=self._clock,
            )
        except http.NO_ANSWER as exc:
            if what is None:
                raise
            raise GitHubError(f"{what}: no answer from GitHub ({http.no_answer_reason(exc)})") from exc

    def budget(self) -> http.Budget:
        """A retry budget for one logical request, on this client's clock."""
        return http.Budget(self.retry, sleep=self._sleep, clock=self._clock)

    def call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        permission: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool = True,
    ) -> Any:
        """The JSON answer to one call, or a typed :class:`GitHubError` naming ``what`` we were
        doing and the ``permission`` it needs (or that no answer came, retries spent)."""
        response = self.response(method, path, params=params, json=json, idempotent=idempotent, what=what)
        return _answer(response, what, permission)

    def create(
        self, path: str, *, json: Any, what: str, permission: str, find: Callable[[], Any | None]
    ) -> Any:
        """POST something new exactly once. After an answer that leaves the outcome unknown (the
        connection broke after sending, a timeout, a 5xx), ``find`` looks for what the request may
        have made; only when it finds nothing is it sent again, within the retry budget."""
        budget = self.budget()
        while True:
            try:
                response = self.response("POST", path, json=json, idempotent=False, retry=http.CREATE_RETRY)
            except http.AmbiguousOutcome as exc:
                reason, last = f"the connection failed ({type(exc.cause).__name__})", None
            else:
                if response.status_code < 500:
                    return _answer(response, what, permission)
                reason, last = f"GitHub answered {response.status_code}", response
            found = find()
            if found is not None:
                log.info("%s: the answer was lost (%s) but it had been done", what, reason)
                return found
            if not budget.wait(f"{what}: {reason} and nothing was created"):
                if last is None:
                    raise GitHubError(f"{what}: the outcome is unknown ({reason})")
                return _answer(last, what, permission)

    def paginate(
        self,
        path: str,
        *,
        what: str,
        permission: str,
        params: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> Iterator[Any]:
        """Every item of a listing, following ``Link: rel="next"`` to the end (100 per page).
        ``key`` names the list inside an object answer (``artifacts``); None for a bare list."""
        url: str | None = path
        query: dict[str, Any] | None = {**(params or {}), "per_page": PER_PAGE}
        while url is not None:
            response = self.response("GET", url, params=query, what=what)
            page = interpret(
                response.status_code, response.headers, response.content, what=what, permission=permission
            )
            items = page.get(key, []) if key and isinstance(page, dict) else page
            if not isinstance(items, list):
                raise GitHubError(f"{what}: GitHub answered something that is not a list")
            yield from items
            url = next_page(response.headers.get("link"))
            query = None  # the next link carries the whole query already

    def _checked_url(self, path: str) -> str:
        """Relative paths are joined to the API; absolute ones (pagination links) must stay on
        the API's own origin, since the token goes with them."""
        if "://" not in path:
            return path
        if httpx.URL(path).copy_with(path="/", query=None) != httpx.URL(self.api_url).copy_with(
            path="/", query=None
        ):
            raise GitHubError(
                f"GitHub pointed to another host ({httpx.URL(path).host}); not sending the token there"
            )
        return path

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
