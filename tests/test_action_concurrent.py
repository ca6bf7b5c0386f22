"""Two runs deploying production of one project at once: the one whose health check meets the
other's deployment must not roll production back over it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import make_site, platform_inputs, run_push

from ci_deploy.commands import deploy as deploy_command
from ci_deploy_sandbox.runtime import Sandbox

SHA1, SHA2 = "1" * 40, "2" * 40


def deploy_from_another_run(inputs: dict[str, str], artifact: Path) -> None:
    """A second ``ci-deploy`` process deploys ``artifact`` to production, as a concurrent
    workflow run would."""
    flags = ["--platform", inputs["platform"], "--project", inputs["project"], "--token", inputs["token"]]
    flags += ["--account", inputs["account"], "--api-url", inputs["api-url"], "--environment", "production"]
    flags += ["--health-check", "false", "--env-required", "none"]
    command = [sys.executable, "-m", "ci_deploy", "deploy", str(artifact), *flags]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
def test_a_failed_health_check_never_rolls_back_over_a_deployment_another_run_made_live(
    platform: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    http_get: Callable[..., httpx.Response],
) -> None:
    inputs = {
        **platform_inputs(sandbox, platform, "shop", make_site(tmp_path / "first", marker="first")),
        "health-check-timeout": "2",
    }
    assert run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, inputs).code == 0
    theirs = make_site(tmp_path / "theirs", marker="theirs")
    real_check_live = deploy_command.check_live

    def check_after_another_run(*args: object, **kwargs: object) -> object:
        deploy_from_another_run(inputs, theirs)  # lands between this run's deploy and its check
        monkeypatch.setattr(deploy_command, "check_live", real_check_live)
        return real_check_live(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(deploy_command, "check_live", check_after_another_run)
    ours = {**inputs, "artifact": str(make_site(tmp_path / "ours", marker="ours"))}
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA2, ours)

    assert result.code == 1, result.stdout + result.stderr
    error = next(line for line in result.stdout.splitlines() if line.startswith("::error"))
    assert "was served by another deployment" in error and "so it is not rolled back over that" in error
    assert result.outputs["rolled-back-to"] == ""
    assert "build theirs" in http_get(result.outputs["url"]).text  # production is still the other run's
