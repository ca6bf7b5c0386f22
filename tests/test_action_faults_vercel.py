"""Faults injected by the sandbox while ``ci-deploy action`` deploys to Vercel.

A fault that stops after a few requests must cost nothing but time: the action exits 0, exactly
one deployment exists and the site is served. A fault that never stops must end the run with
exit 1, the real reason in the ``::error::`` line, within the configured ``timeout`` (plus the
transport's bounded retries), and still no duplicate deployment.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from action_harness import (
    REPOSITORY,
    ActionResult,
)
from fake_time import FakeTime
from fault_harness import (
    ENDLESS_TIMEOUT,
    KINDS,
    MARGIN,
    deploy_pr,
    error_line,
    fault,
    faulted,
)
from fault_harness import assert_one_served_deployment as served_by_harness

from ci_deploy_sandbox.runtime import Sandbox

#: retry waits on a fake clock: a fault that never stops spends the 90 s budget at once
pytestmark = pytest.mark.usefixtures("fake_retry_time")

SHA = "d" * 40
PR = 41
PROJECT = "web"

UPLOAD = "vercel.files.upload"
CREATE = "vercel.deployments.create"
POLL = "vercel.deployments.get"
PROJECT_GET = "vercel.projects.get"
ENDPOINTS = (UPLOAD, CREATE, POLL, PROJECT_GET)


def deploy(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], **inputs: str
) -> ActionResult:
    return deploy_pr(sandbox, tmp_path, capsys, platform="vercel", project=PROJECT, pr=PR, sha=SHA, **inputs)


def deployments(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every deployment in the team, read over the API once the faults are gone."""
    sandbox.clear_faults()
    env = sandbox.env()
    with httpx.Client(base_url=env["VERCEL_API_URL"]) as client:
        answer = client.get(
            "/v6/deployments",
            params={"teamId": env["VERCEL_ORG_ID"], "limit": 100},
            headers={"Authorization": f"Bearer {env['VERCEL_TOKEN']}"},
        )
    answer.raise_for_status()
    return list(answer.json()["deployments"])


def assert_one_served_deployment(
    sandbox: Sandbox, result: ActionResult, http_get: Callable[..., httpx.Response]
) -> None:
    served_by_harness(result, [d["uid"] for d in deployments(sandbox)], http_get)


# --- faults that stop -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_fault_that_stops_on_every_endpoint_costs_only_time_and_one_deployment_is_served(
    kind: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    for endpoint in ENDPOINTS:
        sandbox.inject(fault(KINDS[kind], endpoint, count=1))
    result = deploy(sandbox, tmp_path, capsys)
    assert_one_served_deployment(sandbox, result, http_get)
    assert faulted(sandbox) >= set(ENDPOINTS)


@pytest.mark.parametrize("kind", ["500-json", "502-html", "503-json", "reset", "reset-after"])
def test_create_failing_twice_still_makes_exactly_one_deployment(
    kind: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.inject(fault(KINDS[kind], CREATE, count=3))
    result = deploy(sandbox, tmp_path, capsys)
    assert_one_served_deployment(sandbox, result, http_get)


def test_a_create_whose_answer_is_lost_after_it_created_the_deployment_is_found_by_its_run_key(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    first = deploy(sandbox, tmp_path, capsys)
    assert first.code == 0, first.stdout + first.stderr
    # The files are uploaded now, so the next run's first create makes the deployment at once.
    sandbox.inject(f"reset-after@{CREATE},count=1")
    again = deploy(sandbox, tmp_path, capsys)
    assert again.code == 0, again.stdout + again.stderr
    assert [e.fault for e in sandbox.log() if e.endpoint == CREATE][-1:] == ["reset-after"]
    ids = [d["uid"] for d in deployments(sandbox)]
    assert sorted(ids) == sorted([first.outputs["deployment-id"], again.outputs["deployment-id"]])
    assert "build faulty" in http_get(again.outputs["url"] + "/").text


def test_a_burst_of_faults_on_the_uploads_is_absorbed_by_each_requests_own_budget(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.inject(f"status=502@{UPLOAD},count=6")
    sandbox.inject(f"reset@{POLL},count=3")
    result = deploy(sandbox, tmp_path, capsys)
    assert_one_served_deployment(sandbox, result, http_get)
    assert sum(1 for e in sandbox.log() if e.endpoint == UPLOAD and e.fault) == 6


# --- faults that never stop ----------------------------------------------------------------------------

#: a fault that never stops, and what the ``::error::`` line must say (``Retry-After: 0`` where
#: the wait is not the point, so the run reaches its end quickly)
ENDLESS_429 = "status=429,retry_after=0"
RESET = r"Connection reset|Server disconnected|connection failed"
ENDLESS = [
    (PROJECT_GET, KINDS["500-html"], r"HTTP 500: 500 Internal Server Error"),
    (UPLOAD, ENDLESS_429, r"uploading .+ failed: .*\(HTTP 429\)"),
    (UPLOAD, "reset", RESET),
    (CREATE, KINDS["502-html"], r"HTTP 502: 502 Bad Gateway"),
    (CREATE, ENDLESS_429, r"creating the Vercel deployment failed: .*\(HTTP 429\)"),
    (CREATE, "reset", RESET),
    (POLL, "status=503,retry_after=60", r"HTTP 503"),  # a wait longer than the timeout
    (POLL, "reset", RESET),
]


@pytest.mark.parametrize(("endpoint", "spec", "reason"), ENDLESS, ids=[f"{e}:{s}" for e, s, _ in ENDLESS])
def test_a_fault_that_never_stops_fails_the_run_with_its_real_reason_within_the_timeout(
    endpoint: str,
    spec: str,
    reason: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox.inject(fault(spec, endpoint, count=None))
    started = time.monotonic()
    result = deploy(sandbox, tmp_path, capsys, timeout=str(ENDLESS_TIMEOUT))
    elapsed = time.monotonic() - started
    assert result.code == 1, result.stdout + result.stderr
    assert re.search(reason, error_line(result)), error_line(result)
    assert elapsed < ENDLESS_TIMEOUT + MARGIN
    assert len(deployments(sandbox)) <= 1
    assert result.outputs["health"] != "passed"


# --- waiting -----------------------------------------------------------------------------------------


def test_retry_after_on_create_is_honoured(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
    fake_retry_time: FakeTime,
) -> None:
    sandbox.inject(f"status=429@{CREATE},count=1,retry_after=2")
    result = deploy(sandbox, tmp_path, capsys)
    assert_one_served_deployment(sandbox, result, http_get)
    creates = [e for e in sandbox.log() if e.endpoint == CREATE]
    assert creates[0].status == 429 and len(creates) >= 2
    assert fake_retry_time.sleeps == [2.0]  # the wait asked for, on the retries' clock


def test_a_slow_build_is_waited_for(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.set("vercel.build_delay_ms", 1500)
    result = deploy(sandbox, tmp_path, capsys)
    assert_one_served_deployment(sandbox, result, http_get)
    assert sum(1 for e in sandbox.log() if e.endpoint == POLL) >= 2


def test_a_failed_build_fails_the_run_with_its_error_and_says_so_on_github(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.set("vercel.fail_next_builds", 1)
    result = deploy(sandbox, tmp_path, capsys)
    assert result.code == 1, result.stdout + result.stderr
    assert "The build failed (failure injected by the sandbox" in error_line(result)  # its error
    assert "Building in sandbox" in result.stderr  # and the build log's tail
    assert len(deployments(sandbox)) == 1
    github = sandbox.world.apis["github"]
    (record,) = github.deployments(REPOSITORY)  # type: ignore[attr-defined]
    assert record["statuses"][0]["state"] == "failure"
    (comment,) = github.comments(REPOSITORY, PR)  # type: ignore[attr-defined]
    assert "failed" in comment["body"]


def run_without_waiting(sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> ActionResult:
    sandbox.set("vercel.build_delay_ms", 5000)
    return deploy(sandbox, tmp_path, capsys, wait="false")


def test_without_waiting_the_run_ends_once_the_deployment_is_created(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_without_waiting(sandbox, tmp_path, capsys)
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["health"] == "skipped"
    assert result.outputs["deployed"] == "true"
    (found,) = deployments(sandbox)
    assert result.outputs["deployment-id"] == found["uid"]
    assert result.outputs["deployment-url"].startswith(f"http://{found['url']}")
    assert found["state"] != "READY"  # it was not waited for
    assert not any(e.endpoint == POLL for e in sandbox.log())
    (record,) = sandbox.world.apis["github"].deployments(REPOSITORY)  # type: ignore[attr-defined]
    assert record["statuses"][0]["state"] == "in_progress"
    assert result.outputs["url"] == result.outputs["deployment-url"]
