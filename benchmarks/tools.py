"""The three command-line tools, pointed at the sandbox, and how one run of them is timed.

Every tool runs as its own process under :mod:`benchmarks.stopwatch`, which times it from a
process of its own and reports its peak RSS: the tool's, not the sandbox's. Each run gets a
fresh HOME, and none of them sees a GitHub environment: they deploy and nothing else.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from ci_deploy_sandbox import identities

REPO = Path(__file__).resolve().parent.parent
NODE_BIN = REPO / "tests" / "conformance" / "node_modules" / ".bin"
STOPWATCH = Path(__file__).resolve().parent / "stopwatch.py"
VERCEL_URL_LINE = re.compile(r"^https://\S+$", re.MULTILINE)
OFFICIAL = {"cloudflare-pages": "wrangler", "vercel": "vercel"}


#: the ci-deploy that is measured; :func:`install_runtime` points it at a runtime-only install
INSTALLED: Path | None = None


def install_runtime(target: Path) -> Path:
    """ci-deploy as the action image has it: a plain (not editable) install of this checkout with
    its runtime dependencies only, in a venv of its own, modules compiled. The development
    environment also has what httpx imports when present (click, pygments, rich: ~15-20 ms per
    start) and an editable install's import hooks, neither of which a user's run pays."""
    global INSTALLED
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, str(REPO)], check=True)
    INSTALLED = target / "bin" / "ci-deploy"
    return INSTALLED


def ci_deploy_executable() -> str:
    """The runtime-only install when there is one, else the ``ci-deploy`` script next to this
    Python, not a version manager's shim (pyenv's shim alone costs about 0.1 s per start)."""
    if INSTALLED is not None:
        return str(INSTALLED)
    beside = Path(sys.executable).parent / "ci-deploy"
    if beside.exists():
        return str(beside)
    found = shutil.which("ci-deploy")
    if found is None:
        raise SystemExit("ci-deploy is not installed (pip install -e .)")
    return found


def missing_prerequisites(tools: set[str]) -> list[str]:
    problems = []
    for tool in tools - {"ci-deploy"}:
        if not (NODE_BIN / tool).exists():
            problems.append(f"{NODE_BIN / tool} is missing: run `npm ci` in tests/conformance")
    return problems


@dataclass
class Invocation:
    tool: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path


@dataclass
class Timed:
    """One finished run: wall time, peak RSS, and when it started and ended (epoch seconds, to
    line up with the sandbox's request log)."""

    wall_s: float
    rss_kb: int
    returncode: int
    stdout: str
    stderr: str
    started: float
    ended: float


def base_env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8", "NO_COLOR": "1"}


def ci_deploy(platform: str, site: Path, project: str, env: dict[str, str], home: Path) -> Invocation:
    vercel = platform == "vercel"
    argv = [ci_deploy_executable(), "deploy", str(site), "--platform", platform, "--project", project]
    argv += ["--token", env["VERCEL_TOKEN" if vercel else "CLOUDFLARE_API_TOKEN"]]
    argv += ["--account", env["VERCEL_ORG_ID" if vercel else "CLOUDFLARE_ACCOUNT_ID"]]
    argv += ["--api-url", env["VERCEL_API_URL" if vercel else "CLOUDFLARE_API_BASE_URL"]]
    argv += ["--environment", "production", "--env-required", "none", "--health-check", "false"]
    return Invocation("ci-deploy", argv, base_env(home), home)


def wrangler(site: Path, project: str, env: dict[str, str], home: Path) -> Invocation:
    run_env = base_env(home) | {
        "XDG_CONFIG_HOME": str(home / ".config"),
        "WRANGLER_CACHE_DIR": str(home / "cache"),
        "WRANGLER_SEND_METRICS": "false",
        "WRANGLER_HIDE_BANNER": "true",
        "CI": "true",
        "FORCE_COLOR": "0",
        "CLOUDFLARE_API_BASE_URL": env["CLOUDFLARE_API_BASE_URL"],
        "CLOUDFLARE_API_TOKEN": env["CLOUDFLARE_API_TOKEN"],
        "CLOUDFLARE_ACCOUNT_ID": env["CLOUDFLARE_ACCOUNT_ID"],
    }
    argv = [str(NODE_BIN / "wrangler"), "pages", "deploy", str(site), "--project-name", project]
    return Invocation("wrangler", [*argv, "--branch", "main"], run_env, home)


def vercel(site: Path, project_id: str, env: dict[str, str], home: Path) -> Invocation:
    run_env = base_env(home) | {
        "VERCEL_ORG_ID": env["VERCEL_ORG_ID"],
        "VERCEL_PROJECT_ID": project_id,
        "VERCEL_TELEMETRY_DISABLED": "1",
        "NO_UPDATE_NOTIFIER": "1",
    }
    argv = [str(NODE_BIN / "vercel"), "deploy", str(site), "--yes", "--prod"]
    argv += ["--api", env["VERCEL_API_URL"], "--token", env["VERCEL_TOKEN"]]
    return Invocation("vercel", [*argv, "--global-config", str(home / "vercel")], run_env, home)


def failure(inv: Invocation, timed: Timed) -> str | None:
    """Why the run did not deploy, or None. The official CLIs' exit status is not enough
    (wrangler can exit 0 after a failed upload), so their output is checked too."""
    output = timed.stdout + timed.stderr
    if timed.returncode != 0:
        return f"exit {timed.returncode}: {_tail(output)}"
    if inv.tool == "wrangler" and ("Deployment complete" not in timed.stdout or "[ERROR]" in output):
        return f"wrangler did not report a finished deploy: {_tail(output)}"
    if inv.tool == "vercel" and not VERCEL_URL_LINE.search(timed.stdout):
        return f"vercel printed no deployment URL: {_tail(output)}"
    return None


def run_timed(inv: Invocation, timeout_s: float) -> Timed:
    """Run under :mod:`benchmarks.stopwatch`, whose clock the sandbox's threads here cannot hold
    up. The tool runs in a session of its own, so a timeout ends it and every child it started."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        argv = [sys.executable, "-S", str(STOPWATCH), report.name, *inv.argv]
        started = time.time()
        with subprocess.Popen(
            argv, cwd=inv.cwd, env=inv.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        ) as process:  # fmt: skip
            try:
                stdout, stderr = process.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                stdout, stderr = process.communicate()
                return Timed(
                    timeout_s, 0, -1, stdout, f"timed out after {timeout_s:.0f} s", started, time.time()
                )
        measured = json.loads(Path(report.name).read_text() or "{}")
    if not measured:  # the stopwatch itself failed: its error is on stderr
        return Timed(time.time() - started, 0, process.returncode, stdout, stderr, started, time.time())
    return Timed(
        measured["wall_s"], measured["rss_kb"], measured["returncode"], stdout, stderr,
        measured["started"], measured["ended"],
    )  # fmt: skip


def create_project(platform: str, name: str, env: dict[str, str]) -> str:
    """Create the project up front (untimed, for every tool alike: wrangler and the vercel CLI
    cannot deploy into a project that does not exist); returns what the tool is given."""
    if platform == "cloudflare-pages":
        url = f"{env['CLOUDFLARE_API_BASE_URL']}/accounts/{env['CLOUDFLARE_ACCOUNT_ID']}/pages/projects"
        auth = {"Authorization": f"Bearer {env['CLOUDFLARE_API_TOKEN']}"}
        response = httpx.post(url, headers=auth, json={"name": name, "production_branch": "main"})
        response.raise_for_status()
        return name
    response = httpx.post(
        f"{env['VERCEL_API_URL']}/v11/projects",
        params={"teamId": identities.VERCEL_TEAM_ID},
        headers={"Authorization": f"Bearer {env['VERCEL_TOKEN']}"},
        json={"name": name},
    )
    response.raise_for_status()
    return str(response.json()["id"])


def version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=base_env(Path.home()))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[-1].strip() if lines else "unknown"


def _tail(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text[-limit:]
