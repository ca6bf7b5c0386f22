"""The official vercel CLI (58.10.0, pinned in package.json) bound to one sandbox: how the
conformance tests run it, and what they check afterwards (the sandbox's API state, its request
log, the bytes a live URL serves).

Every folder starts unlinked, with no ``VERCEL_ORG_ID``/``VERCEL_PROJECT_ID`` in the environment:
the CLI's own flows create and link the project (``vercel deploy --yes`` or ``vercel link``), as
they do for a user. ``--scope`` names the sandbox team on every call, because commands that do not
read the folder's link (inspect, promote, rollback, alias, remove) otherwise act as the user.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from ci_deploy_sandbox import identities
from ci_deploy_sandbox.runtime import Sandbox

HERE = Path(__file__).parent
VERCEL = HERE / "node_modules" / ".bin" / "vercel"
SITES = HERE / "vercel_sites"
URL_LINE = re.compile(r"^https://(\S+)$", re.MULTILINE)


def require_vercel_cli() -> None:
    """Skip with the reason when the CLI is not installed; in CI that is a failure instead."""
    missing = None
    if shutil.which("node") is None:
        missing = "node is not installed"
    elif not VERCEL.exists():
        missing = f"{VERCEL} is missing (run `npm ci` in tests/conformance)"
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"vercel CLI conformance cannot run in CI: {missing}")
    pytest.skip(f"vercel CLI conformance skipped: {missing}")


class VercelCli:
    """The CLI bound to one sandbox and one working copy of a site (named like its project)."""

    def __init__(self, sandbox: Sandbox, workdir: Path, home: Path) -> None:
        self.sandbox = sandbox
        self.workdir = workdir
        self.home = home

    @property
    def name(self) -> str:
        """The project name ``vercel deploy`` gives an unlinked folder: the folder's name."""
        return self.workdir.name

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``vercel <args>``; fails the test on a non-zero exit, showing both streams."""
        done = self.run_unchecked(*args, stdin=stdin)
        assert done.returncode == 0, (
            f"vercel {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
        return done

    def run_unchecked(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VERCEL")}
        env.update(VERCEL_TELEMETRY_DISABLED="1", NO_UPDATE_NOTIFIER="1", NO_COLOR="1", HOME=str(self.home))
        command = [str(VERCEL), *args, "--api", self.sandbox.vercel_api_url]
        command += ["--token", identities.VERCEL_TOKEN, "--global-config", str(self.home / "vercel")]
        command += ["--scope", identities.VERCEL_TEAM_SLUG]
        return subprocess.run(
            command, cwd=self.workdir, env=env, input=stdin or "", capture_output=True, text=True, timeout=180
        )

    def deploy_failing(self, *flags: str) -> subprocess.CompletedProcess[str]:
        """``vercel deploy`` that is expected to fail (exit status not 0)."""
        done = self.run_unchecked("deploy", "--yes", *flags)
        assert done.returncode != 0, f"vercel deploy succeeded:\n{done.stdout}\n{done.stderr}"
        return done

    def deploy(self, *flags: str) -> tuple[str, str]:
        """``vercel deploy``: the deployment URL (http, as a sandbox host is) and the CLI's stderr."""
        done = self.run("deploy", "--yes", *flags)
        found = URL_LINE.findall(done.stdout)
        assert found, f"no deployment URL on stdout:\n{done.stdout}\n{done.stderr}"
        assert "Error" not in done.stderr, done.stderr
        return f"http://{found[-1]}", done.stderr

    def link(self) -> dict[str, str]:
        """The folder's ``.vercel/project.json``, as the CLI wrote it."""
        linked: dict[str, str] = json.loads((self.workdir / ".vercel" / "project.json").read_text())
        return linked


def make_vercel_cli(sandbox: Sandbox, root: Path, site: str) -> VercelCli:
    """A fresh, unlinked working copy of ``vercel_sites/<site>`` under ``root``."""
    name = f"conf-{site}-{len(list(root.iterdir()))}"
    workdir = root / name
    shutil.copytree(SITES / site, workdir)
    home = root / f"{name}-home"
    home.mkdir()
    return VercelCli(sandbox, workdir, home)


def api_get(sandbox: Sandbox, path: str, **params: str) -> httpx.Response:
    """A read of the sandbox's Vercel API in the team's scope: the state a CLI left behind."""
    return httpx.get(
        f"{sandbox.vercel_api_url}{path}",
        params={"teamId": identities.VERCEL_TEAM_ID, **params},
        headers={"Authorization": f"Bearer {identities.VERCEL_TOKEN}"},
    )


def api_json(sandbox: Sandbox, path: str, **params: str) -> Any:
    response = api_get(sandbox, path, **params)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
    return response.json()


def requests_made(sandbox: Sandbox, since: int = 0) -> list[tuple[str, str, int | None]]:
    """``(method, endpoint, status)`` of every request the sandbox answered after ``since``."""
    return [(e.method, e.endpoint, e.status) for e in sandbox.log(since)]


def last_seq(sandbox: Sandbox) -> int:
    entries = sandbox.log()
    return entries[-1].seq if entries else 0


def site_files(root: Path, under: str = "") -> dict[str, bytes]:
    """``{url path: bytes}`` of every file the site serves."""
    base = root / under if under else root
    return {
        "/" + p.relative_to(base).as_posix(): p.read_bytes()
        for p in base.rglob("*")
        if p.is_file() and ".vercel" not in p.relative_to(base).parts[:1] and p.name != ".gitignore"
    }


def assert_serves(client: httpx.Client, origin: str, files: dict[str, bytes]) -> None:
    for path, content in files.items():
        response = client.get(origin + quote(path))
        assert response.status_code == 200, f"{origin}{path}: {response.status_code}"
        assert response.content == content, f"{origin}{path} served other bytes"


def production_origin(sandbox: Sandbox, project: str) -> str:
    return f"http://{project}.vercel.localhost:{sandbox.port}"
