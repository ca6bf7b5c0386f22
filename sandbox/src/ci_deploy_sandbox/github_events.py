"""Opening a pull request in the emulated GitHub, and the ``pull_request`` event a workflow run
for it would get (what ``GITHUB_EVENT_PATH`` names), so the action's sticky comment and
deployments can be tried without writing Python: ``POST /_sandbox/github/pulls`` or
``ci-deploy sandbox --pull-request 7``."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ci_deploy_sandbox import github_objects

JsonDict = dict[str, Any]

DEFAULT_REPOSITORY = "acme/shop"
_REPOSITORY = re.compile(r"^[\w.-]+/[\w.-]+$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def pull_request_event(
    github: Any,
    origin: str,
    number: int,
    *,
    repository: str = DEFAULT_REPOSITORY,
    head_ref: str | None = None,
    head_sha: str | None = None,
    action: str = "opened",
) -> JsonDict:
    """Seed pull request ``number`` (head ``head_ref`` at ``head_sha``, by default a branch
    ``pr-<number>`` at a sha derived from it) and return the event of a run for it.
    ``github`` is the :class:`GitHubEmulator`; raises ValueError on a bad argument."""
    if number < 1:
        raise ValueError("a pull request number is a positive integer")
    if not _REPOSITORY.match(repository):
        raise ValueError(f"repository must look like owner/name, not {repository!r}")
    ref = head_ref or f"pr-{number}"
    sha = head_sha or hashlib.sha1(f"{repository}#{number}:{ref}".encode()).hexdigest()
    if not _SHA.match(sha):
        raise ValueError("head_sha must be 40 lower-case hex digits")
    pull = github.seed_pull_request(repository, number, head_sha=sha, head_ref=ref)
    repo = github.store.repo(repository)
    shown = github_objects.pull_request(pull, repo, repo, origin)
    return {
        "action": action,
        "number": number,
        "pull_request": shown,
        "repository": shown["base"]["repo"],
        "sender": shown["user"],
    }


def run_variables(event: JsonDict, event_path: str) -> dict[str, str]:
    """The variables a workflow run for ``event`` has, as the runner sets them."""
    pull = event["pull_request"]
    return {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": event_path,
        "GITHUB_REPOSITORY": event["repository"]["full_name"],
        "GITHUB_REPOSITORY_OWNER": event["repository"]["owner"]["login"],
        "GITHUB_SHA": pull["head"]["sha"],
        "GITHUB_REF": f"refs/pull/{event['number']}/merge",
        "GITHUB_HEAD_REF": pull["head"]["ref"],
        "GITHUB_BASE_REF": pull["base"]["ref"],
    }
