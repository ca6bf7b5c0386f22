"""After the deploy, through ``ci-deploy action`` on the sandbox: the Sentry release, deploy and
error watch, signed webhook and Slack notifications, and the performance table."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from action_harness import github_env, make_site, platform_inputs, pull_request_event, run_action
from observe_harness import ORG, PROJECT, SHA1, SHA2, TAG1, TAG2, release, sentry_calls, sentry_inputs

from ci_deploy_sandbox.runtime import Sandbox

HOOK_SECRET = "whsec_sandbox_signing_secret_42"


def test_a_production_deploy_creates_finalizes_and_deploys_a_sentry_release(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = release(
        sandbox, tmp_path, capsys, SHA1, TAG1, **sentry_inputs(sandbox, **{"sentry-release-prefix": "shop@"})
    )
    assert result.code == 0, result.stdout + result.stderr
    version = f"shop@{SHA1}"
    release_path = f"/api/0/organizations/{ORG}/releases/shop%40{SHA1}/"
    assert sentry_calls(sandbox) == [
        ("sentry.project.releases.list", f"/api/0/projects/{ORG}/{PROJECT}/releases/", 200),
        ("sentry.releases.create", f"/api/0/organizations/{ORG}/releases/", 201),
        ("sentry.releases.update", release_path, 200),
        ("sentry.deploys.create", release_path + "deploys/", 201),
        ("sentry.releases.update", release_path, 200),
    ]
    stored = sandbox.world.apis["sentry"].releases[f"{ORG}/{version}"]  # type: ignore[attr-defined]
    assert stored["commits"] == [{"id": SHA1, "repository": "acme/shop"}]
    assert stored["dateReleased"] and stored["projects"][0]["slug"] == PROJECT
    deploy = stored["deploys"][0]
    assert deploy["environment"] == "production" and deploy["url"] == result.outputs["url"]
    assert deploy["dateStarted"] and deploy["dateFinished"]
    assert f"{sandbox.sentry_url}/organizations/{ORG}/releases/shop%40{SHA1}/" in result.summary
    assert sandbox.tokens["sentry"] not in result.everything_but_masks
    assert result.outputs["sentry-release"] == version


def test_a_pull_request_preview_is_a_pr_environment_and_a_rerun_finds_the_release(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = pull_request_event(7, sha=SHA1, head_ref="feature")
    inputs = {
        **platform_inputs(sandbox, "cloudflare-pages", "shop", make_site(tmp_path / "s")),
        **sentry_inputs(sandbox),
    }
    for _ in range(2):
        result = run_action(capsys, tmp_path, event_name="pull_request", event=event, inputs=inputs,
                            env=github_env(sandbox))  # fmt: skip
        assert result.code == 0, result.stdout + result.stderr
    creates = [
        status for endpoint, _, status in sentry_calls(sandbox) if endpoint == "sentry.releases.create"
    ]
    assert creates == [201, 208]
    stored = sandbox.world.apis["sentry"].releases[f"{ORG}/{SHA1}"]  # type: ignore[attr-defined]
    assert [d["environment"] for d in stored["deploys"]] == ["pr-7", "pr-7"]
    assert stored["dateReleased"] is None


def test_new_issues_in_the_watch_roll_production_back_to_the_previous_deployment(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = release(sandbox, tmp_path, capsys, SHA1, TAG1, **sentry_inputs(sandbox))
    assert good.code == 0, good.stdout + good.stderr
    sandbox.set("sentry.issues", [{"firstRelease": SHA2, "title": "TypeError: x is undefined"}])
    bad = release(sandbox, tmp_path, capsys, SHA2, TAG2, **sentry_inputs(sandbox, **{"error-watch": "2s"}))
    assert bad.code == 1
    assert bad.outputs["rolled-back-to"] == good.outputs["deployment-id"]
    assert "error watch: release" in bad.stdout and "SANDBOX-1" in bad.stdout
    assert any(e == "sentry.issues.list" for e, _, _ in sentry_calls(sandbox))


def test_a_crash_free_rate_under_the_threshold_only_warns_with_the_warn_policy(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.set("sentry.crash_free_sessions", 97.5)
    watch = {"error-watch": "1s", "error-watch-threshold": "crash-free=99.5", "on-health-failure": "warn"}
    result = release(sandbox, tmp_path, capsys, SHA1, TAG1, **sentry_inputs(sandbox, **watch))
    assert result.code == 0, result.stdout + result.stderr
    assert "crash-free sessions 97.5%25, under 99.5%25" in result.stdout  # % escaped as the runner wants
    assert result.outputs["rolled-back-to"] == ""


def test_a_sentry_outage_is_retried_then_only_warns(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.inject("status=503@sentry.releases.create,count=1")
    sandbox.inject("status=500@sentry.deploys.create")
    result = release(sandbox, tmp_path, capsys, SHA1, TAG1, **sentry_inputs(sandbox))
    assert result.code == 0, result.stdout + result.stderr
    creates = [s for e, _, s in sentry_calls(sandbox) if e == "sentry.releases.create"]
    assert creates == [503, 201]
    assert len([e for e, _, _ in sentry_calls(sandbox) if e == "sentry.deploys.create"]) == 3
    assert "could not record the deploy" in result.stdout and "deploy not recorded" in result.summary


def test_the_webhook_gets_a_signed_event_and_slack_a_message(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = sandbox.webhook_url("ci/deploys?token=hooktoken123")
    slack = sandbox.webhook_url("services/T0/B0/slacksecret987", slack=True)
    notify = {"notify-webhook": hook, "notify-webhook-secret": HOOK_SECRET, "notify-slack-webhook": slack}
    result = release(sandbox, tmp_path, capsys, SHA1, TAG1, **notify)
    assert result.code == 0, result.stdout + result.stderr
    generic, message = sandbox.webhooks()
    body = generic["body"].encode()
    expected = "sha256=" + hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert generic["headers"]["x-ci-deploy-signature"] == expected
    event = json.loads(body)
    assert event["event"] == "deploy.succeeded" and event["environment"] == "production"
    assert event["commit"] == SHA1 and event["url"] == result.outputs["url"]
    assert (
        event["deployment_id"] == result.outputs["deployment-id"] and event["platform"] == "cloudflare-pages"
    )
    assert "/actions/runs/4242" in event["run_url"]
    assert message["host"] == "hooks.slack.localhost"
    assert "Deploy succeeded" in json.loads(message["body"])["text"]
    for secret in (HOOK_SECRET, "hooktoken123", "slacksecret987"):
        assert secret not in result.everything_but_masks


def test_a_failing_receiver_is_retried_a_few_times_then_warns_and_the_deploy_passes(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.inject("status=500@webhooks.receive")
    result = release(sandbox, tmp_path, capsys, SHA1, TAG1, **{"notify-webhook": sandbox.webhook_url("x")})
    assert result.code == 0, result.stdout + result.stderr
    assert len([e for e in sandbox.log() if e.endpoint == "webhooks.receive"]) == 3
    assert "notification to notify-webhook failed: answered 500" in result.stdout


def test_a_failed_deploy_is_announced_as_rolled_back(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release(sandbox, tmp_path, capsys, SHA1, TAG1).code == 0
    notify = {"notify-webhook": sandbox.webhook_url("deploys"), "perf-budget-ms": "0.001"}
    bad = release(sandbox, tmp_path, capsys, SHA2, TAG2, **notify)
    assert bad.code == 1
    (delivery,) = sandbox.webhooks()
    event = json.loads(delivery["body"])
    assert event["event"] == "deploy.rolled_back" and "perf-budget-ms" in event["error"]
    assert event["rolled_back_to"] == bad.outputs["rolled-back-to"] != ""


def test_the_summary_shows_performance_compared_with_the_previous_production_deployment(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = release(sandbox, tmp_path, capsys, SHA1, TAG1)
    assert first.code == 0 and "Performance" in first.summary and "compared with" not in first.summary
    second = release(sandbox, tmp_path, capsys, SHA2, TAG2, **{"perf-budget-ms": "5000"})
    assert second.code == 0, second.stdout + second.stderr
    assert f"compared with `{first.outputs['deployment-id']}`" in second.summary
    assert "budget p95 first byte 5000 ms" in second.summary and "(was " in second.summary


@pytest.mark.parametrize(
    ("inputs", "named"),
    [
        (
            {"error-watch": "soon", "sentry-org": ORG, "sentry-project": PROJECT, "sentry-token": "t0ken"},
            "error-watch",
        ),
        ({"sentry-org": ORG, "sentry-project": PROJECT}, "sentry-token"),
        ({"error-watch": "5m"}, "error-watch"),
        ({"notify-webhook-secret": HOOK_SECRET}, "notify-webhook-secret"),
        ({"notify-slack-webhook": "not a url slacksecret"}, "notify-slack-webhook"),
    ],
)
def test_bad_observe_settings_exit_2_before_anything_is_deployed(
    inputs: dict[str, str], named: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = release(sandbox, tmp_path, capsys, SHA1, TAG1, **inputs)
    assert result.code == 2
    assert f"input '{named}'" in result.stdout + result.stderr
    assert [e for e in sandbox.log() if not e.endpoint.startswith("github.")] == []
    assert "slacksecret" not in result.everything_but_masks
