"""``vercel rollback`` and ``vercel promote`` (58.10.0) against the sandbox, by deployment URL
and by id: what production serves afterwards, and the project's alias job as the API reports it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from vercel_harness import VercelCli, api_json, production_origin

from ci_deploy_sandbox.runtime import Sandbox

pytestmark = pytest.mark.conformance


def deployment_id(sandbox: Sandbox, url: str) -> str:
    found: str = api_json(sandbox, f"/v13/deployments/{url.removeprefix('http://')}")["id"]
    return found


def test_rollback_pauses_auto_promotion_until_promote(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox, http_client: httpx.Client
) -> None:
    cli = vercel("static")
    production = production_origin(sandbox, cli.name)
    versions = {}
    for name in ("one", "two"):
        (cli.workdir / "index.html").write_text(f"<p>{name}</p>\n")
        versions[name], _ = cli.deploy("--prod")

    done = cli.run("rollback", versions["one"], "--yes")
    assert "rolled back to" in done.stdout + done.stderr, done.stderr
    assert http_client.get(production + "/").content == b"<p>one</p>\n"
    project = api_json(sandbox, f"/v9/projects/{cli.name}", rollbackInfo="true")
    assert project["lastAliasRequest"]["type"] == "rollback"
    assert project["lastAliasRequest"]["toDeploymentId"] == deployment_id(sandbox, versions["one"])

    (cli.workdir / "index.html").write_text("<p>three</p>\n")
    staged, _ = cli.deploy("--prod")
    assert http_client.get(staged + "/").content == b"<p>three</p>\n"
    assert http_client.get(production + "/").content == b"<p>one</p>\n", "auto-promoted after a rollback"

    two = deployment_id(sandbox, versions["two"])
    done = cli.run("promote", two, "--yes")
    assert "was promoted to" in done.stdout + done.stderr, done.stderr
    assert http_client.get(production + "/").content == b"<p>two</p>\n"
    project = api_json(sandbox, f"/v9/projects/{cli.name}", rollbackInfo="true")
    assert (project["lastAliasRequest"]["type"], project["targets"]["production"]["id"]) == ("promote", two)


def test_promote_of_a_preview_creates_a_production_deployment(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox, http_client: httpx.Client
) -> None:
    cli = vercel("static")
    cli.deploy()
    (cli.workdir / "index.html").write_text("<p>preview</p>\n")
    preview, _ = cli.deploy()
    done = cli.run("promote", preview, "--yes")
    assert "Successfully created new deployment" in done.stdout + done.stderr, done.stderr
    production = production_origin(sandbox, cli.name)
    assert http_client.get(production + "/").content == b"<p>preview</p>\n"
    listed = api_json(sandbox, "/v6/deployments", projectId=cli.link()["projectId"])["deployments"]
    assert [d["target"] for d in listed] == ["production", None, "production"]
