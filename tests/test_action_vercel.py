"""``ci-deploy action`` end to end against the sandbox's Vercel and GitHub."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
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

SHA1, SHA2 = "a" * 40, "b" * 40


def seed_pr(sandbox: Sandbox, number: int, sha: str, head_ref: str) -> None:
    github = sandbox.world.apis["github"]
    github.seed_pull_request(REPOSITORY, number, head_sha=sha, head_ref=head_ref)  # type: ignore[attr-defined]


def deploy_production(sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Vercel makes a project's first deployment production whatever it was asked: start there."""
    site = make_site(tmp_path / "prod", marker="prod")
    inputs = platform_inputs(sandbox, "vercel", "web", site)
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", "f" * 40, inputs)
    assert result.code == 0, result.stdout + result.stderr


def test_a_first_preview_into_a_new_project_is_reported_as_the_production_vercel_made_it(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path / "dist")
    seed_pr(sandbox, 4, SHA1, "first")
    result = run_action(
        capsys, tmp_path, event_name="pull_request", event=pull_request_event(4, sha=SHA1, head_ref="first"),
        inputs=platform_inputs(sandbox, "vercel", "web", site), env=github_env(sandbox),
    )  # fmt: skip
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["environment"] == "production"
    assert "::warning" in result.stdout and "first deployment" in result.stdout


def make_prebuilt(root: Path, marker: str) -> Path:
    """A Build Output API v3 tree, as `vercel build` leaves it."""
    output = root / ".vercel" / "output"
    (output / "static").mkdir(parents=True)
    (output / "static" / "index.html").write_text(f"<p>prebuilt {marker}</p>\n")
    (output / "config.json").write_text(json.dumps({"version": 3, "routes": [{"handle": "filesystem"}]}))
    (output / "builds.json").write_text(json.dumps({"target": "production", "builds": []}))
    return root


def test_pull_request_preview_gets_its_preview_domain_alias_and_is_served(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    deploy_production(sandbox, tmp_path, capsys)
    site = make_site(tmp_path / "dist", marker="vercel-pr")
    seed_pr(sandbox, 5, SHA1, "feature-cart")
    inputs = {
        **platform_inputs(sandbox, "vercel", "web", site),
        "preview-domain": "pr-{{pr}}.preview.localhost",
    }
    event = pull_request_event(5, sha=SHA1, head_ref="feature-cart")
    result = run_action(
        capsys, tmp_path, event_name="pull_request", event=event, inputs=inputs, env=github_env(sandbox)
    )
    assert result.code == 0, result.stdout + result.stderr
    outputs = result.outputs
    assert outputs["environment"] == "preview"
    assert outputs["url"].startswith("http://pr-5.preview.localhost:")
    assert outputs["deployment-id"].startswith("dpl_")
    assert "vercel-pr" in http_get(outputs["url"] + "/").text
    assert outputs["health"] == "passed"


def test_prebuilt_output_deploys_to_production_and_an_unchanged_redeploy_uploads_nothing(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    root = make_prebuilt(tmp_path / "app", "one")
    inputs = platform_inputs(sandbox, "vercel", "web", root)
    for sha in (SHA1, SHA2):
        sandbox.reset_counters()
        result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", sha, inputs)
        assert result.code == 0, result.stdout + result.stderr
        assert result.outputs["environment"] == "production"
        assert result.outputs["url"].startswith("http://web.vercel.localhost:")
        assert "prebuilt one" in http_get(result.outputs["url"] + "/").text
    assert sandbox.counters().get("files_uploaded", 0) == 0


def test_env_vars_are_set_on_the_project_secret_ones_as_sensitive(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path / "dist")
    inputs = {
        **platform_inputs(sandbox, "vercel", "web", site),
        "env": "API_URL: https://api.example.com\nSTRIPE_KEY: ${STRIPE_SECRET}\nFLAG: 'true'",
    }
    secret = {"STRIPE_SECRET": "sk_live_very_secret_value"}
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, inputs, env=secret)
    assert result.code == 0, result.stdout + result.stderr
    assert "sk_live_very_secret_value" not in result.everything_but_masks
    with httpx.Client(base_url=sandbox.vercel_api_url) as client:
        envs = client.get(
            "/v10/projects/web/env",
            params={"teamId": sandbox.env()["VERCEL_ORG_ID"]},
            headers={"Authorization": f"Bearer {sandbox.env()['VERCEL_TOKEN']}"},
        ).json()["envs"]
    types = {e["key"]: e["type"] for e in envs}
    assert types == {"API_URL": "plain", "STRIPE_KEY": "sensitive", "FLAG": "plain"}


def test_production_custom_domain_needing_txt_verification_is_reported_pending_then_goes_active(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path / "dist")
    sandbox.set("vercel.domains_needing_verification", ["www.shop.localhost"])
    inputs = {
        **platform_inputs(sandbox, "vercel", "web", site),
        "domains": "www.shop.localhost",
        "domains-timeout": "3",
    }
    first = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, inputs)
    assert first.code == 0, first.stdout + first.stderr
    domains = json.loads(first.outputs["domains"])
    assert domains[0]["name"] == "www.shop.localhost" and domains[0]["status"] == "pending"
    txt = [r for r in domains[0]["records"] if r["type"] == "TXT"]
    assert txt and txt[0]["name"].startswith("_vercel.")
    assert first.outputs["url"].startswith("http://web.vercel.localhost:")
    needed = {f"{r['name']} {r['type']}": r["value"] for r in domains[0]["records"]}
    sandbox.set("vercel.dns", needed)
    second = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA2, inputs)
    assert second.code == 0, second.stdout + second.stderr
    assert json.loads(second.outputs["domains"])[0]["status"] == "active"
    assert second.outputs["url"].startswith("http://www.shop.localhost:")


def test_rollback_and_promote_commands_move_production(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    ids = []
    for sha, marker in ((SHA1, "first"), (SHA2, "second")):
        site = make_site(tmp_path / marker, marker=marker)
        inputs = platform_inputs(sandbox, "vercel", "web", site)
        result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", sha, inputs)
        assert result.code == 0, result.stdout + result.stderr
        ids.append(result.outputs["deployment-id"])
    base = platform_inputs(sandbox, "vercel", "web", tmp_path / "first")
    rolled = run_action(
        capsys, tmp_path, event_name="workflow_dispatch", event={"ref": "refs/heads/main"},
        inputs={**base, "command": "rollback"}, env=github_env(sandbox), sha=SHA2, ref="refs/heads/main",
    )  # fmt: skip
    assert rolled.code == 0, rolled.stdout + rolled.stderr
    assert rolled.outputs["rolled-back-to"] == ids[0]
    assert "build first" in http_get(rolled.outputs["url"] + "/").text
    promoted = run_action(
        capsys, tmp_path, event_name="workflow_dispatch", event={"ref": "refs/heads/main"},
        inputs={**base, "command": "promote", "deployment-id": ids[1]}, env=github_env(sandbox),
        sha=SHA2, ref="refs/heads/main",
    )  # fmt: skip
    assert promoted.code == 0, promoted.stdout + promoted.stderr
    assert "build second" in http_get(promoted.outputs["url"] + "/").text


def test_closing_the_pull_request_deletes_its_vercel_previews_and_preview_alias(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    deploy_production(sandbox, tmp_path, capsys)
    site = make_site(tmp_path / "dist")
    seed_pr(sandbox, 8, SHA1, "feat")
    inputs = {
        **platform_inputs(sandbox, "vercel", "web", site),
        "preview-domain": "pr-{{pr}}.preview.localhost",
    }
    opened = run_action(
        capsys, tmp_path, event_name="pull_request", event=pull_request_event(8, sha=SHA1, head_ref="feat"),
        inputs=inputs, env=github_env(sandbox),
    )  # fmt: skip
    assert opened.code == 0, opened.stdout + opened.stderr
    closed = run_action(
        capsys, tmp_path, event_name="pull_request",
        event=pull_request_event(8, sha=SHA1, head_ref="feat", action="closed"),
        inputs=inputs, env=github_env(sandbox),
    )  # fmt: skip
    assert closed.code == 0, closed.stdout + closed.stderr
    assert http_get(opened.outputs["deployment-url"] + "/").status_code == 404
    assert http_get(opened.outputs["url"] + "/").status_code == 404


def test_a_deployment_deleted_while_the_run_waits_for_it_ends_the_run_at_once_saying_so(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ci_deploy.platforms.vercel import wait

    sandbox.set("vercel.build_delay_ms", 60_000)
    env = sandbox.env()
    real_poll = wait._poll
    reads: list[str] = []

    def poll_then_someone_deletes_it(api: object, deployment_id: str, *args: object, **kw: object) -> object:
        if len(reads) == 1:  # the deployment has been read (BUILDING); now someone deletes it
            deleted = httpx.delete(
                f"{env['VERCEL_API_URL']}/v13/deployments/{deployment_id}",
                params={"teamId": env["VERCEL_ORG_ID"]},
                headers={"Authorization": f"Bearer {env['VERCEL_TOKEN']}"},
            )
            assert deleted.status_code == 200
        reads.append(deployment_id)
        return real_poll(api, deployment_id, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(wait, "_poll", poll_then_someone_deletes_it)
    inputs = {**platform_inputs(sandbox, "vercel", "web", make_site(tmp_path / "site")), "timeout": "20"}
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, inputs)

    assert result.code == 1, result.stdout + result.stderr
    error = next(line for line in result.stdout.splitlines() if line.startswith("::error"))
    assert f"Vercel deployment {reads[0]} no longer exists (HTTP 404 not_found" in error
    assert "it was deleted while ci-deploy waited for it to be ready" in error
    assert len(reads) == 2
    assert result.outputs["deployment-id"] == reads[0] and result.outputs["deployed"] == "false"


def test_a_deploy_of_many_files_fits_under_an_open_file_limit_of_256(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """macOS shells start a process with 256 open files; 256 uploads in flight ran out of them
    mid-deploy (``Too many open files``)."""
    sandbox.inject("latency=40")  # a far API: the most uploads in flight
    site = tmp_path / "site"
    site.mkdir()
    for index in range(400):
        (site / f"part-{index}.txt").write_text(f"part {index}\n")
    (site / "index.html").write_text("<p>many parts</p>\n")
    env = sandbox.env()
    command = [sys.executable, "-m", "ci_deploy", "deploy", str(site), "--platform", "vercel"]
    command += ["--project", "many", "--token", env["VERCEL_TOKEN"], "--account", env["VERCEL_ORG_ID"]]
    command += ["--api-url", env["VERCEL_API_URL"], "--health-check", "false", "--env-required", "none"]

    def at_most_256_open_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    result = subprocess.run(
        command, preexec_fn=at_most_256_open_files, capture_output=True, text=True, timeout=120, check=False
    )

    assert result.returncode == 0, result.stderr[-3000:]
    uploads = [entry for entry in sandbox.log() if entry.path.startswith("/v2/files") and entry.status == 200]
    assert len(uploads) == 401


def test_a_repository_root_deployed_as_a_static_site_publishes_no_git_folder_or_local_env(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    root = make_site(tmp_path / "repo", marker="root")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[remote]\n  url = https://user:token@example.com/repo\n")
    (root / ".env.local").write_text("API_SECRET=local\n")
    (root / "node_modules" / "pkg").mkdir(parents=True)
    (root / "node_modules" / "pkg" / "index.js").write_text("module.exports = 1\n")

    result = run_push(
        capsys, tmp_path, sandbox, "refs/heads/main", SHA1, platform_inputs(sandbox, "vercel", "web", root)
    )

    assert result.code == 0, result.stdout + result.stderr
    site = result.outputs["url"]
    assert "build root" in http_get(site).text
    for private in ("/.git/config", "/.env.local", "/node_modules/pkg/index.js"):
        assert http_get(site + private).status_code == 404, private
    assert "left out as vercel deploy does: .env.local, .git, node_modules" in result.stdout + result.stderr
