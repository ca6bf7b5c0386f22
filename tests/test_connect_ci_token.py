"""After a Vercel device sign-in, ``connect`` stores not the sign-in's token (it expires) but a
token it makes for CI with ``POST /v3/user/tokens``: named ``ci-deploy <owner/repo>``, of the
chosen team's scope, announced by name and id with how to revoke it, never shown. The sandbox's
Vercel refuses an OAuth token that, as Vercel does, unless ``vercel.oauth_creates_tokens`` is
set: a refusal is one line, exit 2, nothing written."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import REPOSITORY
from connect_harness import (
    CONNECT_VERCEL,
    deploy_written_release_step,
    github_store,
    made_tokens,
    nothing_written,
    signed_out_env,
    vercel_api,
)
from fake_time import FakeTime

from ci_deploy.cli import main
from ci_deploy_sandbox import github_secrets, identities
from ci_deploy_sandbox.runtime import Sandbox
from ci_deploy_sandbox.vercel_tokens import OAUTH_TOKEN_TYPE

NAME = f"ci-deploy {REPOSITORY}"
DAY_MS = 86_400_000


def stored_token(sandbox: Sandbox, environment: str | None = None) -> str:
    """The VERCEL_TOKEN secret, opened with the sandbox's private key (a sealed box)."""
    value = github_secrets.read_secret(github_store(sandbox), REPOSITORY, "VERCEL_TOKEN", environment)
    assert value
    return value


def sign_in_tokens_expire(sandbox: Sandbox) -> None:
    """What an hour does to the sign-in's tokens: the sandbox's Vercel no longer takes them."""
    accounts = vercel_api(sandbox).accounts
    for bearer, account in list(accounts.items()):
        if account.meta.get("type") == OAUTH_TOKEN_TYPE:
            del accounts[bearer]


def test_a_sign_in_stores_a_token_made_for_ci_and_the_written_step_deploys_with_it_after_the_sign_in_expired(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sign_in_clock: FakeTime,
    http_get: Callable[..., httpx.Response],
) -> None:
    sandbox.set("vercel.oauth_creates_tokens", True)

    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 0
    out, err = capsys.readouterr()

    [made] = made_tokens(sandbox)
    assert made["name"] == NAME and "expiresAt" not in made
    assert [scope["teamId"] for scope in made["scopes"]] == [identities.VERCEL_TEAM_ID]
    assert f"created Vercel token '{NAME}' (id {made['id']}, never expires) for CI" in out
    revoke = (
        f"delete it at https://vercel.com/account/settings/tokens, or run `vercel tokens rm {made['id']}`"
    )
    assert f"to revoke it: {revoke}" in out
    secret = stored_token(sandbox)
    account = vercel_api(sandbox).tokens.account(secret)
    assert account is not None and account.meta["id"] == made["id"]  # the made token, not the sign-in's
    assert secret not in out + err
    assert main(["init", "vercel", "--dir", str(tmp_path)], environ={}) == 0
    sign_in_tokens_expire(sandbox)
    deploy_written_release_step(
        sandbox, tmp_path, capsys, monkeypatch, http_get, api_url=sandbox.vercel_api_url, marker="signed-in"
    )


def test_vercel_refusing_to_make_a_token_for_the_sign_in_is_one_line_exit_2_and_nothing_written(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], sign_in_clock: FakeTime
) -> None:
    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 2

    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "Vercel refused to make a token for CI with the sign-in (Only user authentication tokens" in last
    assert "create a token at https://vercel.com/account/settings/tokens (Scope: sandbox-team)" in last
    assert "pass it with --token-stdin" in last
    assert nothing_written(sandbox) and made_tokens(sandbox) == []


def test_a_dry_run_after_a_sign_in_says_which_token_it_would_make_and_makes_none(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], sign_in_clock: FakeTime
) -> None:
    sandbox.set("vercel.oauth_creates_tokens", True)

    assert main([*CONNECT_VERCEL, "--dry-run"], environ=signed_out_env(sandbox, tmp_path)) == 0

    out = capsys.readouterr().out
    assert f"would create a token named '{NAME}' for sandbox-team ({identities.VERCEL_TEAM_ID})" in out
    assert "would write secret VERCEL_TOKEN to acme/shop" in out
    assert nothing_written(sandbox) and made_tokens(sandbox) == []


def test_connecting_again_replaces_the_token_for_ci_and_revokes_the_earlier_one_of_its_name(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], sign_in_clock: FakeTime
) -> None:
    sandbox.set("vercel.oauth_creates_tokens", True)
    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 0
    [first] = made_tokens(sandbox)
    production = [*CONNECT_VERCEL, "--environment", "production"]
    assert main(production, environ=signed_out_env(sandbox, tmp_path)) == 0  # another secret's
    capsys.readouterr()

    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 0

    out = capsys.readouterr().out
    names = {token["id"]: token["name"] for token in made_tokens(sandbox)}
    assert first["id"] not in names
    assert sorted(names.values()) == [NAME, f"{NAME} (production)"]
    account = vercel_api(sandbox).tokens.account(stored_token(sandbox))
    assert account is not None and names[account.meta["id"]] == NAME
    assert vercel_api(sandbox).tokens.account(stored_token(sandbox, "production")) is not None
    assert f"revoked the earlier Vercel tokens named '{NAME}' (ids {first['id']}): replaced by it" in out


def test_earlier_tokens_that_cannot_be_revoked_are_a_warning_and_the_new_one_is_stored(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sign_in_clock: FakeTime,
    fake_retry_time: FakeTime,
) -> None:
    sandbox.set("vercel.oauth_creates_tokens", True)
    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 0
    capsys.readouterr()
    sandbox.inject("status=500@vercel.tokens.list,count=100")

    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 0

    err = capsys.readouterr().err
    assert f"warning: the earlier Vercel tokens named '{NAME}' could not be looked up or revoked" in err
    assert "delete the others at https://vercel.com/account/settings/tokens" in err
    assert len(made_tokens(sandbox)) == 2
    assert vercel_api(sandbox).tokens.account(stored_token(sandbox)) is not None


def test_token_expiry_sets_when_the_made_token_expires_and_an_environment_is_in_its_name(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], sign_in_clock: FakeTime
) -> None:
    sandbox.set("vercel.oauth_creates_tokens", True)
    command = [*CONNECT_VERCEL, "--token-expiry", "30", "--environment", "production"]

    assert main(command, environ=signed_out_env(sandbox, tmp_path)) == 0, capsys.readouterr()

    [made] = made_tokens(sandbox)
    assert made["name"] == f"{NAME} (production)"
    assert abs(made["expiresAt"] - (time.time() * 1000 + 30 * DAY_MS)) < 60_000
    day = time.strftime("%Y-%m-%d", time.gmtime(made["expiresAt"] / 1000))
    assert f"(id {made['id']}, expires {day} " in capsys.readouterr().out
    assert vercel_api(sandbox).tokens.account(stored_token(sandbox, "production")) is not None


@pytest.mark.parametrize(
    ("given", "flag", "expected"),
    [
        (True, "30", "--token-expiry: only the token connect makes after a device sign-in gets one"),
        (False, "0", "--token-expiry 0: expected a whole number of days, 1 or more"),
    ],
)
def test_token_expiry_for_a_given_token_or_of_no_days_is_one_line_exit_2(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    given: bool,
    flag: str,
    expected: str,
) -> None:
    env = signed_out_env(sandbox, tmp_path)
    if given:
        env["VERCEL_TOKEN"] = identities.VERCEL_TOKEN

    assert main([*CONNECT_VERCEL, "--token-expiry", flag], environ=env) == 2

    assert expected in capsys.readouterr().err.strip().splitlines()[-1]
    assert nothing_written(sandbox) and made_tokens(sandbox) == []


def test_a_made_token_the_repository_refuses_to_store_is_revoked(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], sign_in_clock: FakeTime
) -> None:
    sandbox.set("vercel.oauth_creates_tokens", True)
    sandbox.inject("status=403@github.secrets.repo_put,count=1")

    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) != 0

    out, err = capsys.readouterr()
    made_id = out.split("(id ", 1)[1].split(",", 1)[0]
    assert f"revoked the Vercel token '{NAME}' (id {made_id}): it was not stored" in err
    assert nothing_written(sandbox) and made_tokens(sandbox) == []


def test_a_create_whose_answer_was_lost_revokes_what_it_made_and_stores_one_token(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sign_in_clock: FakeTime,
    fake_retry_time: FakeTime,
) -> None:
    sandbox.set("vercel.oauth_creates_tokens", True)
    sandbox.inject("reset-after@vercel.tokens.create,count=1")

    assert main(CONNECT_VERCEL, environ=signed_out_env(sandbox, tmp_path)) == 0, capsys.readouterr()

    [made] = made_tokens(sandbox)
    account = vercel_api(sandbox).tokens.account(stored_token(sandbox))
    assert account is not None and account.meta["id"] == made["id"]
