"""An artifact that changes under a running deploy (a build or a clean-up still at work in the
folder): a file listed at the start that can no longer be read ends the run with one line naming
it, exit 1 (found after the run's first write), and nothing reported as deployed."""

from __future__ import annotations

from pathlib import Path

import pytest
from action_harness import make_site, platform_inputs, run_push

import ci_deploy.artifact as artifact_module
from ci_deploy.artifact import Artifact
from ci_deploy_sandbox.runtime import Sandbox


@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
def test_a_file_that_vanishes_after_the_listing_ends_the_run_naming_it(
    platform: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = make_site(tmp_path / "dist")
    vanishing = site / "assets" / "part-1.js"
    listing = artifact_module.walk_directory

    def listed_then_cleaned_up(root: Path, label: str) -> Artifact:
        listed = listing(root, label)
        vanishing.unlink()
        return listed

    monkeypatch.setattr(artifact_module, "walk_directory", listed_then_cleaned_up)
    result = run_push(
        capsys,
        tmp_path,
        sandbox,
        "refs/heads/main",
        "1" * 40,
        platform_inputs(sandbox, platform, "shop", site),
        # the head start lists the folder too, ahead of the run: this is about the run's listing
        env={"CI_DEPLOY_HEAD_START": "0"},
    )

    assert result.code == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert errors == [
        f"::error title=ci-deploy::'{vanishing}' could not be read while it was being deployed "
        "(No such file or directory); deploy a finished build"
    ]
    assert result.outputs["deployed"] == "false"
    assert "Traceback" not in result.stdout + result.stderr
