"""Every request ci-deploy sends and every answer the sandbox gives, in real action runs, is
what the platforms' official OpenAPI descriptions say (tests/api_schemas, see PROVENANCE.md).

The runs cover both platforms end to end with GitHub comments and deployments: a production
push with a custom domain and env vars, a pull request preview, closing it, and rollback; and
``connect vercel`` after a device sign-in (its Vercel REST calls, token creation included).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from action_harness import (
    REPOSITORY,
    ActionResult,
    github_env,
    make_site,
    platform_inputs,
    pull_request_event,
    run_action,
    run_push,
)
from api_contract import Exchange, check_all, find_operation, locate
from connect_harness import CONNECT_VERCEL, connect_env, signed_out_env
from fake_time import FakeTime

from ci_deploy.cli import main
from ci_deploy_sandbox import identities
from ci_deploy_sandbox.runtime import Sandbox

pytest_plugins = ["api_recording"]

SHA1, SHA2, SHA3 = "1" * 40, "2" * 40, "3" * 40
PR = 41


def sandbox_bases(sandbox: Sandbox) -> list[tuple[str, str]]:
    """Where the sandbox serves each API: all on one port, told apart by path prefix."""
    return [
        (sandbox.cloudflare_api_url, "cloudflare"),
        (sandbox.github_api_url, "github"),
        (sandbox.vercel_api_url, "vercel"),
    ]


def violations_report(sandbox: Sandbox, traffic: list[Exchange]) -> list[str]:
    api_calls = [e for e in traffic if "/_sandbox/" not in e.url]
    assert api_calls, "no API traffic was recorded"
    return [str(v) for v in check_all(api_calls, sandbox_bases(sandbox))]


def run_pull_request(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], inputs: dict[str, str], action: str
) -> ActionResult:
    sandbox.world.apis["github"].seed_pull_request(REPOSITORY, PR, head_sha=SHA2, head_ref="feat")  # type: ignore[attr-defined]
    result = run_action(
        capsys, tmp_path, event_name="pull_request",
        event=pull_request_event(PR, sha=SHA2, head_ref="feat", action=action),
        inputs=inputs, env=github_env(sandbox),
    )  # fmt: skip
    assert result.code == 0, result.stdout + result.stderr
    return result


def run_command(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], inputs: dict[str, str]
) -> ActionResult:
    result = run_action(
        capsys, tmp_path, event_name="workflow_dispatch", event={"ref": "refs/heads/main"},
        inputs=inputs, env=github_env(sandbox), sha=SHA3, ref="refs/heads/main",
    )  # fmt: skip
    assert result.code == 0, result.stdout + result.stderr
    return result


def run_lifecycle(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], platform: str, domain: str
) -> None:
    """Production twice (the second with a custom domain and env vars), a preview, closing its
    pull request, then rolling production back."""
    base = platform_inputs(sandbox, platform, "shop", make_site(tmp_path / "dist"))
    assert run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, base).code == 0
    production = {**base, "domains": domain, "env": "API_URL: https://api.example.com", "timeout": "5"}
    pushed = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA3, production)
    assert pushed.code == 0, pushed.stdout + pushed.stderr
    assert json.loads(pushed.outputs["domains"])[0]["name"] == domain
    run_pull_request(sandbox, tmp_path, capsys, base, "opened")
    run_pull_request(sandbox, tmp_path, capsys, base, "closed")
    run_command(sandbox, tmp_path, capsys, {**base, "command": "rollback"})


def test_cloudflare_pages_runs_speak_the_documented_cloudflare_and_github_apis(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], api_traffic: list[Exchange]
) -> None:
    sandbox.set("cloudflare.zones", ["shop.localhost"])
    run_lifecycle(sandbox, tmp_path, capsys, "cloudflare-pages", "www.shop.localhost")

    report = violations_report(sandbox, api_traffic)
    assert not report, f"{len(report)} differences from the descriptions:\n" + "\n".join(report)


def test_vercel_runs_speak_the_documented_vercel_and_github_apis(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], api_traffic: list[Exchange]
) -> None:
    run_lifecycle(sandbox, tmp_path, capsys, "vercel", "www.shop.localhost")

    report = violations_report(sandbox, api_traffic)
    assert not report, f"{len(report)} differences from the descriptions:\n" + "\n".join(report)


#: the OpenID sign-in at Vercel's origin: OAuth endpoints, not operations of the REST description
SIGN_IN_PATHS = ("/.well-known/", "/login/oauth/")


def test_connect_after_a_vercel_sign_in_speaks_the_documented_vercel_api(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    api_traffic: list[Exchange],
    sign_in_clock: FakeTime,
) -> None:
    sandbox.set("vercel.oauth_creates_tokens", True)
    for _ in range(2):  # the second replaces the first's token: lists and deletes it
        assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 0, capsys.readouterr()

    rest = []
    for exchange in api_traffic:
        located = locate(exchange.url, sandbox_bases(sandbox))
        if located and located[0] == "vercel" and not located[1].startswith(SIGN_IN_PATHS):
            rest.append(exchange)
    assert any(e.method == "POST" and "/v3/user/tokens" in e.url for e in rest)
    assert any(e.method == "DELETE" and "/v3/user/tokens/" in e.url for e in rest)
    report = [str(v) for v in check_all(rest, sandbox_bases(sandbox))]
    assert not report, f"{len(report)} differences from the descriptions:\n" + "\n".join(report)


def test_connect_writes_secrets_and_variables_as_githubs_description_says(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], api_traffic: list[Exchange]
) -> None:
    env = connect_env(sandbox, CLOUDFLARE_API_TOKEN=identities.CLOUDFLARE_TOKEN)
    for environment in ([], ["--environment", "production"]):
        for project in ("shop", "blog"):  # the second connect updates the CI_DEPLOY_PROJECT variable
            command = ["connect", "cloudflare-pages", "--repo", REPOSITORY, "--project", project]
            assert main([*command, *environment], environ=env) == 0, capsys.readouterr()

    github = []
    for exchange in api_traffic:
        located = locate(exchange.url, sandbox_bases(sandbox))
        if located and located[0] == "github":
            operation = find_operation("github", exchange.method, located[1])
            assert operation is not None, f"{exchange.method} {located[1]} is not in the description subset"
            github.append((exchange, f"{operation.method} {operation.template}"))
    assert {template.split("{owner}/{repo}")[-1] for _, template in github} >= {
        "/actions/secrets/public-key", "/actions/secrets/{secret_name}", "/actions/variables",
        "/actions/variables/{name}", "/environments/{environment_name}",
        "/environments/{environment_name}/secrets/public-key",
        "/environments/{environment_name}/secrets/{secret_name}",
        "/environments/{environment_name}/variables", "/environments/{environment_name}/variables/{name}",
    }  # fmt: skip
    assert any(template.startswith("PATCH") for _, template in github)
    report = [str(v) for v in check_all([exchange for exchange, _ in github], sandbox_bases(sandbox))]
    assert not report, f"{len(report)} differences from the descriptions:\n" + "\n".join(report)
