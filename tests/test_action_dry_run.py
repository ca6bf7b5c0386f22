"""A dry run of a sample site under every event kind of the contract, through ``ci-deploy
action``: the right environment and branch, the plan printed, outputs written, no request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from action_harness import REPOSITORY, make_site, pull_request_event, push_event, run_action
from pytest_httpx import HTTPXMock

SHA = "9" * 40


def release_event() -> dict[str, Any]:
    return {
        "action": "published",
        "release": {"tag_name": "v2.0.0", "prerelease": False},
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }


def workflow_run_event(event: str, branch: str) -> dict[str, Any]:
    return {
        "action": "completed",
        "workflow_run": {
            "head_sha": SHA,
            "head_branch": branch,
            "event": event,
            "conclusion": "success",
            "pull_requests": [],
            "head_repository": {"full_name": REPOSITORY},
        },
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }


def pr(action: str = "opened", head_ref: str = "feat/a", number: int = 1) -> dict[str, Any]:
    return pull_request_event(number, sha=SHA, head_ref=head_ref, action=action)


PR_REF = "refs/pull/1/merge"
MAIN = "refs/heads/main"
# id, event name, payload, GITHUB_REF, extra inputs, expected environment, expected branch ("" = any)
EVENTS: list[tuple[str, str, dict[str, Any], str, dict[str, str], str, str]] = [
    ("pr opened", "pull_request", pr(), PR_REF, {}, "preview", "feat/a"),
    ("pr synchronize", "pull_request", pr("synchronize"), PR_REF, {}, "preview", "feat/a"),
    ("pr reopened", "pull_request", pr("reopened"), PR_REF, {}, "preview", "feat/a"),
    ("pr ready", "pull_request", pr("ready_for_review"), PR_REF, {}, "preview", "feat/a"),
    ("pr labeled", "pull_request", pr("labeled"), PR_REF, {}, "preview", "feat/a"),
    ("pr head named main", "pull_request", pr(head_ref="main", number=4), PR_REF, {}, "preview", "pr-4"),
    ("pr target", "pull_request_target", pr(head_ref="fix", number=2), MAIN, {}, "preview", "fix"),
    ("push to main", "push", push_event(MAIN, SHA), MAIN, {}, "production", "main"),
    (
        "push to branch",
        "push",
        push_event("refs/heads/topic", SHA),
        "refs/heads/topic",
        {},
        "preview",
        "topic",
    ),
    ("push of a tag", "push", push_event("refs/tags/v1.0.0", SHA), "refs/tags/v1.0.0", {}, "production", ""),
    ("release", "release", release_event(), "refs/tags/v2.0.0", {}, "production", ""),
    ("dispatch on main", "workflow_dispatch", {"ref": MAIN, "inputs": {}}, MAIN, {}, "production", "main"),
    ("dispatch on branch", "workflow_dispatch", {"ref": "refs/heads/x"}, "refs/heads/x", {}, "preview", "x"),
    (
        "workflow_run of a PR",
        "workflow_run",
        workflow_run_event("pull_request", "feat/b"),
        MAIN,
        {"pr-number": "12"},
        "preview",
        "feat/b",
    ),
    (
        "workflow_run of a push",
        "workflow_run",
        workflow_run_event("push", "main"),
        MAIN,
        {},
        "production",
        "main",
    ),
    ("schedule", "schedule", {"schedule": "0 0 * * *"}, MAIN, {}, "production", "main"),
    ("explicit preview", "push", push_event(MAIN, SHA), MAIN, {"environment": "preview"}, "preview", ""),
]


@pytest.mark.parametrize(
    ("event_name", "event", "ref", "extra", "environment", "branch"),
    [e[1:] for e in EVENTS],
    ids=[e[0] for e in EVENTS],
)
@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
def test_dry_run_plans_the_right_target_for_the_event_and_contacts_nothing(
    platform: str,
    event_name: str,
    event: dict[str, Any],
    ref: str,
    extra: dict[str, str],
    environment: str,
    branch: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    httpx_mock: HTTPXMock,
) -> None:
    site = make_site(tmp_path / "dist")
    inputs = {"platform": platform, "project": "shop", "artifact": str(site), "dry-run": "true", **extra}
    result = run_action(capsys, tmp_path, event_name=event_name, event=event, inputs=inputs, sha=SHA, ref=ref)
    assert result.code == 0, result.stdout + result.stderr
    assert "Plan (dry run" in result.stdout
    assert f"environment   {environment}" in result.stdout
    if branch:
        assert f"branch        {branch} " in result.stdout
    assert result.outputs["deployed"] == "false"
    assert result.outputs["environment"] == environment
    assert "Plan" in result.summary
    assert httpx_mock.get_requests() == []


def test_dry_run_of_a_closed_pull_request_plans_its_cleanup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], httpx_mock: HTTPXMock
) -> None:
    event = pull_request_event(5, sha=SHA, head_ref="gone", action="closed")
    inputs = {"platform": "cloudflare-pages", "project": "shop", "dry-run": "true"}
    result = run_action(capsys, tmp_path, event_name="pull_request", event=event, inputs=inputs, sha=SHA)
    assert result.code == 0, result.stdout + result.stderr
    assert "cleanup       the previews of PR #5" in result.stdout
    assert result.outputs["deployed"] == "false" and result.outputs["environment"] == "preview"


def test_a_deleted_branch_push_deploys_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], httpx_mock: HTTPXMock
) -> None:
    event = {**push_event("refs/heads/old", "0" * 40), "deleted": True}
    inputs = {"platform": "cloudflare-pages", "project": "shop", "token": "tok_value"}
    result = run_action(capsys, tmp_path, event_name="push", event=event, inputs=inputs, ref="refs/heads/old")
    assert result.code == 0, result.stdout + result.stderr
    assert "::notice" in result.stdout
    assert result.outputs["deployed"] == "false"
