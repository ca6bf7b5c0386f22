"""``vercel deploy`` (58.10.0) into the sandbox from a never-linked folder: the CLI creates and
links the project itself, then deploys; cold and unchanged deploys, prebuilt output, production
aliases and a failed build. Each test checks what the CLI printed, the sandbox's state and
counters, and the bytes the live URLs serve."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from vercel_harness import (
    SITES,
    VercelCli,
    api_json,
    assert_serves,
    last_seq,
    production_origin,
    requests_made,
    site_files,
)

from ci_deploy_sandbox import identities
from ci_deploy_sandbox.runtime import Sandbox

pytestmark = pytest.mark.conformance


def test_deploy_in_an_unlinked_folder_creates_the_project_links_it_and_deploys(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox, http_client: httpx.Client
) -> None:
    cli = vercel("static")
    files = site_files(cli.workdir)
    url, stderr = cli.deploy()
    assert ("POST", "vercel.projects.create", 200) in requests_made(sandbox)
    project = api_json(sandbox, f"/v9/projects/{cli.name}")
    assert cli.link() == {
        "projectId": project["id"],
        "orgId": identities.VERCEL_TEAM_ID,
        "projectName": cli.name,
    }
    assert f"Created         {identities.VERCEL_TEAM_SLUG}/{cli.name}" in stderr, stderr
    assert project["targets"]["production"]["url"] == url.removeprefix("http://")
    assert_serves(http_client, url, files)

    since = last_seq(sandbox)
    cli.deploy()
    assert ("POST", "vercel.projects.create", 200) not in requests_made(sandbox, since), "linked twice"
    assert len(api_json(sandbox, "/v9/projects")["projects"]) == 1


def test_static_deploy_cold_then_unchanged_uploads_nothing_and_serves_every_byte(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox, http_client: httpx.Client
) -> None:
    cli = vercel("static")
    files = site_files(cli.workdir)
    url, stderr = cli.deploy()
    cold = sandbox.counters()
    distinct = len(set(files.values()))
    assert cold.get("files_uploaded") == distinct
    assert "first deployment, so it was assigned to production" in stderr
    assert_serves(http_client, url, files)
    assert http_client.get(url + "/no-such-page").status_code == 404

    again, _ = cli.deploy()
    assert again != url
    assert sandbox.counters().get("files_uploaded") == distinct, "an unchanged deploy uploaded files"
    assert_serves(http_client, again, files)


def test_prebuilt_output_deploys_cold_then_unchanged_and_serves_its_static_tree(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox, http_client: httpx.Client
) -> None:
    cli = vercel("prebuilt")
    url, _ = cli.deploy("--prebuilt")
    uploaded = sandbox.counters().get("files_uploaded")
    assert uploaded == len(site_files(cli.workdir / ".vercel" / "output"))
    static = site_files(cli.workdir, ".vercel/output/static")
    assert_serves(http_client, url, static)
    redirect = http_client.get(url + "/old-page")
    assert (redirect.status_code, redirect.headers.get("location")) == (308, "/docs/")

    again, _ = cli.deploy("--prebuilt")
    assert sandbox.counters().get("files_uploaded") == uploaded
    assert_serves(http_client, again, static)


def test_prod_deploy_moves_the_production_alias_and_a_preview_does_not(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox, http_client: httpx.Client
) -> None:
    cli = vercel("static")
    cli.deploy()
    production = production_origin(sandbox, cli.workdir.name)
    (cli.workdir / "index.html").write_text("<p>second</p>\n")
    preview, stderr = cli.deploy()
    assert "Aliased" not in stderr
    assert http_client.get(preview + "/").content == b"<p>second</p>\n"
    assert http_client.get(production + "/").content == (SITES / "static" / "index.html").read_bytes()

    (cli.workdir / "index.html").write_text("<p>third</p>\n")
    url, stderr = cli.deploy("--prod")
    assert re.search(rf"Aliased\s+https://{cli.workdir.name}\.vercel\.localhost\s", stderr), stderr
    assert http_client.get(production + "/").content == b"<p>third</p>\n"
    assert http_client.get(url + "/").content == b"<p>third</p>\n"


def test_a_failed_build_fails_the_cli_with_the_build_error_and_serves_nothing(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox, http_client: httpx.Client
) -> None:
    cli = vercel("static")
    sandbox.set("vercel.fail_next_builds", 1)
    done = cli.deploy_failing()
    assert "The build failed" in done.stderr, done.stderr
    production = production_origin(sandbox, cli.workdir.name)
    assert http_client.get(production + "/").status_code == 404
    url, _ = cli.deploy()
    assert_serves(http_client, url, site_files(cli.workdir))
