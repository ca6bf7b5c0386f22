"""What GitHub shows of ``ci-deploy action`` runs, against the sandbox's GitHub: the sticky
comment among many, read-only tokens, and that no secret reaches any output."""

from __future__ import annotations

from pathlib import Path

import pytest
from action_harness import REPOSITORY, github_env, make_site, platform_inputs, pull_request_event, run_action

from ci_deploy.github.comments import marker
from ci_deploy_sandbox.github_common import READ_ONLY_TOKEN
from ci_deploy_sandbox.runtime import Sandbox

SHA1, SHA2 = "d" * 40, "e" * 40


def github_api(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    return sandbox.world.apis["github"]


def test_the_sticky_comment_is_found_past_a_hundred_comments_and_a_humans_quote_is_left_alone(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github = github_api(sandbox)
    github.seed_pull_request(REPOSITORY, 30, head_sha=SHA1, head_ref="busy")
    key = "cloudflare-pages/shop"
    human = github.seed_comment(REPOSITORY, 30, f"{marker(key)}\nI copied the bot's marker", login="mallory")
    for index in range(120):
        github.seed_comment(REPOSITORY, 30, f"review note {index}", login="reviewer")
    inputs = platform_inputs(sandbox, "cloudflare-pages", "shop", make_site(tmp_path / "dist"))
    for sha in (SHA1, SHA2):
        github.seed_pull_request(REPOSITORY, 30, head_sha=sha, head_ref="busy")
        event = pull_request_event(30, sha=sha, head_ref="busy", action="synchronize")
        result = run_action(
            capsys, tmp_path, event_name="pull_request", event=event, inputs=inputs, env=github_env(sandbox)
        )
        assert result.code == 0, result.stdout + result.stderr
    comments = github.comments(REPOSITORY, 30)
    ours = [c for c in comments if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1 and SHA2[:7] in ours[0]["body"]
    assert next(c for c in comments if c["id"] == human)["body"].endswith("I copied the bot's marker")
    assert len(comments) == 122


def test_separate_comment_keys_keep_separate_comments_for_a_monorepo(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github = github_api(sandbox)
    github.seed_pull_request(REPOSITORY, 31, head_sha=SHA1, head_ref="mono")
    event = pull_request_event(31, sha=SHA1, head_ref="mono")
    for project in ("web", "docs"):
        inputs = platform_inputs(sandbox, "cloudflare-pages", project, make_site(tmp_path / project))
        result = run_action(
            capsys, tmp_path, event_name="pull_request", event=event, inputs=inputs, env=github_env(sandbox)
        )
        assert result.code == 0, result.stdout + result.stderr
    assert len(github.comments(REPOSITORY, 31)) == 2


def test_a_read_only_token_skips_comment_and_deployment_with_a_warning_and_still_deploys(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github = github_api(sandbox)
    github.seed_pull_request(REPOSITORY, 32, head_sha=SHA1, head_ref="deps")
    inputs = {
        **platform_inputs(sandbox, "cloudflare-pages", "shop", make_site(tmp_path / "dist")),
        "github-token": READ_ONLY_TOKEN,
    }
    event = pull_request_event(32, sha=SHA1, head_ref="deps")
    result = run_action(
        capsys, tmp_path, event_name="pull_request", event=event, inputs=inputs, env=github_env(sandbox)
    )
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["deployed"] == "true"
    assert "::warning" in result.stdout and "pull-requests: write" in result.stdout
    assert github.comments(REPOSITORY, 32) == []


def test_no_token_or_secret_value_reaches_outputs_summary_comment_or_log(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github = github_api(sandbox)
    github.seed_pull_request(REPOSITORY, 33, head_sha=SHA1, head_ref="secrets")
    secret = "db-password-that-must-stay-hidden"
    inputs = {
        **platform_inputs(sandbox, "cloudflare-pages", "shop", make_site(tmp_path / "dist")),
        "env": "DATABASE_PASSWORD: ${DB_PASSWORD}\nPUBLIC_NAME: shop",
        "health-check-headers": "X-Debug: on",
    }
    event = pull_request_event(33, sha=SHA1, head_ref="secrets")
    result = run_action(
        capsys, tmp_path, event_name="pull_request", event=event, inputs=inputs,
        env={**github_env(sandbox), "DB_PASSWORD": secret},
    )  # fmt: skip
    assert result.code == 0, result.stdout + result.stderr
    comment = github.comments(REPOSITORY, 33)[0]["body"]
    texts = result.everything_but_masks + comment
    for value in (secret, inputs["token"], inputs["github-token"]):
        assert value not in texts
    assert f"::add-mask::{secret}" in result.stdout
    assert f"::add-mask::{inputs['token']}" in result.stdout
    assert "DATABASE_PASSWORD" in result.summary
