"""From nothing to a deploy: ``connect`` stores the token and ids in the sandbox's GitHub, ``init``
writes the workflows, and the production workflow's deploy step, run as ``ci-deploy action``
with the inputs of its ``with:`` (secrets and variables read back from the sandbox's GitHub,
the secret opened with its private key), deploys the site."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import REPOSITORY
from connect_harness import connect_env, deploy_step, deploy_written_release_step, resolve

from ci_deploy.cli import main
from ci_deploy_sandbox import identities
from ci_deploy_sandbox.runtime import Sandbox


def test_connect_then_init_then_the_written_production_step_deploys_with_only_what_connect_stored(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    http_get: Callable[..., httpx.Response],
) -> None:
    env = connect_env(sandbox, CLOUDFLARE_API_TOKEN=identities.CLOUDFLARE_TOKEN)
    code = main(["connect", "cloudflare-pages", "--repo", REPOSITORY, "--project", "shop"], environ=env)
    assert code == 0, capsys.readouterr()
    assert main(["init", "cloudflare-pages", "--dir", str(tmp_path)], environ={}) == 0

    inputs = resolve(deploy_step(tmp_path / ".github/workflows/production.yml")["with"], sandbox)
    assert inputs["token"] == identities.CLOUDFLARE_TOKEN
    assert inputs["account"] == identities.CLOUDFLARE_ACCOUNT_ID
    result = deploy_written_release_step(
        sandbox,
        tmp_path,
        capsys,
        monkeypatch,
        http_get,
        api_url=sandbox.cloudflare_api_url,
        marker="connected",
    )
    assert result.outputs["environment"] == "production"


def test_init_writes_workflows_whose_preview_step_reads_the_names_connect_stores(tmp_path: Path) -> None:
    assert main(["init", "vercel", "--dir", str(tmp_path)], environ={}) == 0
    step = deploy_step(tmp_path / ".github/workflows/preview.yml")
    assert step["with"]["token"] == "${{ secrets.VERCEL_TOKEN }}"
    assert step["with"]["account"] == "${{ vars.VERCEL_ORG_ID }}"
    assert step["with"]["project"] == "${{ vars.CI_DEPLOY_PROJECT }}"


@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
@pytest.mark.parametrize("production_on", ["release", "main"])
def test_written_workflows_pass_githubs_schema_and_zizmor(
    tmp_path: Path, platform: str, production_on: str
) -> None:
    from test_lint import run, tool

    assert main(["init", platform, "--dir", str(tmp_path), "--production-on", production_on], environ={}) == 0
    written = sorted(str(path) for path in (tmp_path / ".github/workflows").glob("*.yml"))
    assert len(written) == 2
    for workflow in written:
        result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", workflow)
        assert result.returncode == 0, result.stdout + result.stderr
    result = run(tool("zizmor"), "--offline", *written)
    assert result.returncode == 0, result.stdout + result.stderr


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "cloudflare-pages", "--dir", str(tmp_path)], environ={}) == 0
    production = tmp_path / ".github/workflows/production.yml"
    production.write_text("mine\n")
    assert main(["init", "cloudflare-pages", "--dir", str(tmp_path)], environ={}) == 2
    assert "already exists: pass --force" in capsys.readouterr().err
    assert production.read_text() == "mine\n"
    assert main(["init", "cloudflare-pages", "--dir", str(tmp_path), "--force"], environ={}) == 0
    assert production.read_text() != "mine\n"
