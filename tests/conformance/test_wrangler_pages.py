"""``wrangler pages`` commands besides deploy, against the sandbox: projects (create, list,
delete), deployments (list, delete) and secrets (put, list). Each is checked in the sandbox's
state through its API as well as in what wrangler printed."""

from __future__ import annotations

import pytest
from wrangler_harness import Wrangler, api, api_result, create_project, deploy

from ci_deploy_sandbox.runtime import Sandbox

pytestmark = pytest.mark.conformance


def test_wrangler_creates_lists_and_deletes_a_project(wrangler: Wrangler, sandbox: Sandbox) -> None:
    create_project(wrangler, "lifecycle")
    project = api_result(sandbox, "/pages/projects/lifecycle")
    assert (project["name"], project["production_branch"]) == ("lifecycle", "main")
    assert project["subdomain"] == "lifecycle.pages.localhost"

    listed = wrangler("pages", "project", "list")
    assert listed.returncode == 0, listed.output
    assert "lifecycle" in listed.stdout and "lifecycle.pages.localhost" in listed.stdout, listed.output

    deleted = wrangler("pages", "project", "delete", "lifecycle", "--yes")
    assert deleted.returncode == 0 and "Successfully deleted lifecycle" in deleted.stdout, deleted.output
    assert api_result(sandbox, "/pages/projects") == []
    with api(sandbox) as client:
        gone = client.get("/pages/projects/lifecycle").json()
    assert [e["code"] for e in gone["errors"]] == [8000007]


def test_wrangler_lists_deployments_and_deletes_a_preview_with_force(
    wrangler: Wrangler, sandbox: Sandbox
) -> None:
    create_project(wrangler, "listing")
    production_url, _, _ = deploy(wrangler, "listing", "main")
    preview_url, _, _ = deploy(wrangler, "listing", "feature")
    deployments = {d["url"]: d for d in api_result(sandbox, "/pages/projects/listing/deployments")}
    preview_id = deployments[preview_url]["id"]

    listed = wrangler("pages", "deployment", "list", "--project-name", "listing")
    assert listed.returncode == 0, listed.output
    for url, deployment in deployments.items():
        assert deployment["id"] in listed.stdout and url in listed.stdout, listed.output
    assert "Production" in listed.stdout and "Preview" in listed.stdout, listed.output

    removed = wrangler("pages", "deployment", "delete", preview_id, "--project-name", "listing", "--force")
    assert removed.returncode == 0, removed.output
    assert f"Successfully deleted deployment {preview_id}" in removed.stdout, removed.output
    left = api_result(sandbox, "/pages/projects/listing/deployments")
    assert [d["url"] for d in left] == [production_url]


def test_wrangler_pages_secret_put_and_list_never_show_the_value(
    wrangler: Wrangler, sandbox: Sandbox
) -> None:
    create_project(wrangler, "secrets")
    put = wrangler("pages", "secret", "put", "API_KEY", "--project-name", "secrets", input="s3cret-value\n")
    assert put.returncode == 0 and "Success! Uploaded secret API_KEY" in put.stdout, put.output

    listed = wrangler("pages", "secret", "list", "--project-name", "secrets")
    assert listed.returncode == 0, listed.output
    assert "API_KEY: Value Encrypted" in listed.stdout and "s3cret" not in listed.output
    project = api_result(sandbox, "/pages/projects/secrets")
    assert project["deployment_configs"]["production"]["env_vars"] == {
        "API_KEY": {"type": "secret_text", "value": ""}
    }
    assert "s3cret" not in str(project)
