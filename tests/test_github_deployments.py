"""GitHub Deployments: request shape, previews per PR, cleanup — against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ci_deploy.github.client import GitHubClient
from ci_deploy.github.deployments import (
    DeploymentSpec,
    GitHubDeployment,
    create_deployment,
    deactivate_earlier_previews,
    deactivate_pr,
    list_deployments,
    pr_deployments,
    request_body,
    set_status,
    task_for,
)
from ci_deploy.github.errors import GitHubPermissionError
from ci_deploy.http import AmbiguousOutcome
from ci_deploy_sandbox import identities
from ci_deploy_sandbox.github import GitHubEmulator
from ci_deploy_sandbox.github_common import READ_ONLY_TOKEN
from ci_deploy_sandbox.runtime import Sandbox

REPO = identities.GITHUB_REPOSITORY
RUN_URL = "https://github.example/run/1"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(apis=[GitHubEmulator]) as running:
        yield running


@pytest.fixture
def github(sandbox: Sandbox) -> Iterator[GitHubEmulator]:
    api = sandbox.world.apis["github"]
    assert isinstance(api, GitHubEmulator)
    api.restore({})  # every test starts from an empty repository
    yield api


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[GitHubClient]:
    with GitHubClient(sandbox.github_api_url, identities.GITHUB_TOKEN, REPO, sleep=lambda s: None) as github:
        yield github


def preview(pr: int, sha: str, platform_id: str, run_key: str = "") -> DeploymentSpec:
    return DeploymentSpec(
        sha=sha,
        environment="Preview",
        production=False,
        platform="cloudflare-pages",
        project="site",
        branch=f"feature-{pr}",
        pr_number=pr,
        platform_ids=(platform_id,),
        run_key=run_key,
    )


def deploy_preview(client: GitHubClient, pr: int, sha: str, platform_id: str) -> GitHubDeployment:
    """What the pipeline does for one preview: create, in_progress, success, retire the older."""
    created = create_deployment(client, preview(pr, sha, platform_id))
    set_status(client, created.id, "in_progress", log_url=RUN_URL)
    set_status(
        client,
        created.id,
        "success",
        environment_url=f"http://{platform_id}.site.pages.localhost/",
        log_url=RUN_URL,
        auto_inactive=False,
    )
    deactivate_earlier_previews(client, created, log_url=RUN_URL)
    return created


def states(github: GitHubEmulator) -> dict[str, str | None]:
    return {d["payload"]["deployment_ids"][0]: d["state"] for d in github.deployments(REPO)}


def test_request_body_pins_auto_merge_contexts_and_transient_previews() -> None:
    body = request_body(preview(3, "a" * 40, "abc123", run_key="run-1"))
    assert body["ref"] == "a" * 40
    assert body["auto_merge"] is False and body["required_contexts"] == []
    assert body["transient_environment"] is True and body["production_environment"] is False
    assert body["task"] == "deploy:pr-3"
    assert body["payload"] == {
        "ci_deploy": 1,
        "platform": "cloudflare-pages",
        "project": "site",
        "deployment_ids": ["abc123"],
        "pr": 3,
        "branch": "feature-3",
        "run_key": "run-1",
    }


def test_production_is_not_transient_and_has_its_own_task() -> None:
    spec = DeploymentSpec(
        "b" * 40, "Production", True, "vercel", "web", branch="main", platform_ids=("dpl_1",)
    )
    body = request_body(spec)
    assert body["production_environment"] is True and body["transient_environment"] is False
    assert body["task"] == "deploy" == task_for(None, "main", production=True)
    assert task_for(None, "feat/x y", production=False) == "deploy:branch-feat/x-y"


def test_two_prs_keep_their_previews_active_and_a_new_push_retires_only_its_own(
    client: GitHubClient, github: GitHubEmulator
) -> None:
    deploy_preview(client, 1, "1" * 40, "pr1-a")
    deploy_preview(client, 2, "2" * 40, "pr2-a")
    assert states(github) == {"pr1-a": "success", "pr2-a": "success"}
    deploy_preview(client, 1, "3" * 40, "pr1-b")
    assert states(github) == {"pr1-a": "inactive", "pr2-a": "success", "pr1-b": "success"}


def test_cleanup_marks_every_preview_of_one_pr_inactive_and_feeds_its_platform_ids(
    client: GitHubClient, github: GitHubEmulator
) -> None:
    deploy_preview(client, 5, "5" * 40, "pr5-a")
    deploy_preview(client, 5, "6" * 40, "pr5-b")
    deploy_preview(client, 6, "7" * 40, "pr6-a")
    production = create_deployment(
        client,
        DeploymentSpec("8" * 40, "Production", True, "cloudflare-pages", "site", platform_ids=("prod-1",)),
    )
    set_status(client, production.id, "success", environment_url="http://site.pages.localhost/")
    recorded = pr_deployments(client, 5)
    assert sorted(pid for d in recorded for pid in d.platform_ids) == ["pr5-a", "pr5-b"]
    changed = deactivate_pr(client, 5, log_url=RUN_URL)
    assert len(changed) == 1  # pr5-a was already inactive: no second write
    assert states(github) == {
        "pr5-a": "inactive",
        "pr5-b": "inactive",
        "pr6-a": "success",
        "prod-1": "success",
    }


def test_statuses_carry_environment_and_log_urls(client: GitHubClient, github: GitHubEmulator) -> None:
    created = deploy_preview(client, 8, "9" * 40, "pr8-a")
    statuses = github.deployments(REPO)[0]["statuses"]
    assert [s["state"] for s in statuses] == ["success", "in_progress"]
    assert statuses[0]["environment_url"] == "http://pr8-a.site.pages.localhost/"
    assert statuses[0]["log_url"] == RUN_URL
    assert list_deployments(client, sha="9" * 40)[0].id == created.id


def test_an_ambiguous_create_finds_our_own_deployment_instead_of_creating_twice(
    client: GitHubClient, github: GitHubEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_response = client.response

    def lose_the_answer(method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = real_response(method, path, **kwargs)
        if method == "POST" and path.endswith("/deployments"):
            raise AmbiguousOutcome(method, path, ConnectionResetError("reset"))
        return answer

    monkeypatch.setattr(client, "response", lose_the_answer)
    found = create_deployment(client, preview(9, "a" * 40, "pr9-a", run_key="run-42"))
    assert len(github.deployments(REPO)) == 1
    assert found.payload["run_key"] == "run-42"


def test_a_read_only_token_is_told_it_lacks_deployments_write(
    sandbox: Sandbox, github: GitHubEmulator
) -> None:
    client = GitHubClient(sandbox.github_api_url, READ_ONLY_TOKEN, REPO, sleep=lambda s: None)
    with client, pytest.raises(GitHubPermissionError, match="deployments: write"):
        create_deployment(client, preview(1, "1" * 40, "x"))
