"""Faults injected by the sandbox while ``ci-deploy action`` deploys a pull request, on each
platform (what differs between them is in ``fault_harness.FaultPlatform``).

A fault that stops after a few requests must cost nothing but time: the action exits 0, exactly
one deployment exists and the site is served. A fault that never stops must end the run with
exit 1, the real reason in the ``::error::`` line, within the configured ``timeout`` (plus the
transport's bounded retries), and still no duplicate deployment. Waiting for a build is in
test_action_faults_wait.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fault_harness import (
    CF_ASSET_ENDPOINTS,
    CF_UPLOAD,
    CF_UPLOAD_TOKEN,
    CF_UPSERT,
    CLOUDFLARE,
    ENDLESS_503,
    ENDLESS_TIMEOUT,
    KINDS,
    MARGIN,
    PLATFORMS,
    VERCEL,
    FaultPlatform,
    assert_one_served_deployment,
    deploy_pr,
    error_line,
    fault,
    faulted,
    on,
)

from ci_deploy_sandbox.runtime import Sandbox

#: retry waits on a fake clock: a fault that never stops spends the 90 s budget at once
pytestmark = pytest.mark.usefixtures("fake_retry_time")

# --- faults that stop -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@on(*PLATFORMS)
def test_a_fault_that_stops_on_every_endpoint_costs_only_time_and_one_deployment_is_served(
    platform: FaultPlatform,
    kind: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    for endpoint in platform.endpoints:
        sandbox.inject(fault(KINDS[kind], endpoint, count=1))
    result = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert_one_served_deployment(sandbox, platform, result, http_get)
    assert faulted(sandbox) >= set(platform.endpoints)


@pytest.mark.parametrize("endpoint", CF_ASSET_ENDPOINTS)
@on(CLOUDFLARE)
def test_an_expired_upload_token_is_replaced_and_the_deploy_goes_on(
    platform: FaultPlatform,
    endpoint: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.inject(f"expired-token@{endpoint},count=2")
    result = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert_one_served_deployment(sandbox, platform, result, http_get)
    assert faulted(sandbox) >= {endpoint}
    assert sum(1 for e in sandbox.log() if e.endpoint == CF_UPLOAD_TOKEN) >= 2


@pytest.mark.parametrize("kind", ["500-json", "502-html", "503-json", "reset", "reset-after"])
@on(VERCEL)
def test_create_failing_twice_still_makes_exactly_one_deployment(
    platform: FaultPlatform,
    kind: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.inject(fault(KINDS[kind], platform.create, count=3))
    result = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert_one_served_deployment(sandbox, platform, result, http_get)


@on(VERCEL)
def test_a_create_whose_answer_is_lost_after_it_created_the_deployment_is_found_by_its_run_key(
    platform: FaultPlatform,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    first = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert first.code == 0, first.stdout + first.stderr
    # The files are uploaded now, so the next run's first create makes the deployment at once.
    sandbox.inject(f"reset-after@{platform.create},count=1")
    again = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert again.code == 0, again.stdout + again.stderr
    assert [e.fault for e in sandbox.log() if e.endpoint == platform.create][-1:] == ["reset-after"]
    ids = [d.id for d in platform.deployments(sandbox)]
    assert sorted(ids) == sorted([first.outputs["deployment-id"], again.outputs["deployment-id"]])
    assert "build faulty" in http_get(again.outputs["url"] + "/").text


@on(*PLATFORMS)
def test_a_burst_of_faults_on_the_uploads_is_absorbed_by_each_requests_own_budget(
    platform: FaultPlatform,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.inject(f"status=502@{platform.upload},count={platform.upload_burst}")
    sandbox.inject(f"reset@{platform.poll},count=3")
    result = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert_one_served_deployment(sandbox, platform, result, http_get)
    faulted_uploads = sum(1 for e in sandbox.log() if e.endpoint == platform.upload and e.fault)
    assert faulted_uploads == platform.upload_burst


# --- faults that never stop ----------------------------------------------------------------------------

ENDLESS = [(platform, *endless) for platform in PLATFORMS for endless in platform.endless]


@pytest.mark.parametrize(
    ("platform", "endpoint", "spec", "reason"), ENDLESS, ids=[f"{e}:{s}" for _, e, s, _ in ENDLESS]
)
def test_a_fault_that_never_stops_fails_the_run_with_its_real_reason_within_the_timeout(
    platform: FaultPlatform,
    endpoint: str,
    spec: str,
    reason: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox.inject(fault(spec, endpoint, count=None))
    started = time.monotonic()
    result = deploy_pr(sandbox, tmp_path, capsys, platform, timeout=str(ENDLESS_TIMEOUT))
    elapsed = time.monotonic() - started
    assert result.code == 1, result.stdout + result.stderr
    assert re.search(reason, error_line(result)), error_line(result)
    assert elapsed < ENDLESS_TIMEOUT + MARGIN
    assert len(platform.deployments(sandbox)) <= 1
    assert result.outputs["health"] != "passed"


@on(CLOUDFLARE)
def test_an_expired_upload_token_for_ever_fails_the_run_naming_the_token(
    platform: FaultPlatform, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.inject(f"expired-token@{CF_UPLOAD}")
    result = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert result.code == 1, result.stdout + result.stderr
    assert "8000013" in error_line(result)
    assert platform.deployments(sandbox) == []


@on(CLOUDFLARE)
def test_upsert_hashes_failing_for_ever_only_warns_as_wrangler_does(
    platform: FaultPlatform,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.inject(fault(ENDLESS_503, CF_UPSERT, count=None))
    result = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert_one_served_deployment(sandbox, platform, result, http_get)
    assert "Could not refresh the uploaded file hashes" in result.stderr
