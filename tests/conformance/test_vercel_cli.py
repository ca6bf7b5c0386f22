"""The official vercel CLI (58.10.0, pinned in package.json) deploys into the sandbox.

Each test drives ``node_modules/.bin/vercel`` with ``--api`` pointed at a fresh sandbox, then
checks what the CLI printed, what the sandbox counted, and the bytes the live URLs serve. The
CLI's exit status alone proves little, so its output is checked too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from ci_deploy_sandbox import identities
from ci_deploy_sandbox.runtime import Sandbox

pytestmark = pytest.mark.conformance

HERE = Path(__file__).parent
VERCEL = HERE / "node_modules" / ".bin" / "vercel"
SITES = HERE / "vercel_sites"
URL_LINE = re.compile(r"^https://(\S+)$", re.MULTILINE)


def _require_cli() -> None:
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
    """The CLI bound to one sandbox, one project and one working copy of a site."""

    def __init__(self, sandbox: Sandbox, workdir: Path, project_id: str, home: Path) -> None:
        self.sandbox = sandbox
        self.workdir = workdir
        self.project_id = project_id
        self.home = home

    def run(
        self, *args: str, stdin: str | None = None, scoped: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run ``vercel <args>``; ``scoped`` adds ``--scope`` (promote and rollback ignore
        VERCEL_ORG_ID). Fails the test on a non-zero exit, showing both streams."""
        done = self._run(*args, stdin=stdin, scoped=scoped)
        assert done.returncode == 0, (
            f"vercel {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
        return done

    def _run(
        self, *args: str, stdin: str | None = None, scoped: bool = False
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VERCEL")}
        env.update(
            VERCEL_ORG_ID=identities.VERCEL_TEAM_ID,
            VERCEL_PROJECT_ID=self.project_id,
            VERCEL_TELEMETRY_DISABLED="1",
            NO_UPDATE_NOTIFIER="1",
            NO_COLOR="1",
            HOME=str(self.home),
        )
        command = [str(VERCEL), *args, "--api", self.sandbox.vercel_api_url]
        command += ["--token", identities.VERCEL_TOKEN, "--global-config", str(self.home / "vercel")]
        command += ["--scope", identities.VERCEL_TEAM_SLUG] if scoped else []
        return subprocess.run(
            command, cwd=self.workdir, env=env, input=stdin or "", capture_output=True, text=True, timeout=180
        )

    def deploy_failing(self, *flags: str) -> subprocess.CompletedProcess[str]:
        """``vercel deploy`` that is expected to fail (exit status not 0)."""
        done = self._run("deploy", "--yes", *flags)
        assert done.returncode != 0, f"vercel deploy succeeded:\n{done.stdout}\n{done.stderr}"
        return done

    def deploy(self, *flags: str) -> tuple[str, str]:
        """``vercel deploy``: the deployment URL (http, as a sandbox host is) and the CLI's stderr."""
        done = self.run("deploy", "--yes", *flags)
        found = URL_LINE.findall(done.stdout)
        assert found, f"no deployment URL on stdout:\n{done.stdout}\n{done.stderr}"
        assert "Error" not in done.stderr, done.stderr
        return f"http://{found[-1]}", done.stderr


@pytest.fixture
def vercel(sandbox: Sandbox, tmp_path: Path) -> Callable[[str], VercelCli]:
    """``vercel(site)``: a new project and a working copy of ``vercel_sites/<site>``."""
    _require_cli()

    def make(site: str) -> VercelCli:
        name = f"conf-{site}-{len(list(tmp_path.iterdir()))}"
        response = httpx.post(
            f"{sandbox.vercel_api_url}/v11/projects",
            params={"teamId": identities.VERCEL_TEAM_ID},
            headers={"Authorization": f"Bearer {identities.VERCEL_TOKEN}"},
            json={"name": name},
        )
        assert response.status_code == 200, response.text
        workdir = tmp_path / name
        shutil.copytree(SITES / site, workdir)
        home = tmp_path / f"{name}-home"
        home.mkdir()
        return VercelCli(sandbox, workdir, response.json()["id"], home)

    return make


def site_files(root: Path, under: str = "") -> dict[str, bytes]:
    """``{url path: bytes}`` of every file the site serves."""
    base = root / under if under else root
    return {"/" + p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def assert_serves(client: httpx.Client, origin: str, files: dict[str, bytes]) -> None:
    for path, content in files.items():
        response = client.get(origin + quote(path))
        assert response.status_code == 200, f"{origin}{path}: {response.status_code}"
        assert response.content == content, f"{origin}{path} served other bytes"


def production_origin(sandbox: Sandbox, project: str) -> str:
    return f"http://{project}.vercel.localhost:{sandbox.port}"


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


def test_rollback_pauses_auto_promotion_until_promote(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox, http_client: httpx.Client
) -> None:
    cli = vercel("static")
    production = production_origin(sandbox, cli.workdir.name)
    versions = {}
    for name in ("one", "two"):
        (cli.workdir / "index.html").write_text(f"<p>{name}</p>\n")
        versions[name], _ = cli.deploy("--prod")

    done = cli.run("rollback", versions["one"], "--yes", scoped=True)
    assert "rolled back to" in done.stdout + done.stderr, done.stderr
    assert http_client.get(production + "/").content == b"<p>one</p>\n"

    (cli.workdir / "index.html").write_text("<p>three</p>\n")
    staged, _ = cli.deploy("--prod")
    assert http_client.get(staged + "/").content == b"<p>three</p>\n"
    assert http_client.get(production + "/").content == b"<p>one</p>\n", "auto-promoted after a rollback"

    done = cli.run("promote", versions["two"], "--yes", scoped=True)
    assert "was promoted to" in done.stdout + done.stderr, done.stderr
    assert http_client.get(production + "/").content == b"<p>two</p>\n"


def test_promote_of_a_preview_creates_a_production_deployment(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox, http_client: httpx.Client
) -> None:
    cli = vercel("static")
    cli.deploy()
    (cli.workdir / "index.html").write_text("<p>preview</p>\n")
    preview, _ = cli.deploy()
    done = cli.run("promote", preview, "--yes", scoped=True)
    assert "Successfully created new deployment" in done.stdout + done.stderr, done.stderr
    production = production_origin(sandbox, cli.workdir.name)
    response = http_client.get(production + "/")
    assert response.content == b"<p>preview</p>\n"


def test_env_add_stores_a_sensitive_production_variable_the_next_deployment_sees(
    vercel: Callable[[str], VercelCli], sandbox: Sandbox
) -> None:
    cli = vercel("static")
    done = cli.run("env", "add", "CONFORMANCE_SECRET", "production", stdin="s3cret-value")
    assert "Added" in done.stdout + done.stderr, done.stderr
    auth = {"Authorization": f"Bearer {identities.VERCEL_TOKEN}"}
    team = {"teamId": identities.VERCEL_TEAM_ID}
    listed = httpx.get(
        f"{sandbox.vercel_api_url}/v10/projects/{cli.project_id}/env", params=team, headers=auth
    )
    (env,) = listed.json()["envs"]
    assert (env["key"], env["type"], env["target"]) == ("CONFORMANCE_SECRET", "sensitive", ["production"])
    assert "s3cret-value" not in listed.text

    url, _ = cli.deploy("--prod")
    host = url.removeprefix("http://")
    deployment = httpx.get(f"{sandbox.vercel_api_url}/v13/deployments/{host}", params=team, headers=auth)
    assert "CONFORMANCE_SECRET" in deployment.json()["env"]


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
