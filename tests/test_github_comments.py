"""The sticky PR comment, against the sandbox's GitHub API through a real loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ci_deploy.github.client import GitHubClient
from ci_deploy.github.comments import (
    Identity,
    RunStamp,
    StickyComment,
    compose,
    is_sticky,
    marker,
    may_overwrite,
    read_stamp,
    resolve_identity,
)
from ci_deploy.github.errors import GitHubPermissionError
from ci_deploy_sandbox import identities
from ci_deploy_sandbox.github import GitHubEmulator
from ci_deploy_sandbox.github_common import READ_ONLY_TOKEN
from ci_deploy_sandbox.runtime import Sandbox

REPO = identities.GITHUB_REPOSITORY
SHA1, SHA2, SHA3 = "1" * 40, "2" * 40, "3" * 40
KEY = "cloudflare-pages/site"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One server for the module (each test uses its own PR number)."""
    with Sandbox(apis=[GitHubEmulator]) as running:
        yield running


@pytest.fixture(scope="module")
def github(sandbox: Sandbox) -> GitHubEmulator:
    api = sandbox.world.apis["github"]
    assert isinstance(api, GitHubEmulator)
    return api


def client_for(sandbox: Sandbox, token: str = identities.GITHUB_TOKEN) -> GitHubClient:
    return GitHubClient(sandbox.github_api_url, token, REPO, sleep=lambda seconds: None)


def ours(github: GitHubEmulator, pr: int) -> list[dict[str, Any]]:
    return [c for c in github.comments(REPO, pr) if c["user"]["login"] == identities.GITHUB_BOT_LOGIN]


# --- pure parts ----------------------------------------------------------------------------------


def test_marker_escapes_what_could_end_the_html_comment_early() -> None:
    assert marker("vercel/web") == "<!-- ci-deploy:vercel/web -->"
    assert "-->" not in marker("a-->b")[:-3]
    assert "--" not in marker("a--b")[4:-3]


def test_stamp_round_trips_through_the_composed_body() -> None:
    stamp = RunStamp(SHA1, "2026-01-01T00:00:00.000000Z", "ready")
    text = compose(KEY, stamp, "### hello")
    assert text.splitlines()[0] == marker(KEY)
    assert read_stamp(text) == stamp
    assert read_stamp("no stamp here") is None


def test_only_our_identity_with_the_marker_as_first_line_is_sticky() -> None:
    me = Identity("github-actions[bot]")
    body = compose(KEY, RunStamp(SHA1, "t"), "x")
    assert is_sticky({"body": body, "user": {"login": "github-actions[bot]"}}, KEY, me)
    assert not is_sticky({"body": body, "user": {"login": "octocat"}}, KEY, me)
    assert not is_sticky({"body": f"quote:\n{body}", "user": {"login": "github-actions[bot]"}}, KEY, me)
    assert not is_sticky({"body": body, "user": {"login": "github-actions[bot]"}}, "other/key", me)


def test_may_overwrite_refuses_a_stale_commit_and_an_older_run_of_the_same_commit() -> None:
    mine = RunStamp(SHA1, "2026-01-01T00:00:01.000000Z")
    assert may_overwrite(None, mine, SHA1) == (True, "")
    assert not may_overwrite(None, mine, SHA2)[0]
    later_same_commit = RunStamp(SHA1, "2026-01-01T00:00:09.000000Z")
    assert not may_overwrite(later_same_commit, mine, SHA1)[0]
    assert may_overwrite(RunStamp(SHA2, "2026-01-01T00:00:09.000000Z"), mine, SHA1)[0]
    assert may_overwrite(later_same_commit, RunStamp(SHA2, "x"), None)[0]


# --- identity ------------------------------------------------------------------------------------


def test_a_workflow_token_cannot_get_user_so_the_bot_is_trusted(sandbox: Sandbox) -> None:
    with client_for(sandbox) as client:
        assert resolve_identity(client) == Identity("github-actions[bot]")


def test_a_personal_token_is_its_user(sandbox: Sandbox) -> None:
    with client_for(sandbox, identities.GITHUB_PAT) as client:
        assert resolve_identity(client) == Identity(identities.GITHUB_USER_LOGIN)


# --- against the sandbox -------------------------------------------------------------------------


def test_over_100_comments_and_a_humans_marker_copy_are_searched_and_ignored(
    sandbox: Sandbox, github: GitHubEmulator
) -> None:
    github.seed_pull_request(REPO, 7, head_sha=SHA1)
    for index in range(120):
        github.seed_comment(REPO, 7, f"comment {index}")
    fake = compose(KEY, RunStamp(SHA1, "2099-01-01T00:00:00.000000Z", "ready"), "a human pasted our marker")
    human_id = github.seed_comment(REPO, 7, fake, login="mallory")
    with client_for(sandbox) as client:
        first = StickyComment(client, pr_number=7, key=KEY).publish(
            "deploying…", RunStamp(SHA1, "2026-01-01T00:00:00.000000Z")
        )
        assert first.action == "created"
        again = StickyComment(client, pr_number=7, key=KEY)  # a new run: must find it on page 2
        result = again.publish("ready", RunStamp(SHA1, "2026-01-01T00:00:05.000000Z", "ready"))
    assert result == type(result)(first.comment_id, "updated", "")
    assert len(ours(github, 7)) == 1
    assert ours(github, 7)[0]["body"].endswith("ready")
    human = next(c for c in github.comments(REPO, 7) if c["id"] == human_id)
    assert human["body"] == fake


def test_three_pushes_edit_one_comment_and_the_newest_commit_wins(
    sandbox: Sandbox, github: GitHubEmulator
) -> None:
    with client_for(sandbox) as client:

        def run(sha: str, started: str) -> StickyComment:
            sticky = StickyComment(client, pr_number=9, key=KEY)
            sticky.publish(f"deploying {sha[:3]}", RunStamp(sha, started, "deploying"))
            return sticky

        github.seed_pull_request(REPO, 9, head_sha=SHA1)
        first = run(SHA1, "2026-01-01T00:00:01.000000Z")
        github.seed_pull_request(REPO, 9, head_sha=SHA2)  # push 2 while run 1 is still deploying
        second = run(SHA2, "2026-01-01T00:00:02.000000Z")
        late = first.publish(f"ready {SHA1[:3]}", RunStamp(SHA1, "2026-01-01T00:00:01.000000Z", "ready"))
        assert late.action == "skipped" and "no longer the head" in late.reason
        second.publish(f"ready {SHA2[:3]}", RunStamp(SHA2, "2026-01-01T00:00:02.000000Z", "ready"))
        github.seed_pull_request(REPO, 9, head_sha=SHA3)
        third = run(SHA3, "2026-01-01T00:00:03.000000Z")
        third.publish(f"ready {SHA3[:3]}", RunStamp(SHA3, "2026-01-01T00:00:03.000000Z", "ready"))
        stale = second.publish("failed 222", RunStamp(SHA2, "2026-01-01T00:00:02.000000Z", "failed"))
        assert stale.action == "skipped"
    comments = ours(github, 9)
    assert len(comments) == 1
    assert comments[0]["body"].endswith("ready 333")
    assert read_stamp(comments[0]["body"]) == RunStamp(SHA3, "2026-01-01T00:00:03.000000Z", "ready")


def test_an_older_run_of_the_same_commit_does_not_overwrite_a_rerun(
    sandbox: Sandbox, github: GitHubEmulator
) -> None:
    github.seed_pull_request(REPO, 4, head_sha=SHA1)
    with client_for(sandbox) as client:
        StickyComment(client, pr_number=4, key=KEY).publish(
            "rerun ready", RunStamp(SHA1, "2026-01-01T00:00:09.000000Z")
        )
        old = StickyComment(client, pr_number=4, key=KEY).publish(
            "old", RunStamp(SHA1, "2026-01-01T00:00:01.000000Z")
        )
    assert old.action == "skipped"
    assert ours(github, 4)[0]["body"].endswith("rerun ready")


def test_two_keys_keep_two_comments(sandbox: Sandbox, github: GitHubEmulator) -> None:
    github.seed_pull_request(REPO, 11, head_sha=SHA1)
    with client_for(sandbox) as client:
        for key in ("vercel/web", "vercel/docs", "vercel/web"):
            StickyComment(client, pr_number=11, key=key).publish(
                f"ready {key}", RunStamp(SHA1, "2026-01-01T00:00:00.000000Z")
            )
    bodies = sorted(c["body"].splitlines()[0] for c in ours(github, 11))
    assert bodies == [marker("vercel/docs"), marker("vercel/web")]


def test_cleanup_writes_without_the_head_check(sandbox: Sandbox, github: GitHubEmulator) -> None:
    github.seed_pull_request(REPO, 12, head_sha=SHA2, state="closed")
    with client_for(sandbox) as client:
        sticky = StickyComment(client, pr_number=12, key=KEY)
        result = sticky.publish(
            "removed", RunStamp(SHA1, "2026-01-01T00:00:00.000000Z", "removed"), check_head=False
        )
    assert result.action == "created"


def test_a_comment_deleted_meanwhile_is_created_again(sandbox: Sandbox, github: GitHubEmulator) -> None:
    github.seed_pull_request(REPO, 13, head_sha=SHA1)
    with client_for(sandbox) as client:
        sticky = StickyComment(client, pr_number=13, key=KEY)
        first = sticky.publish("deploying", RunStamp(SHA1, "2026-01-01T00:00:00.000000Z"))
        client.call(
            "DELETE", f"{client.repo_path}/issues/comments/{first.comment_id}", what="x", permission="p"
        )
        second = sticky.publish("ready", RunStamp(SHA1, "2026-01-01T00:00:00.000000Z"))
    assert second.action == "created" and second.comment_id != first.comment_id
    assert len(ours(github, 13)) == 1


def test_a_race_that_created_two_comments_leaves_one(
    sandbox: Sandbox, github: GitHubEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.seed_pull_request(REPO, 14, head_sha=SHA1)
    with client_for(sandbox) as client:
        StickyComment(client, pr_number=14, key=KEY).publish(
            "run A", RunStamp(SHA1, "2026-01-01T00:00:00.000000Z")
        )
        racer = StickyComment(client, pr_number=14, key=KEY)
        real_find = racer.find
        calls = iter([None])
        monkeypatch.setattr(racer, "find", lambda: next(calls, None) or real_find())
        result = racer.publish("run B", RunStamp(SHA1, "2026-01-01T00:00:01.000000Z"))
    comments = ours(github, 14)
    assert len(comments) == 1 and comments[0]["body"].endswith("run B")
    assert result.action == "updated" and result.comment_id == comments[0]["id"]


def test_a_read_only_token_fails_with_the_permission_named(sandbox: Sandbox, github: GitHubEmulator) -> None:
    github.seed_pull_request(REPO, 15, head_sha=SHA1)
    with client_for(sandbox, READ_ONLY_TOKEN) as client, pytest.raises(GitHubPermissionError) as caught:
        StickyComment(client, pr_number=15, key=KEY).publish("x", RunStamp(SHA1, "t"))
    assert "pull-requests: write" in str(caught.value)
    assert "Resource not accessible by integration" in str(caught.value)


def test_a_personal_token_finds_its_own_comments(sandbox: Sandbox, github: GitHubEmulator) -> None:
    github.seed_pull_request(REPO, 16, head_sha=SHA1)
    with client_for(sandbox, identities.GITHUB_PAT) as client:
        for text in ("one", "two"):
            StickyComment(client, pr_number=16, key=KEY).publish(
                text, RunStamp(SHA1, "2026-01-01T00:00:00.000000Z")
            )
    mine = [c for c in github.comments(REPO, 16) if c["user"]["login"] == identities.GITHUB_USER_LOGIN]
    assert len(mine) == 1 and mine[0]["body"].endswith("two")


@pytest.mark.parametrize("kind", ["rate-limit", "secondary-rate-limit"])
def test_githubs_rate_limit_answers_are_waited_out_and_the_comment_still_lands(
    sandbox: Sandbox, github: GitHubEmulator, kind: str
) -> None:
    number = 30 if kind == "rate-limit" else 31
    github.seed_pull_request(REPO, number, head_sha=SHA1)
    sandbox.inject(f"{kind}@github.comments.create,count=1")
    waits: list[float] = []
    with GitHubClient(sandbox.github_api_url, identities.GITHUB_TOKEN, REPO, sleep=waits.append) as client:
        result = StickyComment(client, pr_number=number, key=KEY).publish("x", RunStamp(SHA1, "t"))
    assert result.action == "created" and len(ours(github, number)) == 1
    assert len(waits) == 1 and 0 <= waits[0] <= 2
