"""What the Cloudflare and Vercel fault suites share: the fault kinds, a PR deploy through
``ci-deploy action`` with faults in the way, and the checks on what came out."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import (
    REPOSITORY,
    ActionResult,
    github_env,
    make_site,
    platform_inputs,
    pull_request_event,
    run_action,
)

from ci_deploy_sandbox.faults import Fault
from ci_deploy_sandbox.runtime import Sandbox

BRANCH = "feature-faults"
TIMEOUT = 30
#: what the transport may add after the wait's own deadline: bounded retries and lookups
MARGIN = 30
#: the ``timeout`` input of runs whose faults never stop
ENDLESS_TIMEOUT = 3
#: a ``latency`` fault's delay; a request that took this long was held by it
SLOW_MS = 600
#: every built-in fault kind, as ``--fault`` strings without the endpoint
KINDS = {
    "429": "status=429,retry_after=1",
    "500-json": "status=500",
    "502-json": "status=502",
    "503-json": "status=503,retry_after=1",
    "500-html": "status=500,body=html",
    "502-html": "status=502,body=html",
    "503-html": "status=503,body=html,retry_after=1",
    "524-json": "status=524",
    "524-html": "status=524,body=html",
    "reset": "reset",
    "reset-after": "reset-after",
    "timeout": "timeout=300",
    "slow": f"latency={SLOW_MS}",
}


def fault(spec: str, endpoint: str, count: int | None) -> Fault:
    """The fault ``spec`` (``--fault`` form) on ``endpoint``, firing ``count`` times (None: for ever)."""
    return dataclasses.replace(Fault.parse(spec), endpoint=endpoint, count=count)


def seed_pr(sandbox: Sandbox, pr: int, sha: str) -> None:
    github = sandbox.world.apis["github"]
    github.seed_pull_request(REPOSITORY, pr, head_sha=sha, head_ref=BRANCH)  # type: ignore[attr-defined]


def deploy_pr(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    platform: str,
    project: str,
    pr: int,
    sha: str,
    **inputs: str,
) -> ActionResult:
    """One pull-request deploy of a small site, as GitHub runs the action."""
    site = make_site(tmp_path / "dist", marker="faulty", files=2)
    seed_pr(sandbox, pr, sha)
    return run_action(
        capsys,
        tmp_path,
        event_name="pull_request",
        event=pull_request_event(pr, sha=sha, head_ref=BRANCH),
        inputs={**platform_inputs(sandbox, platform, project, site), "timeout": str(TIMEOUT), **inputs},
        env=github_env(sandbox),
    )


def error_line(result: ActionResult) -> str:
    lines = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0]


def faulted(sandbox: Sandbox) -> set[str]:
    """Endpoints that answered with a fault, or held a request for a latency fault's time."""
    return {e.endpoint for e in sandbox.log() if e.fault or e.duration_ms >= SLOW_MS}


def assert_one_served_deployment(
    result: ActionResult, deployment_ids: list[str], http_get: Callable[..., httpx.Response]
) -> None:
    """The run passed, exactly its own deployment exists, and the site serves this build."""
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["health"] == "passed"
    assert deployment_ids == [result.outputs["deployment-id"]]
    assert "build faulty" in http_get(result.outputs["url"] + "/").text
