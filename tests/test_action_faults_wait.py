"""Waiting for a deployment while ``ci-deploy action`` deploys a pull request, on each platform:
a ``Retry-After`` is honoured, a slow build is waited for, a failed build fails the run with its
log, and ``wait: false`` ends the run once the deployment exists. Faults that stop or never stop
are in test_action_faults.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import REPOSITORY, ActionResult
from fake_time import FakeTime
from fault_harness import (
    PLATFORMS,
    FaultPlatform,
    assert_one_served_deployment,
    deploy_pr,
    error_line,
    on,
)

from ci_deploy_sandbox.runtime import Sandbox

#: retry waits on a fake clock: a fault that never stops spends the 90 s budget at once
pytestmark = pytest.mark.usefixtures("fake_retry_time")


@on(*PLATFORMS)
def test_retry_after_on_create_is_honoured(
    platform: FaultPlatform,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
    fake_retry_time: FakeTime,
) -> None:
    sandbox.inject(f"status=429@{platform.create},count=1,retry_after=2")
    result = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert_one_served_deployment(sandbox, platform, result, http_get)
    creates = [e for e in sandbox.log() if e.endpoint == platform.create]
    assert tuple(e.status for e in creates) == platform.creates_after_a_429
    assert fake_retry_time.sleeps == [2.0]  # the wait asked for, on the retries' clock


@on(*PLATFORMS)
def test_a_slow_build_is_waited_for(
    platform: FaultPlatform,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.set(platform.slow_build, 1500)
    result = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert_one_served_deployment(sandbox, platform, result, http_get)
    assert sum(1 for e in sandbox.log() if e.endpoint == platform.poll) >= 2


@on(*PLATFORMS)
def test_a_failed_build_fails_the_run_with_its_error_and_log_and_says_so_on_github(
    platform: FaultPlatform, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.set(platform.fail_build, 1)
    result = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert result.code == 1, result.stdout + result.stderr
    assert platform.build_error in error_line(result)  # the build's error
    assert platform.build_log in result.stderr  # and its log's tail
    (failed,) = platform.deployments(sandbox)
    # the failed deployment is named wherever the failure is: outputs, GitHub, the comment
    assert result.outputs["deployment-id"] == failed.id and result.outputs["deployed"] == "false"
    github = sandbox.world.apis["github"]
    (record,) = github.deployments(REPOSITORY)  # type: ignore[attr-defined]
    assert record["statuses"][0]["state"] == "failure" and failed.id in str(record["payload"])
    (comment,) = github.comments(REPOSITORY, platform.pr)  # type: ignore[attr-defined]
    assert "failed" in comment["body"] and failed.id in comment["body"]


def run_without_waiting(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], platform: FaultPlatform
) -> ActionResult:
    sandbox.set(platform.slow_build, 5000)
    return deploy_pr(sandbox, tmp_path, capsys, platform, wait="false")


@on(*PLATFORMS)
def test_without_waiting_the_run_ends_once_the_deployment_is_created(
    platform: FaultPlatform, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_without_waiting(sandbox, tmp_path, capsys, platform)
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["health"] == "skipped"
    assert result.outputs["deployed"] == "true"
    (found,) = platform.deployments(sandbox)
    assert result.outputs["deployment-id"] == found.id
    assert result.outputs["deployment-url"] == found.url
    assert not found.ready  # it was not waited for
    assert not any(e.endpoint == platform.poll for e in sandbox.log())
    (record,) = sandbox.world.apis["github"].deployments(REPOSITORY)  # type: ignore[attr-defined]
    assert record["statuses"][0]["state"] == "in_progress"


@on(*PLATFORMS)
def test_without_waiting_the_url_output_is_the_deployment_url(
    platform: FaultPlatform, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_without_waiting(sandbox, tmp_path, capsys, platform)
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["url"] == result.outputs["deployment-url"]
