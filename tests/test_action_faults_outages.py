"""Outages ridden out and creates never doubled, through ``ci-deploy action`` on the sandbox.

An outage is a fault that answers the next N requests of one endpoint; the client's retry waits
run on a fake clock (``ci_deploy.http``'s seam), so half a minute of outage costs no real time.
A ``reset-after`` fault lets the handler run and then drops the connection: the create happened
but its answer was lost, which must not make a second deployment or comment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from action_harness import REPOSITORY, ActionResult
from fake_time import FakeTime
from fault_harness import assert_one_served_deployment, deploy_pr, fault

from ci_deploy_sandbox.github import GitHubEmulator
from ci_deploy_sandbox.runtime import Sandbox

SHA = "d" * 40
PR = 41
PROJECT = "shop"
#: an outage of this many answers of 503 + ``Retry-After: 3`` lasts 33 s on the client's clock
OUTAGE = "status=503,retry_after=3"
OUTAGE_ANSWERS = 11
#: the same length of outage in 502s without a hint: backoff alone must cover 30 s
GATEWAY_OUTAGE = "status=502,body=html"


def deploy(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], platform: str = "cloudflare-pages"
) -> ActionResult:
    return deploy_pr(sandbox, tmp_path, capsys, platform=platform, project=PROJECT, pr=PR, sha=SHA)


def github_of(sandbox: Sandbox) -> GitHubEmulator:
    api = sandbox.world.apis["github"]
    assert isinstance(api, GitHubEmulator)
    return api


def platform_deployment_ids(sandbox: Sandbox, platform: str) -> list[str]:
    """Every deployment of the project, read over the API once the faults are gone."""
    sandbox.clear_faults()
    env = sandbox.env()
    if platform == "vercel":
        url, params, token, key = (
            "/v6/deployments",
            {"teamId": env["VERCEL_ORG_ID"]},
            env["VERCEL_TOKEN"],
            "uid",
        )
        base = env["VERCEL_API_URL"]
    else:
        url = f"accounts/{env['CLOUDFLARE_ACCOUNT_ID']}/pages/projects/{PROJECT}/deployments"
        params, token, key, base = {}, env["CLOUDFLARE_API_TOKEN"], "id", env["CLOUDFLARE_API_BASE_URL"]
    with httpx.Client(base_url=base) as client:
        answer = client.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    body: Any = answer.json()
    items = body["deployments"] if platform == "vercel" else body["result"]
    return [str(item[key]) for item in items]


def faults_on(sandbox: Sandbox, endpoint: str) -> int:
    return sum(1 for e in sandbox.log() if e.endpoint == endpoint and e.fault)


def statuses_set(sandbox: Sandbox) -> list[str]:
    (deployment,) = github_of(sandbox).deployments(REPOSITORY)
    return [s["state"] for s in deployment["statuses"]]


def assert_one_github_deployment_and_comment(sandbox: Sandbox) -> None:
    """GitHub holds one deployment, with a success status (each state once), and one comment."""
    github = github_of(sandbox)
    (deployment,) = github.deployments(REPOSITORY)
    states = [s["state"] for s in deployment["statuses"]]
    assert states[0] == "success" and len(states) == len(set(states)), states
    ours = [c for c in github.comments(REPOSITORY, PR) if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1


@pytest.mark.parametrize(
    ("platform", "endpoint", "spec"),
    [
        ("cloudflare-pages", "cloudflare.assets.check_missing", OUTAGE),
        ("cloudflare-pages", "cloudflare.assets.check_missing", GATEWAY_OUTAGE),
        ("vercel", "vercel.files.upload", OUTAGE),
        ("cloudflare-pages", "github.comments.create", OUTAGE),
        ("vercel", "github.comments.create", GATEWAY_OUTAGE),
    ],
)
def test_a_30_second_outage_of_one_endpoint_is_ridden_out_with_exactly_one_deployment(
    platform: str,
    endpoint: str,
    spec: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
    fake_retry_time: FakeTime,
) -> None:
    sandbox.inject(fault(spec, endpoint, count=OUTAGE_ANSWERS))
    result = deploy(sandbox, tmp_path, capsys, platform)
    assert faults_on(sandbox, endpoint) == OUTAGE_ANSWERS
    assert sum(fake_retry_time.sleeps) >= 30.0
    assert_one_served_deployment(result, platform_deployment_ids(sandbox, platform), http_get)
    assert_one_github_deployment_and_comment(sandbox)


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
    result = deploy(sandbox, tmp_path, capsys)
    sent = [e for e in sandbox.log() if e.endpoint == endpoint]
    assert sent[0].fault  # the first create was acted on, its answer lost, and never sent again:
    assert len(sent) == (1 if endpoint != "github.statuses.create" else len(statuses_set(sandbox)))
    assert_one_served_deployment(result, platform_deployment_ids(sandbox, "cloudflare-pages"), http_get)
    assert_one_github_deployment_and_comment(sandbox)
