"""Sentry before and around the deploy, through ``ci-deploy action`` on the sandbox: the token,
organization and project checked before the first write, the PR comment while the error watch
runs, how long the watch looked, the rollback message without health checks, and the
``sentry-release`` output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from action_harness import (
    REPOSITORY,
    github_env,
    is_write,
    make_site,
    platform_inputs,
    pull_request_event,
    run_action,
)
from fake_time import FakeTime
from observe_harness import ORG, PROJECT, SHA1, SHA2, TAG1, TAG2, release, sentry_calls, sentry_inputs

from ci_deploy.observe import release as watch_module
from ci_deploy_sandbox.github import GitHubEmulator
from ci_deploy_sandbox.runtime import Sandbox

PROJECT_RELEASES = f"/api/0/projects/{ORG}/{PROJECT}/releases/"


@pytest.fixture
def fake_watch_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """The error watch's pauses on a fake clock: a five-minute watch costs no real time."""
    fake = FakeTime()
    monkeypatch.setattr(watch_module, "watch_sleep", fake.sleep)
    monkeypatch.setattr(watch_module, "watch_clock", fake.clock)
    return fake


def writes(sandbox: Sandbox) -> list[str]:
    """Every request that could change something, on any API."""
    return [e.endpoint for e in sandbox.log() if is_write(e)]


def test_a_refused_sentry_token_exits_2_naming_it_and_nothing_is_written(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = release(
        sandbox, tmp_path, capsys, SHA1, TAG1, **sentry_inputs(sandbox, **{"sentry-token": "sntrys_x"})
    )
    assert result.code == 2
    assert "input 'sentry-token'" in result.stdout + result.stderr and "Invalid token" in result.stdout
    assert sentry_calls(sandbox) == [("sentry.project.releases.list", PROJECT_RELEASES, 401)]
    assert writes(sandbox) == []


@pytest.mark.parametrize(
    ("inputs", "named", "calls"),
    [
        ({"sentry-org": "nope"}, "sentry-org",
         [("sentry.project.releases.list", 404), ("sentry.releases.list", 404)]),
        ({"sentry-project": "nope"}, "sentry-project",
         [("sentry.project.releases.list", 404), ("sentry.releases.list", 200)]),
    ],
)  # fmt: skip
def test_an_unknown_sentry_org_or_project_exits_2_naming_the_one_that_is_wrong(
    inputs: dict[str, str],
    named: str,
    calls: list[tuple[str, int]],
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox.set("sentry.organizations", {ORG: [PROJECT]})
    result = release(sandbox, tmp_path, capsys, SHA1, TAG1, **sentry_inputs(sandbox, **inputs))
    assert result.code == 2
    assert f"input '{named}'" in result.stdout + result.stderr
    assert [(endpoint, status) for endpoint, _, status in sentry_calls(sandbox)] == calls
    assert writes(sandbox) == []


def test_a_token_without_the_scope_is_a_403_that_names_sentry_token(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.inject("status=403@sentry.project.releases.list")
    result = release(sandbox, tmp_path, capsys, SHA1, TAG1, **sentry_inputs(sandbox))
    assert result.code == 2 and "input 'sentry-token'" in result.stdout + result.stderr
    assert "project:releases" in result.stdout
    assert writes(sandbox) == []


def test_sentry_unreachable_before_the_deploy_is_retried_then_warns_and_the_deploy_goes_on(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_retry_time: FakeTime
) -> None:
    sandbox.inject("reset@sentry.project.releases.list")
    result = release(sandbox, tmp_path, capsys, SHA1, TAG1, **sentry_inputs(sandbox))
    assert result.code == 0, result.stdout + result.stderr
    assert "could not be checked before the deploy" in result.stdout
    endpoints = [e.endpoint for e in sandbox.log()]
    checks = [i for i, endpoint in enumerate(endpoints) if endpoint == "sentry.project.releases.list"]
    first_write = next(i for i, e in enumerate(sandbox.log()) if is_write(e))
    assert len(checks) == 3 and checks[-1] < first_write
    assert ("sentry.releases.create", f"/api/0/organizations/{ORG}/releases/", 201) in sentry_calls(sandbox)
    assert fake_retry_time.sleeps  # the retries waited, on the fake clock


def comment_bodies(sandbox: Sandbox) -> list[tuple[int, str]]:
    """(log position, body) of every PR comment written."""
    return [
        (index, json.loads(e.request_body or "{}").get("body", ""))
        for index, e in enumerate(sandbox.log())
        if e.endpoint in ("github.comments.create", "github.comments.update")
    ]


def test_the_pr_comment_says_ready_while_the_watch_runs_and_is_updated_after_it(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_watch_time: FakeTime
) -> None:
    inputs = {
        **platform_inputs(sandbox, "cloudflare-pages", "shop", make_site(tmp_path / "s")),
        **sentry_inputs(sandbox, **{"error-watch": "5m"}),
    }
    github = sandbox.world.apis["github"]
    assert isinstance(github, GitHubEmulator)
    github.seed_pull_request(REPOSITORY, 7, head_sha=SHA1, head_ref="feature")
    event = pull_request_event(7, sha=SHA1, head_ref="feature")
    result = run_action(capsys, tmp_path, event_name="pull_request", event=event, inputs=inputs,
                        env=github_env(sandbox))  # fmt: skip
    assert result.code == 0, result.stdout + result.stderr
    looks = [i for i, e in enumerate(sandbox.log()) if e.endpoint == "sentry.issues.list"]
    assert len(looks) == 10 and sum(fake_watch_time.sleeps) == 300
    comments = comment_bodies(sandbox)
    during = [i for i, body in comments if "watching errors for 5 min" in body]
    after = [i for i, body in comments if i > looks[-1]]
    assert len(during) == 1 and comments[0][0] < during[0] < looks[0]
    assert len(after) == 1 and "watching errors" not in comments[-1][1]
    assert "deploying" not in comments[-1][1].lower() and "watched 5m00s: 0 new issues" in comments[-1][1]


def test_a_watch_that_stops_early_says_how_long_it_watched(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_watch_time: FakeTime
) -> None:
    sandbox.set("sentry.issues", [{"firstRelease": SHA1, "title": "TypeError"}])
    watch = {"error-watch": "5m", "on-health-failure": "fail"}
    result = release(sandbox, tmp_path, capsys, SHA1, TAG1, **sentry_inputs(sandbox, **watch))
    assert result.code == 1
    assert len([e for e in sandbox.log() if e.endpoint == "sentry.issues.list"]) == 1
    assert "watched 30s of 5m00s: 1 new issue" in result.summary
    assert "watched 5m00s" not in result.summary


def test_a_watch_rollback_without_health_checks_says_restored_not_healthy(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_watch_time: FakeTime
) -> None:
    good = release(sandbox, tmp_path, capsys, SHA1, TAG1, **{"health-check": "false"})
    assert good.code == 0, good.stdout + good.stderr
    sandbox.set("sentry.issues", [{"firstRelease": SHA2, "title": "TypeError"}])
    watch = {"error-watch": "1m", "health-check": "false"}
    bad = release(sandbox, tmp_path, capsys, SHA2, TAG2, **sentry_inputs(sandbox, **watch))
    assert bad.code == 1
    assert bad.outputs["rolled-back-to"] == good.outputs["deployment-id"] != ""
    assert (
        f"rolled back to {good.outputs['deployment-id']}, and it is restored (no health checks ran"
        in bad.stdout
    )
    assert "healthy" not in bad.stdout


def test_the_sentry_release_output_is_empty_when_the_release_could_not_be_created(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_retry_time: FakeTime
) -> None:
    sandbox.inject("status=500@sentry.releases.create")
    result = release(sandbox, tmp_path, capsys, SHA1, TAG1, **sentry_inputs(sandbox))
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["sentry-release"] == ""
    assert "could not create the release" in result.stdout
