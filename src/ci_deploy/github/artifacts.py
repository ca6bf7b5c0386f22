"""Download an artifact uploaded earlier in this workflow run (input ``artifact-name``).

GitHub answers the zip request with a 302 to a signed URL on another host (blob storage). That
URL carries its own authorization; our token must never travel there, so the redirect is
followed by a separate client that has no ``Authorization`` header at all, and the zip is
streamed to disk rather than held in memory.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import httpx

from ci_deploy import http
from ci_deploy.errors import NotFoundError
from ci_deploy.github.client import GitHubClient
from ci_deploy.github.errors import ACTIONS_READ, GitHubError, interpret

log = logging.getLogger("ci_deploy.github.artifacts")

_CHUNK = 1 << 20


def pick_artifact(artifacts: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The newest unexpired artifact called ``name``; otherwise an error naming the input and
    what the run does have (pure)."""
    named = [a for a in artifacts if a.get("name") == name]
    live = [a for a in named if not a.get("expired")]
    if live:
        return max(live, key=lambda a: int(a["id"]))
    if named:
        raise NotFoundError(
            f"artifact {name!r} of this run has expired; upload it again", input_name="artifact-name"
        )
    available = ", ".join(sorted({str(a.get("name")) for a in artifacts})) or "none"
    raise NotFoundError(
        f"this workflow run has no artifact named {name!r} (available: {available}); upload it "
        "with actions/upload-artifact in an earlier step or job of the same run",
        input_name="artifact-name",
    )


def download_run_artifact(client: GitHubClient, run_id: int | str, name: str, dest_dir: Path) -> Path:
    """Find artifact ``name`` of run ``run_id`` and stream its zip into ``dest_dir``; returns
    the zip's path."""
    listed = list(
        client.paginate(
            f"{client.repo_path}/actions/runs/{run_id}/artifacts",
            params={"name": name},
            key="artifacts",
            what=f"list the artifacts of run {run_id}",
            permission=ACTIONS_READ,
        )
    )
    if not any(a.get("name") == name for a in listed):
        # the name filter found nothing: list everything, only to say what exists
        listed = list(
            client.paginate(
                f"{client.repo_path}/actions/runs/{run_id}/artifacts",
                key="artifacts",
                what=f"list the artifacts of run {run_id}",
                permission=ACTIONS_READ,
            )
        )
    artifact = pick_artifact(listed, name)
    what = f"download artifact {name!r}"
    response = client.response("GET", f"{client.repo_path}/actions/artifacts/{artifact['id']}/zip", what=what)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / f"{_safe_name(name)}.zip"
    if response.is_redirect and response.headers.get("location"):
        _stream(str(response.headers["location"]), target, client)
    elif response.status_code == 200:  # an API that serves the zip itself
        _write_atomically(target, [response.content])
    else:
        interpret(
            response.status_code, response.headers, response.content, what=what, permission=ACTIONS_READ
        )
        raise GitHubError(f"{what}: GitHub answered {response.status_code} without the zip")
    log.info("Downloaded artifact %r (%d bytes)", name, target.stat().st_size)
    return target


def _safe_name(name: str) -> str:
    """A file name for ``name`` that cannot climb out of ``dest_dir``."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".")
    return cleaned or "artifact"


def _stream(url: str, target: Path, client: GitHubClient) -> None:
    """GET the signed URL with a client that has no token, retrying like every other call."""
    budget = client.budget()
    with http.new_client() as anonymous:
        while True:
            try:
                with anonymous.stream("GET", url) as response:
                    if response.status_code == 200:
                        _write_atomically(target, response.iter_bytes(_CHUNK))
                        return
                    response.read()
                    retryable = response.status_code in client.retry.statuses
                    failure: BaseException = GitHubError(
                        f"downloading the artifact zip failed: {response.status_code} "
                        f"from {httpx.URL(url).host}",
                        status=response.status_code,
                    )
            except httpx.TransportError as exc:
                retryable, failure = True, exc
            if not retryable or not budget.wait(f"downloading the artifact zip: {failure}"):
                raise failure


def _write_atomically(target: Path, chunks: Any) -> None:
    """Write to a temporary file beside ``target`` and rename, so a broken download never
    leaves a truncated zip behind under the final name."""
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".download-")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
