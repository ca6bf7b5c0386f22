"""Helpers of the connect/init tests: the environment connect runs in (with tokens, or signed
out), what it stored in the sandbox's GitHub and the tokens it made in its Vercel, and the
written workflow's deploy step run as GitHub would run it."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from action_harness import REPOSITORY, ActionResult, make_site, run_action

from ci_deploy_sandbox import github_secrets, identities
from ci_deploy_sandbox.runtime import Sandbox
from ci_deploy_sandbox.vercel import VercelEmulator
from ci_deploy_sandbox.vercel_common import public

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


#: connect vercel to the sandbox team's project "shop"
CONNECT_VERCEL = [
    "connect", "vercel", "--repo", REPOSITORY, "--project", "shop", "--account", identities.VERCEL_TEAM_SLUG,
]  # fmt: skip


def signed_out_env(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    """No GH_TOKEN, GITHUB_TOKEN, gh or VERCEL_TOKEN: only the client ids and the sandbox's hosts."""
    return {
        "PATH": str(tmp_path),
        "GITHUB_API_URL": sandbox.github_api_url,
        "GITHUB_SERVER_URL": sandbox.github_server_url,
        "VERCEL_API_URL": sandbox.vercel_api_url,
        "CI_DEPLOY_GITHUB_CLIENT_ID": "Iv1.cideploysandbox",
        "CI_DEPLOY_VERCEL_CLIENT_ID": "cl_cideploysandbox",
    }


def vercel_api(sandbox: Sandbox) -> VercelEmulator:
    return sandbox.world.apis["vercel"]  # type: ignore[return-value]


def made_tokens(sandbox: Sandbox) -> list[dict[str, Any]]:
    """The tokens made with ``POST /v3/user/tokens`` that are not revoked, as the API shows them."""
    return [public(record) for record in vercel_api(sandbox).ctx.store.tokens.values()]


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


def github_store(sandbox: Sandbox) -> github_secrets.Store:
    return sandbox.world.apis["github"].store  # type: ignore[attr-defined, no-any-return]


def nothing_written(sandbox: Sandbox) -> bool:
    store = github_store(sandbox)
    return not github_secrets.secret_names(store, REPOSITORY) and not github_secrets.read_variables(
        store, REPOSITORY
    )


def deploy_written_release_step(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    http_get: Callable[..., httpx.Response],
    *,
    api_url: str,
    marker: str,
) -> ActionResult:
    """Run the deploy step of the production workflow ``init`` wrote, for a published release,
    with only what ``connect`` stored; assert it deployed a site that serves this build."""
    inputs = resolve(deploy_step(tmp_path / ".github/workflows/production.yml")["with"], sandbox)
    make_site(tmp_path / "dist", marker=marker)
    monkeypatch.chdir(tmp_path)
    result = run_action(
        capsys,
        tmp_path,
        event_name="release",
        event={"action": "published", "release": {"tag_name": "v1.0.0", "name": "v1.0.0"}},
        inputs={
            **inputs,
            "api-url": api_url,
            "github-token": identities.GITHUB_TOKEN,
            "health-check-timeout": "20",
        },
        env={"GITHUB_API_URL": sandbox.github_api_url},
        sha=SHA,
        ref="refs/tags/v1.0.0",
    )
    assert result.code == 0, result.stdout + result.stderr
    assert f"build {marker}" in http_get(result.outputs["url"] + "/").text
    return result
