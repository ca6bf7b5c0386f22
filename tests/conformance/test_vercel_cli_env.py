"""``vercel link`` and ``vercel env`` (58.10.0) against the sandbox: linking a folder to a
project by name, and adding, listing and removing a variable, checked in the project's state."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from vercel_harness import VercelCli, api_json, requests_made

from ci_deploy_sandbox import identities
from ci_deploy_sandbox.runtime import Sandbox

pytestmark = pytest.mark.conformance


def test_link_with_a_project_name_links_the_folder_to_that_existing_project(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox
) -> None:
    first = vercel("static")
    first.deploy()
    project = api_json(sandbox, f"/v9/projects/{first.name}")

    second = vercel("static")
    done = second.run("link", "--yes", "--project", first.name)
    assert f"Linked          {identities.VERCEL_TEAM_SLUG}/{first.name}" in done.stderr, done.stderr
    linked = {"projectId": project["id"], "orgId": identities.VERCEL_TEAM_ID, "projectName": first.name}
    assert second.link() == linked
    assert len(api_json(sandbox, "/v10/projects")["projects"]) == 1, "link created a second project"
    assert ("GET", "vercel.env.pull", 200) in requests_made(sandbox), "link did not pull the env"
    assert "Error" not in done.stderr and "failed" not in done.stderr, done.stderr


def test_env_add_ls_rm_keep_a_sensitive_production_variable_the_next_deployment_sees(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox
) -> None:
    cli = vercel("static")
    cli.run("link", "--yes", "--project", cli.name)
    project_id = cli.link()["projectId"]
    done = cli.run("env", "add", "CONFORMANCE_SECRET", "production", stdin="s3cret-value")
    assert "Added" in done.stdout + done.stderr, done.stderr
    listed = api_json(sandbox, f"/v10/projects/{project_id}/env")
    (env,) = listed["envs"]
    assert (env["key"], env["type"], env["target"]) == ("CONFORMANCE_SECRET", "sensitive", ["production"])
    assert "s3cret-value" not in str(listed)

    shown = cli.run("env", "ls")
    rows = [line.split() for line in shown.stdout.splitlines() if "CONFORMANCE_SECRET" in line]
    assert [row[:4] for row in rows] == [["CONFORMANCE_SECRET", "Hidden", "Sensitive", "Production"]], shown
    assert "s3cret" not in shown.stdout + shown.stderr

    url, _ = cli.deploy("--prod")
    deployment = api_json(sandbox, f"/v13/deployments/{url.removeprefix('http://')}")
    assert "CONFORMANCE_SECRET" in deployment["env"]

    removed = cli.run("env", "rm", "CONFORMANCE_SECRET", "production", "--yes")
    assert "Removed Environment Variable" in removed.stdout + removed.stderr, removed.stderr
    assert api_json(sandbox, f"/v10/projects/{project_id}/env")["envs"] == []
    assert ("DELETE", "vercel.env.delete", 200) in requests_made(sandbox)
