"""``connect`` with no token anywhere but the project's OAuth client ids configured: GitHub's and
Vercel's device flows (the sandbox approves after one pending poll) give the tokens, the secret
and variables are written, and the production workflow ``init`` writes deploys with them. A
denied or expired sign-in is one line, exit 2, nothing written; no token is ever printed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import REPOSITORY
from connect_harness import deploy_step, deploy_written_release_step, github_store, nothing_written, resolve
from fake_time import FakeTime

from ci_deploy.cli import main
from ci_deploy.connect import device_flow
from ci_deploy_sandbox import github_secrets, identities
from ci_deploy_sandbox.runtime import Sandbox

CONNECT_VERCEL = [
    "connect", "vercel", "--repo", REPOSITORY, "--project", "shop", "--account", identities.VERCEL_TEAM_SLUG,
]  # fmt: skip


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """The flows poll on a fake clock: the sandbox's 5 s interval costs no real time."""
    fake = FakeTime()
    monkeypatch.setattr(device_flow, "default_clock", device_flow.Clock(sleep=fake.sleep, now=fake.clock))
    return fake


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


def test_connect_signs_in_by_device_flows_and_the_written_production_step_deploys(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_clock: FakeTime,
    http_get: Callable[..., httpx.Response],
) -> None:
    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 0
    out, err = capsys.readouterr()
    assert err.count("enter the code") == 2 and "warning: the Vercel token from this sign-in expires" in err
    assert fake_clock.sleeps == [5, 5, 5, 5]  # one pending poll and the approving one, per flow
    token = github_secrets.read_secret(github_store(sandbox), REPOSITORY, "VERCEL_TOKEN")
    assert token and token.startswith("vcoauth_") and token not in out + err
    assert main(["init", "vercel", "--dir", str(tmp_path)], environ={}) == 0

    inputs = resolve(deploy_step(tmp_path / ".github/workflows/production.yml")["with"], sandbox)
    assert inputs["account"] == identities.VERCEL_TEAM_ID
    deploy_written_release_step(
        sandbox, tmp_path, capsys, monkeypatch, http_get, api_url=sandbox.vercel_api_url, marker="signed-in"
    )


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("denied", "GitHub sign-in was denied in the browser: run connect again and approve the code"),
        ("expired", "expired before it was approved: run connect again and approve it within 15 minutes"),
    ],
)
def test_a_denied_or_expired_sign_in_is_one_line_exit_2_and_nothing_written(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_clock: FakeTime,
    result: str,
    expected: str,
) -> None:
    sandbox.set("oauth.result", result)
    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert expected in last
    assert nothing_written(sandbox)


def test_the_sandbox_slowing_polls_down_adds_five_seconds(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_clock: FakeTime
) -> None:
    sandbox.set("oauth.pending_polls", 2)
    sandbox.set("oauth.slow_down_poll", 2)
    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 0, capsys.readouterr()
    assert fake_clock.sleeps == [5, 5, 10, 5, 5, 10]


def test_a_client_id_for_cloudflare_says_why_it_takes_a_token(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {**signed_out_env(sandbox, tmp_path), "GH_TOKEN": identities.GITHUB_PAT}
    command = ["connect", "cloudflare-pages", "--repo", REPOSITORY, "--client-id", "x"]
    assert main(command, environ=env) == 2
    assert "--client-id: Cloudflare has no OAuth device flow" in capsys.readouterr().err
    assert nothing_written(sandbox)
