"""Helpers of the after-the-deploy suites: a production release run on the sandbox with Sentry
inputs, and the Sentry calls the request log shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from action_harness import ActionResult, make_site, platform_inputs, run_push

from ci_deploy_sandbox.runtime import Sandbox

SHA1, SHA2 = "6" * 40, "7" * 40
TAG1, TAG2 = "refs/tags/v1", "refs/tags/v2"
ORG, PROJECT = "acme", "shop-web"


def sentry_inputs(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return {
        "sentry-org": ORG,
        "sentry-project": PROJECT,
        "sentry-token": sandbox.tokens["sentry"],
        "sentry-url": sandbox.sentry_url,
        **extra,
    }


def release(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], sha: str, ref: str, **inputs: str
) -> ActionResult:
    """``ci-deploy action`` on a push of tag ``ref`` at ``sha``: a production deploy to Cloudflare."""
    site = make_site(tmp_path / f"site-{sha[:4]}", marker=sha[:7])
    every = {**platform_inputs(sandbox, "cloudflare-pages", "shop", site), **inputs}
    return run_push(capsys, tmp_path, sandbox, ref, sha, every)


def sentry_calls(sandbox: Sandbox) -> list[tuple[str, str, int | None]]:
    return [(e.endpoint, e.path, e.status) for e in sandbox.log() if e.endpoint.startswith("sentry.")]
