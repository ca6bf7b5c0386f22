"""Outages ridden out and creates never doubled, through ``ci-deploy action`` on the sandbox.

An outage is a fault that answers the next N requests of one endpoint; the client's retry waits
run on a fake clock (``ci_deploy.http``'s seam), so half a minute of outage costs no real time.
A ``reset-after`` fault lets the handler run and then drops the connection: the create happened
but its answer was lost, which must not make a second deployment or comment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import REPOSITORY
from fake_time import FakeTime
from fault_harness import CLOUDFLARE, VERCEL, FaultPlatform, assert_one_served_deployment, deploy_pr, fault

from ci_deploy_sandbox.github import GitHubEmulator
from ci_deploy_sandbox.runtime import Sandbox

#: an outage of this many answers of 503 + ``Retry-After: 3`` lasts 33 s on the client's clock
OUTAGE = "status=503,retry_after=3"
OUTAGE_ANSWERS = 11
#: the same length of outage in 502s without a hint: backoff alone must cover 30 s
GATEWAY_OUTAGE = "status=502,body=html"


def github_of(sandbox: Sandbox) -> GitHubEmulator:
    api = sandbox.world.apis["github"]
    assert isinstance(api, GitHubEmulator)
    return api


def faults_on(sandbox: Sandbox, endpoint: str) -> int:
    return sum(1 for e in sandbox.log() if e.endpoint == endpoint and e.fault)


def statuses_set(sandbox: Sandbox) -> list[str]:
    (deployment,) = github_of(sandbox).deployments(REPOSITORY)
    return [s["state"] for s in deployment["statuses"]]


def assert_one_github_deployment_and_comment(sandbox: Sandbox, platform: FaultPlatform) -> None:
    """GitHub holds one deployment, with a success status (each state once), and one comment."""
    github = github_of(sandbox)
    (deployment,) = github.deployments(REPOSITORY)
    states = [s["state"] for s in deployment["statuses"]]
    assert states[0] == "success" and len(states) == len(set(states)), states
    ours = [
        c for c in github.comments(REPOSITORY, platform.pr) if c["user"]["login"] == "github-actions[bot]"
    ]
    assert len(ours) == 1


@pytest.mark.parametrize(
    ("platform", "endpoint", "spec"),
    [
        (CLOUDFLARE, "cloudflare.assets.check_missing", OUTAGE),
        (CLOUDFLARE, "cloudflare.assets.check_missing", GATEWAY_OUTAGE),
        (VERCEL, "vercel.files.upload", OUTAGE),
        (CLOUDFLARE, "github.comments.create", OUTAGE),
        (VERCEL, "github.comments.create", GATEWAY_OUTAGE),
    ],
    ids=lambda value: value.name if isinstance(value, FaultPlatform) else str(value),
)
def test_a_30_second_outage_of_one_endpoint_is_ridden_out_with_exactly_one_deployment(
    platform: FaultPlatform,
    endpoint: str,
    spec: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
    fake_retry_time: FakeTime,
) -> None:
    sandbox.inject(fault(spec, endpoint, count=OUTAGE_ANSWERS))
    result = deploy_pr(sandbox, tmp_path, capsys, platform)
    assert faults_on(sandbox, endpoint) == OUTAGE_ANSWERS
    assert sum(fake_retry_time.sleeps) >= 30.0
    sandbox.clear_faults()
    assert_one_served_deployment(sandbox, platform, result, http_get)
    assert_one_github_deployment_and_comment(sandbox, platform)


@pytest.mark.parametrize(
    "endpoint", ["github.deployments.create", "github.comments.create", "github.statuses.create"]
)
def test_a_github_create_whose_answer_is_lost_is_found_not_made_twice(
    endpoint: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
    fake_retry_time: FakeTime,
) -> None:
    sandbox.inject(fault("reset-after", endpoint, count=1))
    result = deploy_pr(sandbox, tmp_path, capsys, CLOUDFLARE)
    sent = [e for e in sandbox.log() if e.endpoint == endpoint]
    assert sent[0].fault  # the first create was acted on, its answer lost, and never sent again:
    assert len(sent) == (1 if endpoint != "github.statuses.create" else len(statuses_set(sandbox)))
    sandbox.clear_faults()
    assert_one_served_deployment(sandbox, CLOUDFLARE, result, http_get)
    assert_one_github_deployment_and_comment(sandbox, CLOUDFLARE)


#: GitHub calls of a pull-request deploy, reads and a create
GITHUB_CALLS = [
    "github.pulls.get", "github.comments.list", "github.deployments.list", "github.deployments.create",
    "github.users.me",
]  # fmt: skip


@pytest.mark.parametrize("endpoint", GITHUB_CALLS)
def test_github_never_answering_is_a_warning_and_the_deploy_is_served(
    endpoint: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
    fake_retry_time: FakeTime,
) -> None:
    sandbox.inject(fault("reset", endpoint, count=None))
    result = deploy_pr(sandbox, tmp_path, capsys, CLOUDFLARE)

    assert result.code == 0, result.stdout + result.stderr
    warnings = [line for line in result.stdout.splitlines() if line.startswith("::warning")]
    assert any("The deploy goes on without it" in line and "ReadError" in line for line in warnings), warnings
    sandbox.clear_faults()
    assert_one_served_deployment(sandbox, CLOUDFLARE, result, http_get)
