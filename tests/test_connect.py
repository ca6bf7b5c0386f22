"""``ci-deploy connect`` against the sandbox: what it stores, that a second run updates rather
than duplicates, the dry run, and every bad input ending in one line, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from action_harness import REPOSITORY
from connect_harness import connect_env, github_store, nothing_written

from ci_deploy.cli import main
from ci_deploy_sandbox import cloudflare_auth, github_secrets, identities
from ci_deploy_sandbox.github_common import READ_ONLY_TOKEN
from ci_deploy_sandbox.runtime import Sandbox

CONNECT_CF = ["connect", "cloudflare-pages", "--repo", REPOSITORY, "--project", "shop"]


def test_connect_stores_the_token_sealed_and_the_ids_as_variables(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    env = connect_env(sandbox, CLOUDFLARE_API_TOKEN=identities.CLOUDFLARE_TOKEN)
    assert main(CONNECT_CF, environ=env) == 0
    store = github_store(sandbox)
    assert (
        github_secrets.read_secret(store, REPOSITORY, "CLOUDFLARE_API_TOKEN") == identities.CLOUDFLARE_TOKEN
    )
    assert github_secrets.read_variables(store, REPOSITORY) == {
        "CLOUDFLARE_ACCOUNT_ID": identities.CLOUDFLARE_ACCOUNT_ID,
        "CI_DEPLOY_PROJECT": "shop",
    }
    assert identities.CLOUDFLARE_TOKEN not in capsys.readouterr().out


def test_a_second_run_updates_the_variables_and_never_duplicates_them(sandbox: Sandbox) -> None:
    env = connect_env(sandbox, CLOUDFLARE_API_TOKEN=identities.CLOUDFLARE_TOKEN)
    assert main(CONNECT_CF, environ=env) == 0
    assert main([*CONNECT_CF[:-1], "blog"], environ=env) == 0
    variables = github_secrets.read_variables(github_store(sandbox), REPOSITORY)
    assert variables["CI_DEPLOY_PROJECT"] == "blog"
    assert github_secrets.secret_names(github_store(sandbox), REPOSITORY) == ["CLOUDFLARE_API_TOKEN"]


def test_dry_run_says_what_it_would_write_and_writes_nothing(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    env = connect_env(sandbox, CLOUDFLARE_API_TOKEN=identities.CLOUDFLARE_TOKEN)
    assert main([*CONNECT_CF, "--dry-run"], environ=env) == 0
    out = capsys.readouterr().out
    assert (
        "would write secret CLOUDFLARE_API_TOKEN" in out
        and "would set variable CI_DEPLOY_PROJECT=shop" in out
    )
    assert nothing_written(sandbox)


def test_environment_secrets_go_to_the_named_environment(sandbox: Sandbox) -> None:
    env = connect_env(sandbox, CLOUDFLARE_API_TOKEN=identities.CLOUDFLARE_TOKEN)
    assert main([*CONNECT_CF, "--environment", "production"], environ=env) == 0
    store = github_store(sandbox)
    assert github_secrets.read_secret(store, REPOSITORY, "CLOUDFLARE_API_TOKEN", "production")
    assert nothing_written(sandbox)


def test_the_token_can_come_from_stdin(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(identities.CLOUDFLARE_TOKEN + "\n"))
    assert main([*CONNECT_CF, "--token-stdin"], environ=connect_env(sandbox)) == 0


def test_vercel_connect_with_several_scopes_asks_for_the_account_then_stores_org_and_project(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    env = connect_env(sandbox, VERCEL_TOKEN=identities.VERCEL_TOKEN)
    base = ["connect", "vercel", "--repo", REPOSITORY, "--project", "shop"]
    assert main(base, environ=env) == 2
    err = capsys.readouterr().err
    assert "several teams: pass --account" in err and identities.VERCEL_TEAM_ID in err
    assert main([*base, "--account", identities.VERCEL_TEAM_SLUG], environ=env) == 0
    store = github_store(sandbox)
    assert github_secrets.read_secret(store, REPOSITORY, "VERCEL_TOKEN") == identities.VERCEL_TOKEN
    assert github_secrets.read_variables(store, REPOSITORY)["VERCEL_ORG_ID"] == identities.VERCEL_TEAM_ID


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("cfsandbox_wrong_token_0123456789", "Cloudflare refused the API token (Invalid API Token"),
        (cloudflare_auth.EXPIRED_TOKEN, "the Cloudflare API token is expired"),
    ],
    ids=["wrong", "expired"],
)
def test_a_refused_cloudflare_token_is_one_line_exit_2_nothing_written(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], token: str, expected: str
) -> None:
    assert main(CONNECT_CF, environ=connect_env(sandbox, CLOUDFLARE_API_TOKEN=token)) == 2
    err = capsys.readouterr().err
    assert expected in err and token not in err
    assert nothing_written(sandbox)


def test_an_account_owned_token_is_verified_against_its_account(sandbox: Sandbox) -> None:
    env = connect_env(sandbox, CLOUDFLARE_API_TOKEN=cloudflare_auth.ACCOUNT_OWNED_TOKEN)
    assert main(CONNECT_CF, environ=env) == 0


def test_a_token_without_pages_gets_a_prefilled_token_link_and_nothing_is_written(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    env = connect_env(sandbox, CLOUDFLARE_API_TOKEN=cloudflare_auth.NO_PAGES_TOKEN)
    assert main(CONNECT_CF, environ=env) == 2
    err = capsys.readouterr().err
    assert "lacks Account > Cloudflare Pages > Edit" in err
    link = err.split(" at ", 1)[1].split()[0]
    query = parse_qs(urlparse(link).query)
    assert link.startswith("https://dash.cloudflare.com/profile/api-tokens?")
    assert {"key": "page", "type": "edit"} in json.loads(query["permissionGroupKeys"][0])
    assert query["accountId"] == [identities.CLOUDFLARE_ACCOUNT_ID]
    assert nothing_written(sandbox)


def test_several_accounts_without_a_terminal_exit_2_listing_them(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    env = connect_env(sandbox, CLOUDFLARE_API_TOKEN=cloudflare_auth.MULTI_ACCOUNT_TOKEN)
    assert main(CONNECT_CF, environ=env) == 2
    err = capsys.readouterr().err
    assert "pass --account" in err and cloudflare_auth.SECOND_ACCOUNT_ID in err
    assert nothing_written(sandbox)


def test_a_github_token_without_secrets_access_is_exit_2_nothing_written(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    env = connect_env(sandbox, CLOUDFLARE_API_TOKEN=identities.CLOUDFLARE_TOKEN, GH_TOKEN=READ_ONLY_TOKEN)
    assert main(CONNECT_CF, environ=env) == 2
    assert "secrets: write" in capsys.readouterr().err
    assert nothing_written(sandbox)


def test_no_github_token_and_no_gh_is_exit_2(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    env = {**connect_env(sandbox, CLOUDFLARE_API_TOKEN=identities.CLOUDFLARE_TOKEN), "PATH": str(tmp_path)}
    del env["GH_TOKEN"]
    assert main(CONNECT_CF, environ=env) == 2
    assert "install the GitHub CLI (gh)" in capsys.readouterr().err
    assert nothing_written(sandbox)


def test_no_platform_token_without_a_terminal_is_exit_2(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(CONNECT_CF, environ=connect_env(sandbox)) == 2
    assert "set CLOUDFLARE_API_TOKEN, or pipe it to --token-stdin" in capsys.readouterr().err
