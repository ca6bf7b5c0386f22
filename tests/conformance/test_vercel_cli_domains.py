"""``vercel domains add`` / ``domains inspect`` and ``vercel alias set`` (58.10.0) against the
sandbox: the account's domain list and the alias table as the API reports them afterwards, and
the sandbox's site table (which deployment each host serves)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from vercel_harness import VercelCli, api_get, api_json, requests_made

from ci_deploy_sandbox import identities
from ci_deploy_sandbox.runtime import Sandbox

pytestmark = pytest.mark.conformance


def test_domains_add_puts_an_apex_domain_in_the_team_and_inspect_shows_it(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox
) -> None:
    cli = vercel("static")
    assert api_get(sandbox, "/v5/domains/example.com").status_code == 404
    done = cli.run("domains", "add", "example.com")
    assert f"Domain example.com added to {identities.VERCEL_TEAM_SLUG}" in done.stderr, done.stderr
    domain = api_json(sandbox, "/v5/domains/example.com")["domain"]
    assert (domain["name"], domain["teamId"], domain["verified"]) == (
        "example.com",
        identities.VERCEL_TEAM_ID,
        True,
    )

    again = cli.run_unchecked("domains", "add", "example.com")
    assert again.returncode == 1 and "example.com" in again.stderr, again.stderr
    assert ("POST", "vercel.team_domains.add", 409) in requests_made(sandbox)

    shown = cli.run("domains", "inspect", "example.com")
    assert f"Domain example.com found under {identities.VERCEL_TEAM_SLUG}" in shown.stderr, shown.stderr
    text = shown.stdout + shown.stderr
    assert "Third Party" in text and identities.VERCEL_USERNAME in text, text
    assert ("GET", "vercel.team_domains.projects", 200) in requests_made(sandbox)


def test_domains_inspect_of_a_domain_the_team_lacks_fails_with_not_found(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox
) -> None:
    done = vercel("static").run_unchecked("domains", "inspect", "nowhere.example")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "nowhere.example" in done.stderr, done.stderr
    assert ("GET", "vercel.team_domains.get", 404) in requests_made(sandbox)


def test_alias_set_adds_the_custom_domain_and_points_the_host_at_the_deployment(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox
) -> None:
    cli = vercel("static")
    url, _ = cli.deploy()
    host = url.removeprefix("http://")
    done = cli.run("alias", "set", host, "custom.example.com")
    assert "https://custom.example.com now points to" in done.stderr, done.stderr

    [alias] = api_json(sandbox, "/v4/aliases/custom.example.com")
    assert alias["deploymentId"] == api_json(sandbox, f"/v13/deployments/{host}")["id"]
    assert api_json(sandbox, "/v5/domains/example.com")["domain"]["name"] == "example.com"
    # a host outside .localhost is not reachable here: the sandbox's site table shows it served
    assert sandbox.world.sites.hosts()["custom.example.com"] == alias["deploymentId"]
