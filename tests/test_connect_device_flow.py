"""``connect`` with no token anywhere but the project's OAuth client ids configured: GitHub's and
Vercel's device flows (the sandbox approves after one pending poll) give the tokens. A denied or
expired sign-in is one line, exit 2, nothing written; no token is ever printed. What is stored
after a Vercel sign-in (a token made for CI) is tested in test_connect_ci_token.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from action_harness import REPOSITORY
from connect_harness import CONNECT_VERCEL, nothing_written, signed_out_env
from fake_time import FakeTime

from ci_deploy.cli import main
from ci_deploy_sandbox import identities
from ci_deploy_sandbox.runtime import Sandbox


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
    sign_in_clock: FakeTime,
    result: str,
    expected: str,
) -> None:
    sandbox.set("oauth.result", result)
    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert expected in last
    assert nothing_written(sandbox)


def test_the_sandbox_slowing_polls_down_adds_five_seconds(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], sign_in_clock: FakeTime
) -> None:
    sandbox.set("oauth.pending_polls", 2)
    sandbox.set("oauth.slow_down_poll", 2)
    sandbox.set("vercel.oauth_creates_tokens", True)
    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 0, capsys.readouterr()
    assert sign_in_clock.sleeps == [5, 5, 10, 5, 5, 10]


def test_a_client_id_for_cloudflare_says_why_it_takes_a_token(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {**signed_out_env(sandbox, tmp_path), "GH_TOKEN": identities.GITHUB_PAT}
    command = ["connect", "cloudflare-pages", "--repo", REPOSITORY, "--client-id", "x"]
    assert main(command, environ=env) == 2
    assert "--client-id: Cloudflare has no OAuth device flow" in capsys.readouterr().err
    assert nothing_written(sandbox)
