"""The other commands are safe to try: a dry run of rollback, promote, cleanup and domains plans
that operation and writes nothing (through ``ci-deploy action`` and the command line), a local
``--branch X`` is a preview, and a bad token is told apart from a missing permission."""

from __future__ import annotations

from pathlib import Path

import pytest
from action_harness import github_env, is_write, make_site, platform_inputs, run_action, run_push

from ci_deploy.cli import main
from ci_deploy_sandbox.runtime import Sandbox

SHA1 = "1" * 40


def writes_since(sandbox: Sandbox, start: int) -> list[str]:
    return [f"{e.method} {e.path}" for e in sandbox.log(start) if is_write(e)]


def last_seq(sandbox: Sandbox) -> int:
    entries = sandbox.log()
    return entries[-1].seq if entries else 0


def deployed_project(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], platform: str
) -> str:
    inputs = platform_inputs(sandbox, platform, "shop", make_site(tmp_path / "dist"))
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, inputs)
    assert result.code == 0, result.stdout + result.stderr
    return result.outputs["deployment-id"]


@pytest.mark.parametrize(
    ("command", "extra", "planned"),
    [
        ("rollback", {}, "roll back to the production deployment before the live one"),
        ("promote", {"deployment-id": "DEPLOYMENT"}, "promote DEPLOYMENT"),
        ("cleanup", {"pr-number": "7"}, "the previews of PR #7"),
    ],
)
@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
def test_a_dry_run_of_an_operation_prints_that_operations_plan_and_writes_nothing(
    platform: str,
    command: str,
    extra: dict[str, str],
    planned: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deployment_id = deployed_project(sandbox, tmp_path, capsys, platform)
    inputs = {
        **platform_inputs(sandbox, platform, "shop", tmp_path / "dist"),
        "command": command,
        "dry-run": "true",
        **{k: v.replace("DEPLOYMENT", deployment_id) for k, v in extra.items()},
    }
    start = last_seq(sandbox)
    result = run_action(
        capsys, tmp_path, event_name="workflow_dispatch", event={"ref": "refs/heads/main"}, inputs=inputs,
        env=github_env(sandbox), sha=SHA1, ref="refs/heads/main",
    )  # fmt: skip
    assert result.code == 0, result.stdout + result.stderr
    assert planned.replace("DEPLOYMENT", deployment_id) in result.stdout
    assert "files" not in result.stdout.split("Plan (dry run", 1)[1], "not a deploy's plan"
    assert result.outputs["deployed"] == "false"
    assert writes_since(sandbox, start) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["rollback", "--dry-run"],
        ["cleanup", "--pr", "7", "--dry-run"],
        ["domains", "add", "www.shop.localhost", "--dry-run"],
    ],
    ids=["rollback", "cleanup", "domains add"],
)
def test_a_dry_run_on_the_command_line_plans_the_operation_and_writes_nothing(
    argv: list[str], sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed_project(sandbox, tmp_path, capsys, "cloudflare-pages")
    start = last_seq(sandbox)
    code = main([*argv, "--platform", "cloudflare-pages", "--project", "shop"], environ=dict(sandbox.env()))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Plan (dry run: nothing is changed)" in out and argv[0] in out
    assert writes_since(sandbox, start) == []


def test_a_local_deploy_with_a_branch_other_than_production_is_a_preview(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed_project(sandbox, tmp_path, capsys, "cloudflare-pages")
    site = tmp_path / "dist"
    argv = [
        "deploy",
        str(site),
        "--platform",
        "cloudflare-pages",
        "--project",
        "shop",
        "--branch",
        "feature-x",
    ]
    code = main([*argv, "--env-required", "none"], environ=dict(sandbox.env()))
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    state = sandbox.world.apis["cloudflare"].ctx.state  # type: ignore[attr-defined]
    deployments = [d for p in state.projects.values() for d in p.deployments.values()]
    assert [d.environment for d in deployments] == ["production", "preview"]


@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
def test_an_invalid_token_is_called_invalid_not_short_of_a_permission(
    platform: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = {
        **platform_inputs(sandbox, platform, "shop", make_site(tmp_path / "dist")),
        "token": "not-a-real-token",
    }
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, inputs)
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert result.code == 2, result.stdout + result.stderr
    assert len(errors) == 1 and "token" in errors[0]
    assert "invalid" in errors[0].lower() or "not valid" in errors[0]
    assert "permission" not in errors[0]


@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
def test_operations_on_a_project_nothing_was_deployed_to_name_it_or_find_nothing_to_clean(
    platform: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = platform_inputs(sandbox, platform, "never-deployed", make_site(tmp_path / "dist"))
    start = last_seq(sandbox)
    rollback = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, {**inputs, "command": "rollback"})
    errors = [line for line in rollback.stdout.splitlines() if line.startswith("::error")]
    assert rollback.code == 2, rollback.stdout + rollback.stderr
    assert (
        len(errors) == 1 and "input 'project'" in errors[0] and "'never-deployed' does not exist" in errors[0]
    )
    cleanup = run_push(
        capsys, tmp_path, sandbox, "refs/heads/main", SHA1, {**inputs, "command": "cleanup", "pr-number": "7"}
    )
    assert cleanup.code == 0 and "Deleted 0 preview deployment(s) of PR #7" in cleanup.stdout
    assert writes_since(sandbox, start) == []
