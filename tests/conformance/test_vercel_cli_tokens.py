"""``vercel tokens add`` / ``ls`` / ``rm`` (58.10.0) against the sandbox: the token the CLI makes
works on the API at once and is listed, and ``rm`` (what ``connect`` says to run to revoke the
token it made for CI) makes the API refuse it."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from vercel_harness import VercelCli

from ci_deploy_sandbox.runtime import Sandbox

pytestmark = pytest.mark.conformance


def who(sandbox: Sandbox, token: str) -> httpx.Response:
    return httpx.get(f"{sandbox.vercel_api_url}/v2/user", headers={"Authorization": f"Bearer {token}"})


def test_tokens_add_ls_rm_make_list_and_revoke_a_token_the_api_then_refuses(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox
) -> None:
    cli = vercel("static")

    made = json.loads(cli.run("tokens", "add", "ci-deploy acme/shop", "--format", "json").stdout)
    token_id, value = made["token"]["id"], made["bearerToken"]
    assert made["token"]["name"] == "ci-deploy acme/shop"
    assert who(sandbox, value).status_code == 200
    listed = cli.run("tokens", "ls").stderr
    assert token_id in listed and "ci-deploy acme/shop" in listed, listed

    assert f"Removed token {token_id}" in cli.run("tokens", "rm", token_id).stderr

    refused = who(sandbox, value)
    assert refused.status_code == 403 and refused.json()["error"]["invalidToken"] is True
    assert token_id not in cli.run("tokens", "ls").stderr
