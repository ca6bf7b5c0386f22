"""Faults injected by the sandbox while ``ci-deploy action`` deploys to Cloudflare Pages.

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

SHA = "c" * 40
PR = 31
PROJECT = "shop"

UPLOAD_TOKEN = "cloudflare.assets.token"
CHECK_MISSING = "cloudflare.assets.check_missing"
UPLOAD = "cloudflare.assets.upload"
UPSERT = "cloudflare.assets.upsert_hashes"
CREATE = "cloudflare.deployments.create"
POLL = "cloudflare.deployments.get"
PROJECT_GET = "cloudflare.projects.get"
ENDPOINTS = (UPLOAD_TOKEN, CHECK_MISSING, UPLOAD, UPSERT, CREATE, POLL, PROJECT_GET)
ASSET_ENDPOINTS = (CHECK_MISSING, UPLOAD, UPSERT)


def deploy(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], **inputs: str
) -> ActionResult:
    return deploy_pr(
        sandbox, tmp_path, capsys, platform="cloudflare-pages", project=PROJECT, pr=PR, sha=SHA, **inputs
    )


def deployments(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every deployment of the project, read over the API once the faults are gone."""
    sandbox.clear_faults()
    env = sandbox.env()
    path = f"accounts/{env['CLOUDFLARE_ACCOUNT_ID']}/pages/projects/{PROJECT}/deployments"
    with httpx.Client(base_url=env["CLOUDFLARE_API_BASE_URL"]) as client:
        answer = client.get(
            path,
            params={"per_page": 25},
            headers={"Authorization": f"Bearer {env['CLOUDFLARE_API_TOKEN']}"},
        )
    if answer.status_code == 404:
        return []  # the project was never created
    return list(answer.json()["result"])


def assert_one_served_deployment(
    sandbox: Sandbox, result: ActionResult, http_get: Callable[..., httpx.Response]
) -> None:
    served_by_harness(result, [d["id"] for d in deployments(sandbox)], http_get)


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


@pytest.mark.parametrize("endpoint", ASSET_ENDPOINTS)
def test_an_expired_upload_token_is_replaced_and_the_deploy_goes_on(
    endpoint: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.inject(f"expired-token@{endpoint},count=2")
    result = deploy(sandbox, tmp_path, capsys)
    assert_one_served_deployment(sandbox, result, http_get)
    assert faulted(sandbox) >= {endpoint}
    assert sum(1 for e in sandbox.log() if e.endpoint == UPLOAD_TOKEN) >= 2


def test_a_burst_of_faults_on_the_uploads_is_absorbed_by_each_requests_own_budget(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.inject(f"status=502@{UPLOAD},count=4")
    sandbox.inject(f"reset@{POLL},count=3")
    result = deploy(sandbox, tmp_path, capsys)
    assert_one_served_deployment(sandbox, result, http_get)
    assert sum(1 for e in sandbox.log() if e.endpoint == UPLOAD and e.fault) == 4


# --- faults that never stop ----------------------------------------------------------------------------

#: a fault that never stops, and what the ``::error::`` line must say (``Retry-After: 0`` where
#: the wait is not the point, so the run reaches its end quickly)
ENDLESS_429 = "status=429,retry_after=0"
ENDLESS_503 = "status=503,retry_after=0"
RESET = r"Connection reset|Server disconnected|connection failed"
ENDLESS = [
    (UPLOAD_TOKEN, ENDLESS_503, r"HTTP 503"),
    (PROJECT_GET, KINDS["500-html"], r"HTTP 500"),
    (CHECK_MISSING, ENDLESS_429, r"HTTP 429"),
    (UPLOAD, "reset", RESET),
    (CREATE, ENDLESS_503, r"HTTP 503"),
    (CREATE, ENDLESS_429, r"HTTP 429"),
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
    assert re.search(reason, error_line(result))
    assert elapsed < ENDLESS_TIMEOUT + MARGIN
    assert len(deployments(sandbox)) <= 1
    assert result.outputs["health"] != "passed"


def test_an_expired_upload_token_for_ever_fails_the_run_naming_the_token(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.inject(f"expired-token@{UPLOAD}")
    result = deploy(sandbox, tmp_path, capsys)
    assert result.code == 1, result.stdout + result.stderr
    assert "8000013" in error_line(result)
    assert deployments(sandbox) == []


def test_upsert_hashes_failing_for_ever_only_warns_as_wrangler_does(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.inject(fault(ENDLESS_503, UPSERT, count=None))
    result = deploy(sandbox, tmp_path, capsys)
    assert_one_served_deployment(sandbox, result, http_get)
    assert "Could not refresh the uploaded file hashes" in result.stderr


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
    assert [e.status for e in creates] == [429, 200]
    assert fake_retry_time.sleeps == [2.0]  # the wait asked for, on the retries' clock


def test_a_slow_deploy_stage_is_waited_for(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.set("cloudflare.deploy_delay_ms", 1500)
    result = deploy(sandbox, tmp_path, capsys)
    assert_one_served_deployment(sandbox, result, http_get)
    assert sum(1 for e in sandbox.log() if e.endpoint == POLL) >= 2


def test_a_failed_build_fails_the_run_with_its_log_and_says_so_on_github(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.set("cloudflare.fail_next_builds", 1)
    result = deploy(sandbox, tmp_path, capsys)
    assert result.code == 1, result.stdout + result.stderr
    assert "Deployment failed: the sandbox was told to fail it" in error_line(result)  # the log's error
    assert "Initializing build environment" in result.stderr  # and the log's tail after it
    assert len(deployments(sandbox)) == 1
    github = sandbox.world.apis["github"]
    (record,) = github.deployments(REPOSITORY)  # type: ignore[attr-defined]
    assert record["statuses"][0]["state"] == "failure"
    (comment,) = github.comments(REPOSITORY, PR)  # type: ignore[attr-defined]
    assert "failed" in comment["body"]


def run_without_waiting(sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> ActionResult:
    sandbox.set("cloudflare.deploy_delay_ms", 5000)
    return deploy(sandbox, tmp_path, capsys, wait="false")


def test_without_waiting_the_run_ends_once_the_deployment_is_created(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_without_waiting(sandbox, tmp_path, capsys)
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["health"] == "skipped"
    assert result.outputs["deployed"] == "true"
    (found,) = deployments(sandbox)
    assert result.outputs["deployment-id"] == found["id"]
    assert result.outputs["deployment-url"] == found["url"]
    assert found["latest_stage"]["status"] != "success"  # it was not waited for
    assert not any(e.endpoint == POLL for e in sandbox.log())
    (record,) = sandbox.world.apis["github"].deployments(REPOSITORY)  # type: ignore[attr-defined]
    assert record["statuses"][0]["state"] == "in_progress"


def test_without_waiting_the_url_output_is_the_deployment_url(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_without_waiting(sandbox, tmp_path, capsys)
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["url"] == result.outputs["deployment-url"]
