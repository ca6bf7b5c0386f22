"""From nothing to a deploy: ``connect`` stores the token and ids in the sandbox's GitHub, ``init``
writes the workflows, and the production workflow's deploy step, run as ``ci-deploy action``
with the inputs of its ``with:`` (secrets and variables read back from the sandbox's GitHub,
the secret opened with its private key), deploys the site."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from action_harness import REPOSITORY, make_site, run_action

from ci_deploy.cli import main
from ci_deploy_sandbox import github_secrets, identities
from ci_deploy_sandbox.runtime import Sandbox

SHA = "c" * 40
_EXPRESSION = re.compile(r"^\$\{\{\s*(secrets|vars)\.(\w+)\s*\}\}$")


def connect_env(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "GH_TOKEN": identities.GITHUB_PAT,
        "GITHUB_API_URL": sandbox.github_api_url,
        "CLOUDFLARE_API_BASE_URL": sandbox.cloudflare_api_url,
        "VERCEL_API_URL": sandbox.vercel_api_url,
        **extra,
    }


def stored(sandbox: Sandbox) -> tuple[Callable[[str], str | None], dict[str, str]]:
    store = sandbox.world.apis["github"].store  # type: ignore[attr-defined]
    return (lambda name: github_secrets.read_secret(store, REPOSITORY, name)), github_secrets.read_variables(
        store, REPOSITORY
    )


def deploy_step(workflow: Path) -> dict[str, Any]:
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    for job in document["jobs"].values():
        for step in job["steps"]:
            if step.get("id") == "deploy":
                return dict(step)
    raise AssertionError(f"no deploy step in {workflow}")


def resolve(inputs: Mapping[str, str], sandbox: Sandbox) -> dict[str, str]:
    """The step's ``with:`` as the runner would pass it: expressions replaced by what GitHub holds."""
    secret, variables = stored(sandbox)
    resolved = {}
    for name, value in inputs.items():
        found = _EXPRESSION.match(str(value))
        if found is None:
            resolved[name] = str(value)
            continue
        kind, key = found.groups()
        held = secret(key) if kind == "secrets" else variables.get(key)
        assert held is not None, f"{kind}.{key} was not stored by connect"
        resolved[name] = held
    return resolved


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

    step = deploy_step(tmp_path / ".github/workflows/production.yml")
    inputs = resolve(step["with"], sandbox)
    assert inputs["token"] == identities.CLOUDFLARE_TOKEN
    assert inputs["account"] == identities.CLOUDFLARE_ACCOUNT_ID
    make_site(tmp_path / "dist", marker="connected")
    monkeypatch.chdir(tmp_path)
    result = run_action(
        capsys,
        tmp_path,
        event_name="release",
        event={"action": "published", "release": {"tag_name": "v1.0.0", "name": "v1.0.0"}},
        inputs={
            **inputs,
            "api-url": sandbox.cloudflare_api_url,
            "github-token": identities.GITHUB_TOKEN,
            "health-check-timeout": "20",
        },
        env={"GITHUB_API_URL": sandbox.github_api_url},
        sha=SHA,
        ref="refs/tags/v1.0.0",
    )
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["environment"] == "production"
    assert "build connected" in http_get(result.outputs["url"] + "/").text


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
