"""What the fault suites share: the fault kinds, a PR deploy through ``ci-deploy action`` with
faults in the way, the checks on what came out, and :class:`FaultPlatform`, the table of what
differs between Cloudflare Pages and Vercel (endpoint names, settings, wording, listing)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from action_harness import (
    REPOSITORY,
    ActionResult,
    github_env,
    make_site,
    platform_inputs,
    pull_request_event,
    run_action,
)

from ci_deploy_sandbox.faults import Fault
from ci_deploy_sandbox.runtime import Sandbox

BRANCH = "feature-faults"
TIMEOUT = 30
#: what the transport may add after the wait's own deadline: bounded retries and lookups
MARGIN = 30
#: the ``timeout`` input of runs whose faults never stop
ENDLESS_TIMEOUT = 3
#: a ``latency`` fault's delay; a request that took this long was held by it
SLOW_MS = 600
#: every built-in fault kind, as ``--fault`` strings without the endpoint
KINDS = {
    "429": "status=429,retry_after=1",
    "500-json": "status=500",
    "502-json": "status=502",
    "503-json": "status=503,retry_after=1",
    "500-html": "status=500,body=html",
    "502-html": "status=502,body=html",
    "503-html": "status=503,body=html,retry_after=1",
    "524-json": "status=524",
    "524-html": "status=524,body=html",
    "reset": "reset",
    "reset-after": "reset-after",
    "timeout": "timeout=300",
    "slow": f"latency={SLOW_MS}",
}


def fault(spec: str, endpoint: str, count: int | None) -> Fault:
    """The fault ``spec`` (``--fault`` form) on ``endpoint``, firing ``count`` times (None: for ever)."""
    return dataclasses.replace(Fault.parse(spec), endpoint=endpoint, count=count)


def seed_pr(sandbox: Sandbox, pr: int, sha: str) -> None:
    github = sandbox.world.apis["github"]
    github.seed_pull_request(REPOSITORY, pr, head_sha=sha, head_ref=BRANCH)  # type: ignore[attr-defined]


def deploy_pr(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    platform: FaultPlatform,
    **inputs: str,
) -> ActionResult:
    """One pull-request deploy of a small site, as GitHub runs the action."""
    site = make_site(tmp_path / "dist", marker="faulty", files=2)
    seed_pr(sandbox, platform.pr, platform.sha)
    return run_action(
        capsys,
        tmp_path,
        event_name="pull_request",
        event=pull_request_event(platform.pr, sha=platform.sha, head_ref=BRANCH),
        inputs={
            **platform_inputs(sandbox, platform.name, platform.project, site),
            "timeout": str(TIMEOUT),
            **inputs,
        },
        env=github_env(sandbox),
    )


def error_line(result: ActionResult) -> str:
    lines = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0]


def faulted(sandbox: Sandbox) -> set[str]:
    """Endpoints that answered with a fault, or held a request for a latency fault's time."""
    return {e.endpoint for e in sandbox.log() if e.fault or e.duration_ms >= SLOW_MS}


def assert_one_served_deployment(
    sandbox: Sandbox,
    platform: FaultPlatform,
    result: ActionResult,
    http_get: Callable[..., httpx.Response],
) -> None:
    """The run passed, exactly its own deployment exists, and the site serves this build."""
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["health"] == "passed"
    assert [d.id for d in platform.deployments(sandbox)] == [result.outputs["deployment-id"]]
    assert "build faulty" in http_get(result.outputs["url"] + "/").text


# --- what differs between the platforms ---------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Listed:
    """A deployment as the platform's list endpoint shows it, in the terms the suites check."""

    id: str
    url: str
    ready: bool


def cloudflare_deployments(sandbox: Sandbox, project: str) -> list[Listed]:
    """Every deployment of the project (none when the project was never created)."""
    env = sandbox.env()
    path = f"accounts/{env['CLOUDFLARE_ACCOUNT_ID']}/pages/projects/{project}/deployments"
    with httpx.Client(base_url=env["CLOUDFLARE_API_BASE_URL"]) as client:
        answer = client.get(
            path,
            params={"per_page": 25},
            headers={"Authorization": f"Bearer {env['CLOUDFLARE_API_TOKEN']}"},
        )
    if answer.status_code == 404:
        return []
    found: list[dict[str, Any]] = answer.json()["result"]
    return [Listed(d["id"], d["url"], d["latest_stage"]["status"] == "success") for d in found]


def vercel_deployments(sandbox: Sandbox, project: str) -> list[Listed]:
    """Every deployment in the team (the suites' only project lives there)."""
    env = sandbox.env()
    with httpx.Client(base_url=env["VERCEL_API_URL"]) as client:
        answer = client.get(
            "/v6/deployments",
            params={"teamId": env["VERCEL_ORG_ID"], "limit": 100},
            headers={"Authorization": f"Bearer {env['VERCEL_TOKEN']}"},
        )
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["deployments"]
    return [Listed(d["uid"], f"http://{d['url']}", d["state"] == "READY") for d in found]


#: a fault that never stops (``Retry-After: 0`` where the wait is not the point, so the run
#: reaches its end quickly), and what the ``::error::`` line must then say
ENDLESS_429 = "status=429,retry_after=0"
ENDLESS_503 = "status=503,retry_after=0"
#: a wait longer than the run's timeout
ENDLESS_503_LONG_WAIT = "status=503,retry_after=60"
RESET = r"Connection reset|Server disconnected|connection failed"
Endless = tuple[str, str, str]


@dataclasses.dataclass(frozen=True)
class FaultPlatform:
    """One platform as the fault suites see it: its PR run, its endpoints and its wording."""

    name: str
    project: str
    pr: int
    sha: str
    #: every endpoint a first PR deploy calls
    endpoints: tuple[str, ...]
    upload: str
    create: str
    poll: str
    #: upload faults the burst test injects: more than one request's budget, fewer than the run's
    upload_burst: int
    #: the statuses of the create calls when the first one is answered 429 (Vercel's second
    #: create is answered ``missing_files`` before the upload)
    creates_after_a_429: tuple[int, ...]
    #: (endpoint, fault, what the ``::error::`` line says) for faults that never stop
    endless: tuple[Endless, ...]
    #: the sandbox settings that slow down and fail the build
    slow_build: str
    fail_build: str
    #: a failed build's error, and a line from its log
    build_error: str
    build_log: str
    lister: Callable[[Sandbox, str], list[Listed]]

    def deployments(self, sandbox: Sandbox) -> list[Listed]:
        """Every deployment of the suite's project, read over the API once the faults are gone."""
        sandbox.clear_faults()
        return self.lister(sandbox, self.project)


CF_UPLOAD_TOKEN = "cloudflare.assets.token"
CF_CHECK_MISSING = "cloudflare.assets.check_missing"
CF_UPLOAD = "cloudflare.assets.upload"
CF_UPSERT = "cloudflare.assets.upsert_hashes"
CF_CREATE = "cloudflare.deployments.create"
CF_POLL = "cloudflare.deployments.get"
CF_PROJECT_GET = "cloudflare.projects.get"
#: the Cloudflare endpoints that take the upload token
CF_ASSET_ENDPOINTS = (CF_CHECK_MISSING, CF_UPLOAD, CF_UPSERT)

CLOUDFLARE = FaultPlatform(
    name="cloudflare-pages",
    project="shop",
    pr=31,
    sha="c" * 40,
    endpoints=(CF_UPLOAD_TOKEN, *CF_ASSET_ENDPOINTS, CF_CREATE, CF_POLL, CF_PROJECT_GET),
    upload=CF_UPLOAD,
    create=CF_CREATE,
    poll=CF_POLL,
    upload_burst=4,
    creates_after_a_429=(429, 200),
    endless=(
        (CF_UPLOAD_TOKEN, ENDLESS_503, r"HTTP 503"),
        (CF_PROJECT_GET, KINDS["500-html"], r"HTTP 500"),
        (CF_CHECK_MISSING, ENDLESS_429, r"HTTP 429"),
        (CF_UPLOAD, "reset", RESET),
        (CF_CREATE, ENDLESS_503, r"HTTP 503"),
        (CF_CREATE, ENDLESS_429, r"HTTP 429"),
        (CF_CREATE, "reset", RESET),
        (CF_POLL, ENDLESS_503_LONG_WAIT, r"HTTP 503"),
        (CF_POLL, "reset", RESET),
    ),
    slow_build="cloudflare.deploy_delay_ms",
    fail_build="cloudflare.fail_next_builds",
    build_error="Deployment failed: the sandbox was told to fail it",
    build_log="Initializing build environment",
    lister=cloudflare_deployments,
)

VERCEL_UPLOAD = "vercel.files.upload"
VERCEL_CREATE = "vercel.deployments.create"
VERCEL_POLL = "vercel.deployments.get"
VERCEL_PROJECT_GET = "vercel.projects.get"

VERCEL = FaultPlatform(
    name="vercel",
    project="web",
    pr=41,
    sha="d" * 40,
    endpoints=(VERCEL_UPLOAD, VERCEL_CREATE, VERCEL_POLL, VERCEL_PROJECT_GET),
    upload=VERCEL_UPLOAD,
    create=VERCEL_CREATE,
    poll=VERCEL_POLL,
    upload_burst=6,
    creates_after_a_429=(429, 400, 200),
    endless=(
        (VERCEL_PROJECT_GET, KINDS["500-html"], r"HTTP 500: 500 Internal Server Error"),
        (VERCEL_UPLOAD, ENDLESS_429, r"uploading .+ failed: .*\(HTTP 429\)"),
        (VERCEL_UPLOAD, "reset", RESET),
        (VERCEL_CREATE, KINDS["502-html"], r"HTTP 502: 502 Bad Gateway"),
        (VERCEL_CREATE, ENDLESS_429, r"creating the Vercel deployment failed: .*\(HTTP 429\)"),
        (VERCEL_CREATE, "reset", RESET),
        (VERCEL_POLL, ENDLESS_503_LONG_WAIT, r"HTTP 503"),
        (VERCEL_POLL, "reset", RESET),
    ),
    slow_build="vercel.build_delay_ms",
    fail_build="vercel.fail_next_builds",
    build_error="The build failed (failure injected by the sandbox",
    build_log="Building in sandbox",
    lister=vercel_deployments,
)

PLATFORMS = (CLOUDFLARE, VERCEL)


def on(*platforms: FaultPlatform) -> pytest.MarkDecorator:
    """Run the test once per platform given (one alone: a scenario only that platform has)."""
    return pytest.mark.parametrize("platform", platforms, ids=[p.name for p in platforms])
