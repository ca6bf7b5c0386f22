"""``vercel ls``, ``vercel inspect`` and ``vercel remove`` (58.10.0) against the sandbox: what
they print agrees with the deployments the API holds, and remove takes one off the air."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from vercel_harness import VercelCli, api_get, api_json, production_origin, requests_made

from ci_deploy_sandbox.runtime import Sandbox

pytestmark = pytest.mark.conformance


def test_ls_lists_the_projects_deployments_newest_first(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox
) -> None:
    cli = vercel("static")
    first, _ = cli.deploy()
    second, _ = cli.deploy()
    done = cli.run("ls")
    hosts = [u.removeprefix("http://") for u in (second, first)]
    listed = [line.strip().removeprefix("https://") for line in done.stdout.splitlines() if line.strip()]
    assert listed == hosts, done.stdout
    assert "Production" in done.stderr and "Preview" in done.stderr and "Ready" in done.stderr, done.stderr
    api_hosts = [d["url"] for d in api_json(sandbox, "/v6/deployments")["deployments"]]
    assert api_hosts == hosts


def test_inspect_shows_the_deployment_the_api_holds(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox
) -> None:
    cli = vercel("static")
    url, _ = cli.deploy()
    host = url.removeprefix("http://")
    deployment = api_json(sandbox, f"/v13/deployments/{host}")
    done = cli.run("inspect", f"https://{host}")
    text = done.stdout + done.stderr
    for field in (deployment["id"], f"name\t{cli.name}", "target\tproduction", "Ready", f"https://{host}"):
        assert field in text, text
    assert f"{cli.name}.vercel.localhost" in text, "the production alias is not listed"
    assert ("GET", "vercel.deployments.builds", 200) in requests_made(sandbox)


def test_remove_deletes_the_deployment_and_takes_its_aliases_off_the_air(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox, http_client: httpx.Client
) -> None:
    cli = vercel("static")
    url, _ = cli.deploy()
    host = url.removeprefix("http://")
    production = production_origin(sandbox, cli.name)
    assert http_client.get(production + "/").status_code == 200

    done = cli.run("remove", host, "--yes")
    assert "Removed 1 deployment" in done.stderr, done.stderr
    assert ("DELETE", "vercel.deployments.delete", 200) in requests_made(sandbox)
    assert api_get(sandbox, f"/v13/deployments/{host}").status_code == 404
    assert http_client.get(url + "/").status_code == 404
    assert http_client.get(production + "/").status_code == 404
