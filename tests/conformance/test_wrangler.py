"""The real ``wrangler`` (pinned in tests/conformance/package.json) against the sandbox.

A fake that only our own client accepts proves nothing: these run the official CLI end to end
and check what it printed (its exit status is not trustworthy: a failed upload can exit 0), what
the sandbox counted, and the deployed bytes as served.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from ci_deploy_sandbox.app import SERVED_BY_HEADER
from ci_deploy_sandbox.cloudflare_auth import ACCOUNT_SCOPED_TOKEN, MULTI_ACCOUNT_TOKEN
from ci_deploy_sandbox.runtime import Sandbox

pytestmark = pytest.mark.conformance

HERE = Path(__file__).parent
WRANGLER = HERE / "node_modules" / ".bin" / "wrangler"
SITE = HERE / "sites" / "pages"
#: files wrangler sends in the deployment form rather than as assets
CONFIG_FILES = {"_headers", "_redirects"}
SITE_FILES = sorted(
    p.relative_to(SITE).as_posix() for p in SITE.rglob("*") if p.is_file() and p.name not in CONFIG_FILES
)
#: files with the same bytes and extension share one hash (the site has one such pair)
UNIQUE_HASHES = len({((SITE / f).read_bytes(), Path(f).suffix) for f in SITE_FILES})
PEEK = re.compile(r"Take a peek over at (http://\S+)")
UPLOADED = re.compile(r"Uploaded (\d+) files(?: \((\d+) already uploaded\))?")


def _missing_tools() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not WRANGLER.exists():
        return f"{WRANGLER} is missing: run `npm ci` in tests/conformance"
    return None


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


Wrangler = Callable[..., Run]


@pytest.fixture
def wrangler(sandbox: Sandbox, tmp_path: Path) -> Wrangler:
    """``wrangler(*args, input=None)``: the real CLI pointed at the sandbox, in a temporary
    folder that is no git repository, with its config, cache and logs kept in there too."""
    reason = _missing_tools()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"conformance tests must run in CI: {reason}")
        pytest.skip(f"wrangler conformance skipped: {reason}")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "WRANGLER_CACHE_DIR": str(tmp_path / "cache"),
        "WRANGLER_SEND_METRICS": "false",
        "WRANGLER_HIDE_BANNER": "true",
        "CI": "true",
        "FORCE_COLOR": "0",
        "CLOUDFLARE_API_BASE_URL": sandbox.cloudflare_api_url,
        "CLOUDFLARE_API_TOKEN": sandbox.env()["CLOUDFLARE_API_TOKEN"],
        "CLOUDFLARE_ACCOUNT_ID": sandbox.env()["CLOUDFLARE_ACCOUNT_ID"],
    }
    work = tmp_path / "work"
    work.mkdir()

    def run(*args: str, input: str | None = None, **overrides: str | None) -> Run:
        """``overrides``: environment variables to change, or with None to remove."""
        changed = {**env, **overrides}
        done = subprocess.run(
            [str(WRANGLER), *args],
            cwd=work,
            env={key: value for key, value in changed.items() if value is not None},
            input=input,
            capture_output=True,
            text=True,
            timeout=180,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def create_project(wrangler: Wrangler, name: str) -> None:
    run = wrangler("pages", "project", "create", name, "--production-branch", "main")
    assert run.returncode == 0, run.output
    assert f"Successfully created the '{name}' project" in run.stdout, run.output


def api(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(
        base_url=f"{sandbox.cloudflare_api_url}/accounts/{sandbox.env()['CLOUDFLARE_ACCOUNT_ID']}",
        headers={"Authorization": f"Bearer {sandbox.env()['CLOUDFLARE_API_TOKEN']}"},
    )


def make_project(sandbox: Sandbox, name: str) -> None:
    """A project made through the API, for tests whose subject is not ``project create``
    (each wrangler start costs seconds)."""
    with api(sandbox) as client:
        response = client.post("/pages/projects", json={"name": name, "production_branch": "main"})
    assert response.json()["success"], response.text


def deploy(wrangler: Wrangler, name: str, branch: str) -> tuple[str, int, int]:
    """Deploy the test site; (deployment URL, files uploaded, files already uploaded)."""
    run = wrangler("pages", "deploy", str(SITE), "--project-name", name, "--branch", branch)
    assert run.returncode == 0, run.output
    assert "[ERROR]" not in run.output, run.output
    peek, uploaded = PEEK.search(run.stdout), UPLOADED.search(run.stdout)
    assert peek and uploaded, f"wrangler did not report a finished deploy:\n{run.output}"
    assert "Uploading _headers" in run.stdout and "Uploading _redirects" in run.stdout, run.output
    return peek.group(1), int(uploaded.group(1)), int(uploaded.group(2) or 0)


def served_path(relative: str) -> str:
    """Where Pages serves a file: HTML under its clean URL, everything else as it is named."""
    if relative.endswith("index.html"):
        relative = relative.removesuffix("index.html")
    elif relative.endswith(".html"):
        relative = relative.removesuffix(".html")
    return "/" + quote(relative)


def assert_site_served(http_get: Callable[..., httpx.Response], base_url: str) -> str:
    """Every file of the test site, byte for byte; returns the deployment that answered."""
    served_by = set()
    for relative in SITE_FILES:
        response = http_get(base_url + served_path(relative))
        assert response.status_code == 200, (relative, response.status_code)
        assert response.content == (SITE / relative).read_bytes(), relative
        served_by.add(response.headers[SERVED_BY_HEADER])
    assert len(served_by) == 1
    return served_by.pop()


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
    make_project(sandbox, "previews")
    url, _, _ = deploy(wrangler, "previews", "Feature/Fancy_Thing")
    with api(sandbox) as client:
        listed = client.get("/pages/projects/previews/deployments", params={"env": "preview"}).json()
    [deployment] = listed["result"]
    assert deployment["url"] == url
    assert deployment["aliases"] == [f"http://feature-fancy-thing.previews.pages.localhost:{sandbox.port}"]
    assert assert_site_served(http_get, deployment["aliases"][0]) == deployment["id"]
    assert http_get(f"http://previews.pages.localhost:{sandbox.port}/").status_code == 404


def test_wrangler_pages_secret_put_and_list_never_show_the_value(
    wrangler: Wrangler, sandbox: Sandbox
) -> None:
    make_project(sandbox, "secrets")
    put = wrangler("pages", "secret", "put", "API_KEY", "--project-name", "secrets", input="s3cret-value\n")
    assert put.returncode == 0 and "Success! Uploaded secret API_KEY" in put.stdout, put.output

    listed = wrangler("pages", "secret", "list", "--project-name", "secrets")
    assert listed.returncode == 0, listed.output
    assert "API_KEY: Value Encrypted" in listed.stdout and "s3cret" not in listed.output
    with api(sandbox) as client:
        project = client.get("/pages/projects/secrets").json()["result"]
    assert project["deployment_configs"]["production"]["env_vars"] == {
        "API_KEY": {"type": "secret_text", "value": ""}
    }
    assert "s3cret" not in str(project)


def test_wrangler_reports_a_failed_build_with_the_last_log_line(wrangler: Wrangler, sandbox: Sandbox) -> None:
    make_project(sandbox, "failing")
    sandbox.set("cloudflare.fail_next_builds", 1)
    run = wrangler("pages", "deploy", str(SITE), "--project-name", "failing", "--branch", "main")
    assert run.returncode != 0
    assert "Deployment failed!" in run.output and "cloudflare.fail_next_builds" in run.output, run.output


def test_wrangler_refetches_an_expired_upload_token_and_still_deploys(
    wrangler: Wrangler, sandbox: Sandbox, http_get: Callable[..., httpx.Response]
) -> None:
    make_project(sandbox, "expiring")
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
    make_project(sandbox, "listed")
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
