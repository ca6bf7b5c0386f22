"""``wrangler pages deploy`` into the sandbox: cold and unchanged deploys, preview aliases, a
failed build, an expired upload token, a missing project, and how wrangler finds the account."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from wrangler_harness import (
    SITE,
    SITE_FILES,
    UNIQUE_HASHES,
    Wrangler,
    api,
    assert_site_served,
    create_project,
    deploy,
)

from ci_deploy_sandbox.cloudflare_auth import ACCOUNT_SCOPED_TOKEN, MULTI_ACCOUNT_TOKEN
from ci_deploy_sandbox.runtime import Sandbox

pytestmark = pytest.mark.conformance


def test_wrangler_creates_a_project_and_deploys_cold_then_unchanged_with_nothing_uploaded(
    wrangler: Wrangler, sandbox: Sandbox, http_get: Callable[..., httpx.Response]
) -> None:
    create_project(wrangler, "conformance")

    url, uploaded, skipped = deploy(wrangler, "conformance", "main")
    assert (uploaded, skipped) == (len(SITE_FILES), len(SITE_FILES) - UNIQUE_HASHES)
    counters = sandbox.counters()
    assert counters["files_uploaded"] == len(SITE_FILES)
    assert counters["bytes_uploaded"] == sum((SITE / f).stat().st_size for f in SITE_FILES)
    first = assert_site_served(http_get, url)

    sandbox.reset_counters()
    again_url, uploaded, skipped = deploy(wrangler, "conformance", "main")
    assert (uploaded, skipped) == (0, len(SITE_FILES))
    assert sandbox.counters().get("bytes_uploaded", 0) == 0
    assert sandbox.counters()["endpoints"].get("cloudflare.assets.upload", 0) == 0
    second = assert_site_served(http_get, again_url)
    assert second != first

    production = f"http://conformance.pages.localhost:{sandbox.port}"
    assert assert_site_served(http_get, production) == second
    moved = http_get(production + "/old")
    assert (moved.status_code, moved.headers["location"]) == (301, "/about")
    styled = http_get(production + "/assets/css/style.css")
    assert styled.headers["x-conformance"] == "assets"


def test_wrangler_preview_branch_deploy_is_served_on_its_branch_alias(
    wrangler: Wrangler, sandbox: Sandbox, http_get: Callable[..., httpx.Response]
) -> None:
    create_project(wrangler, "previews")
    url, _, _ = deploy(wrangler, "previews", "Feature/Fancy_Thing")
    with api(sandbox) as client:
        listed = client.get("/pages/projects/previews/deployments", params={"env": "preview"}).json()
    [deployment] = listed["result"]
    assert deployment["url"] == url
    assert deployment["aliases"] == [f"http://feature-fancy-thing.previews.pages.localhost:{sandbox.port}"]
    assert assert_site_served(http_get, deployment["aliases"][0]) == deployment["id"]
    assert http_get(f"http://previews.pages.localhost:{sandbox.port}/").status_code == 404


def test_wrangler_reports_a_failed_build_with_the_last_log_line(wrangler: Wrangler, sandbox: Sandbox) -> None:
    create_project(wrangler, "failing")
    sandbox.set("cloudflare.fail_next_builds", 1)
    run = wrangler("pages", "deploy", str(SITE), "--project-name", "failing", "--branch", "main")
    assert run.returncode != 0
    assert "Deployment failed!" in run.output and "cloudflare.fail_next_builds" in run.output, run.output


def test_wrangler_refetches_an_expired_upload_token_and_still_deploys(
    wrangler: Wrangler, sandbox: Sandbox, http_get: Callable[..., httpx.Response]
) -> None:
    create_project(wrangler, "expiring")
    sandbox.inject("expired-token@cloudflare.assets.check_missing,count=1")
    url, uploaded, _ = deploy(wrangler, "expiring", "main")
    assert uploaded == len(SITE_FILES)
    assert sandbox.counters()["endpoints"]["cloudflare.assets.token"] == 3  # the claims read, then 2 JWTs
    assert_site_served(http_get, url)


def test_wrangler_deploy_to_a_missing_project_fails_in_ci_with_code_8000007(wrangler: Wrangler) -> None:
    run = wrangler("pages", "deploy", str(SITE), "--project-name", "nowhere", "--branch", "main")
    assert run.returncode != 0
    assert "Project not found" in run.output and "[code: 8000007]" in run.output, run.output


def test_wrangler_finds_the_account_through_memberships_and_fails_clearly_when_it_cannot(
    wrangler: Wrangler, sandbox: Sandbox, tmp_path: Path
) -> None:
    create_project(wrangler, "listed")
    # A fresh config cache each time: wrangler silently reuses the account_id it cached when the
    # project was created (spec 1.12), which would hide the lookup under test.
    caches = iter(str(tmp_path / f"cache-{n}") for n in range(3))
    found = wrangler("pages", "project", "list", CLOUDFLARE_ACCOUNT_ID=None, WRANGLER_CACHE_DIR=next(caches))
    assert found.returncode == 0 and "listed" in found.stdout, found.output

    ambiguous = wrangler(
        "pages",
        "project",
        "list",
        CLOUDFLARE_ACCOUNT_ID=None,
        CLOUDFLARE_API_TOKEN=MULTI_ACCOUNT_TOKEN,
        WRANGLER_CACHE_DIR=next(caches),
    )
    assert ambiguous.returncode != 0 and "More than one account available" in ambiguous.output

    scoped = wrangler(
        "pages",
        "project",
        "list",
        CLOUDFLARE_ACCOUNT_ID=None,
        CLOUDFLARE_API_TOKEN=ACCOUNT_SCOPED_TOKEN,
        WRANGLER_CACHE_DIR=next(caches),
    )
    assert scoped.returncode != 0 and "incorrect permissions on your API token" in scoped.output
