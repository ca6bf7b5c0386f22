"""``ci-deploy action`` end to end against the sandbox's Cloudflare Pages and GitHub."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import (
    REPOSITORY,
    github_env,
    make_site,
    platform_inputs,
    pull_request_event,
    run_action,
    run_push,
)

from ci_deploy_sandbox.runtime import Sandbox

SHA1, SHA2, SHA3 = "1" * 40, "2" * 40, "3" * 40


def seed_pr(sandbox: Sandbox, number: int, sha: str, head_ref: str) -> None:
    sandbox.world.apis["github"].seed_pull_request(REPOSITORY, number, head_sha=sha, head_ref=head_ref)  # type: ignore[attr-defined]


def test_pull_request_gets_a_served_preview_one_comment_and_a_github_deployment(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    site = make_site(tmp_path / "dist", marker="one")
    seed_pr(sandbox, 7, SHA1, "feature/Login")
    result = run_action(
        capsys,
        tmp_path,
        event_name="pull_request",
        event=pull_request_event(7, sha=SHA1, head_ref="feature/Login"),
        inputs=platform_inputs(sandbox, "cloudflare-pages", "shop", site),
        env=github_env(sandbox),
    )
    assert result.code == 0, result.stdout + result.stderr
    outputs = result.outputs
    assert outputs["environment"] == "preview"
    assert outputs["deployed"] == "true"
    assert outputs["health"] == "passed"
    assert outputs["alias-url"].startswith("http://feature-login.shop.pages.localhost:")
    assert outputs["url"] == outputs["alias-url"]
    assert http_get(outputs["url"] + "/").text.endswith("build one</p>\n")
    assert (
        http_get(outputs["deployment-url"] + "/").headers["x-sandbox-deployment"] == outputs["deployment-id"]
    )
    comments = sandbox.world.apis["github"].comments(REPOSITORY, 7)  # type: ignore[attr-defined]
    assert len(comments) == 1 and outputs["url"] in comments[0]["body"]
    assert outputs["comment-id"] == str(comments[0]["id"])
    deployments = sandbox.world.apis["github"].deployments(REPOSITORY)  # type: ignore[attr-defined]
    assert [d["id"] for d in deployments] == [int(outputs["github-deployment-id"])]
    assert deployments[0]["statuses"][0]["state"] == "success"
    assert "| " in result.summary and outputs["url"] in result.summary


def test_later_pushes_edit_the_same_comment_and_an_unchanged_redeploy_uploads_nothing(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path / "dist", marker="same")
    inputs = platform_inputs(sandbox, "cloudflare-pages", "shop", site)
    for sha in (SHA1, SHA2, SHA3):
        seed_pr(sandbox, 9, sha, "feature-x")
        sandbox.reset_counters()
        result = run_action(
            capsys,
            tmp_path,
            event_name="pull_request",
            event=pull_request_event(9, sha=sha, head_ref="feature-x", action="synchronize"),
            inputs=inputs,
            env=github_env(sandbox),
        )
        assert result.code == 0, result.stdout + result.stderr
        uploaded = sandbox.counters().get("bytes_uploaded", 0)
        if sha != SHA1:
            assert uploaded == 0
    comments = sandbox.world.apis["github"].comments(REPOSITORY, 9)  # type: ignore[attr-defined]
    assert len(comments) == 1
    assert SHA3[:7] in comments[0]["body"]


def test_tag_push_deploys_to_production_on_the_projects_own_url(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    site = make_site(tmp_path / "dist", marker="release")
    inputs = platform_inputs(sandbox, "cloudflare-pages", "shop", site)
    result = run_push(capsys, tmp_path, sandbox, "refs/tags/v1.2.0", SHA1, inputs)
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["environment"] == "production"
    assert result.outputs["url"].startswith("http://shop.pages.localhost:")
    assert result.outputs["alias-url"] == ""
    assert "build release" in http_get(result.outputs["url"] + "/").text
    assert result.outputs["comment-id"] == ""


def test_fork_pull_request_without_a_token_ends_with_a_notice_and_no_requests(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path / "dist")
    inputs = {**platform_inputs(sandbox, "cloudflare-pages", "shop", site), "token": ""}
    before = len(sandbox.log())
    result = run_action(
        capsys,
        tmp_path,
        event_name="pull_request",
        event=pull_request_event(11, sha=SHA1, head_ref="main", head_repo="someone/shop"),
        inputs=inputs,
        env=github_env(sandbox),
    )
    assert result.code == 0, result.stdout + result.stderr
    assert "::notice" in result.stdout
    assert result.outputs["deployed"] == "false"
    assert len(sandbox.log()) == before


def test_closing_a_pull_request_removes_its_previews_and_keeps_other_prs_and_production(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    site = make_site(tmp_path / "dist", marker="pr")
    inputs = platform_inputs(sandbox, "cloudflare-pages", "shop", site)
    production = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA3, inputs)
    assert production.code == 0 and production.outputs["environment"] == "production"
    previews = {}
    for number, sha, ref in ((21, SHA1, "feat-a"), (22, SHA2, "feat-b")):
        seed_pr(sandbox, number, sha, ref)
        event = pull_request_event(number, sha=sha, head_ref=ref)
        result = run_action(
            capsys, tmp_path, event_name="pull_request", event=event, inputs=inputs, env=github_env(sandbox)
        )
        assert result.code == 0, result.stdout
        previews[number] = result.outputs
    closed = run_action(
        capsys, tmp_path, event_name="pull_request",
        event=pull_request_event(21, sha=SHA1, head_ref="feat-a", action="closed"),
        inputs=inputs, env=github_env(sandbox),
    )  # fmt: skip
    assert closed.code == 0, closed.stdout
    assert closed.outputs["deployed"] == "false" and closed.outputs["url"] == ""
    assert http_get(previews[21]["deployment-url"] + "/").status_code == 404
    assert http_get(previews[22]["deployment-url"] + "/").status_code == 200
    assert http_get(production.outputs["url"] + "/").status_code == 200
    github = sandbox.world.apis["github"]
    states = {
        d["payload"].get("pr"): d["statuses"][0]["state"]
        for d in github.deployments(REPOSITORY)  # type: ignore[attr-defined]
        if d["statuses"]
    }
    assert states[21] == "inactive" and states[22] == "success"
    assert "removed" in github.comments(REPOSITORY, 21)[0]["body"].lower()  # type: ignore[attr-defined]


def test_a_full_disk_for_the_summary_is_a_warning_and_for_the_outputs_an_error_after_a_whole_deploy(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    inputs = platform_inputs(sandbox, "cloudflare-pages", "shop", make_site(tmp_path / "dist", marker="full"))

    summary_full = run_push(
        capsys,
        tmp_path,
        sandbox,
        "refs/heads/main",
        "1" * 40,
        inputs,
        env={"GITHUB_STEP_SUMMARY": "/dev/full"},
    )
    outputs_full = run_push(
        capsys, tmp_path, sandbox, "refs/heads/main", SHA2, inputs, env={"GITHUB_OUTPUT": "/dev/full"}
    )

    assert summary_full.code == 0, summary_full.stdout + summary_full.stderr
    assert (
        "could not write the job summary (No space left on device)"
        in summary_full.stdout + summary_full.stderr
    )
    assert outputs_full.code == 1
    errors = [line for line in outputs_full.stdout.splitlines() if line.startswith("::error")]
    assert errors == [
        "::error title=ci-deploy::could not write the step outputs to GITHUB_OUTPUT "
        "(No space left on device); later steps will not see them"
    ]
    assert "build full" in http_get(sandbox.site_url("shop.pages.localhost")).text
