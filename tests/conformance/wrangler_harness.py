"""The real ``wrangler`` (pinned in tests/conformance/package.json) bound to one sandbox: how the
conformance tests run it, and what they check afterwards.

A fake that only our own client accepts proves nothing: the tests run the official CLI end to
end and check what it printed (its exit status is not trustworthy: a failed upload can exit 0),
what the sandbox holds and counted, and the deployed bytes as served. Projects are made with
``wrangler pages project create``, never through the API behind the CLI's back.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from ci_deploy_sandbox.app import SERVED_BY_HEADER
from ci_deploy_sandbox.runtime import Sandbox

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


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


Wrangler = Callable[..., Run]


def _missing_tools() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not WRANGLER.exists():
        return f"{WRANGLER} is missing: run `npm ci` in tests/conformance"
    return None


def make_wrangler(sandbox: Sandbox, tmp_path: Path) -> Wrangler:
    """``wrangler(*args, input=None, **overrides)``: the real CLI pointed at the sandbox, in a
    temporary folder that is no git repository, with its config, cache and logs kept in there too.
    ``overrides``: environment variables to change, or with None to remove."""
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
    """The sandbox's Pages API for the account: a read of the state a CLI left behind."""
    return httpx.Client(
        base_url=f"{sandbox.cloudflare_api_url}/accounts/{sandbox.env()['CLOUDFLARE_ACCOUNT_ID']}",
        headers={"Authorization": f"Bearer {sandbox.env()['CLOUDFLARE_API_TOKEN']}"},
    )


def api_result(sandbox: Sandbox, path: str, **params: str) -> Any:
    with api(sandbox) as client:
        body = client.get(path, params=params).json()
    assert body["success"], body
    return body["result"]


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
