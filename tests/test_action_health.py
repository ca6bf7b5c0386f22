"""Health checks, metrics and automatic rollback through ``ci-deploy action`` on the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import ActionResult, make_site, platform_inputs, run_push

from ci_deploy_sandbox.runtime import Sandbox

SHA1, SHA2 = "4" * 40, "5" * 40
TAG1, TAG2 = "refs/tags/v1", "refs/tags/v2"
TOPIC = "refs/heads/topic"
QUICK = {"health-check-timeout": "2"}


def release(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    site: Path,
    sha: str,
    ref: str = TAG1,
    platform: str = "cloudflare-pages",
    **inputs: str,
) -> ActionResult:
    """A push of ``ref`` deploying ``site`` to the project ``shop``, with extra inputs."""
    every = {**platform_inputs(sandbox, platform, "shop", site), **inputs}
    return run_push(capsys, tmp_path, sandbox, ref, sha, every)


def broken_site(root: Path) -> Path:
    """A site whose ``/`` answers 404 forever (no index.html, a custom 404 page)."""
    root.mkdir(parents=True)
    (root / "404.html").write_text("<p>gone</p>")
    return root


def test_a_healthy_deploy_reports_its_metrics_in_the_summary(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checks = {"health-check": "/\n/assets/part-0.js"}
    result = release(sandbox, tmp_path, capsys, make_site(tmp_path / "dist"), SHA1, **checks)
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["health"] == "passed"
    assert "/assets/part-0.js" in result.summary and " ms" in result.summary


def test_a_site_that_404s_while_the_edge_catches_up_passes_once_it_serves(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.set("sites.propagation_ms", 1500)
    result = release(sandbox, tmp_path, capsys, make_site(tmp_path / "dist"), SHA1)
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["health"] == "passed"
    site_requests = [e for e in sandbox.log() if e.endpoint.startswith("sites") and e.path == "/"]
    assert site_requests[0].status == 404 and site_requests[-1].status == 200


def test_a_production_deploy_whose_root_fails_is_rolled_back_to_the_previous_one(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    good = release(sandbox, tmp_path, capsys, make_site(tmp_path / "good", marker="good"), SHA1)
    assert good.code == 0, good.stdout + good.stderr
    bad = release(
        sandbox, tmp_path, capsys, broken_site(tmp_path / "bad"), SHA2, TAG2, **{"health-check-timeout": "2"}
    )
    assert bad.code == 1
    assert bad.outputs["deployed"] == "true" and bad.outputs["health"] == "failed"
    assert bad.outputs["rolled-back-to"] == good.outputs["deployment-id"]
    served = http_get(good.outputs["url"] + "/")
    assert served.status_code == 200 and "build good" in served.text
    assert served.headers["x-sandbox-deployment"] == good.outputs["deployment-id"]
    assert "rolled back" in bad.summary.lower()


def test_a_failing_preview_is_never_rolled_back(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = broken_site(tmp_path / "bad")
    result = release(sandbox, tmp_path, capsys, bad, SHA1, TOPIC, **QUICK)
    assert result.code == 1
    assert result.outputs["environment"] == "preview"
    assert result.outputs["health"] == "failed" and result.outputs["rolled-back-to"] == ""


@pytest.mark.parametrize(("policy", "code"), [("fail", 1), ("warn", 0)])
def test_fail_and_warn_policies_never_roll_back(
    policy: str, code: int, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release(sandbox, tmp_path, capsys, make_site(tmp_path / "good"), SHA1).code == 0
    bad = release(
        sandbox, tmp_path, capsys, broken_site(tmp_path / "bad"), SHA2, TAG2,
        **{"health-check-timeout": "2", "on-health-failure": policy},
    )  # fmt: skip
    assert bad.code == code
    assert bad.outputs["rolled-back-to"] == ""


def test_a_text_check_with_the_sha_catches_a_stale_build(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expect = {"health-check-expect": "200-399\ntext: build {{sha}}", "health-check-timeout": "2",
              "on-health-failure": "fail"}  # fmt: skip
    fresh = release(sandbox, tmp_path, capsys, make_site(tmp_path / "v1", marker=SHA1[:7]), SHA1, **expect)
    assert fresh.code == 0, fresh.stdout + fresh.stderr
    stale = release(
        sandbox, tmp_path, capsys, make_site(tmp_path / "v2", marker=SHA1[:7]), SHA2, TAG2, **expect
    )
    assert stale.code == 1
    assert SHA2[:7] in stale.stdout and "health check failed" in stale.stdout


def test_a_protected_vercel_preview_is_reached_with_the_bypass_secret_only(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release(sandbox, tmp_path, capsys, make_site(tmp_path / "prod"), SHA1, platform="vercel").code == 0
    secret = "bypass_secret_for_previews_0123"
    sandbox.set("vercel.protection_bypass", secret)

    def preview(**extra: str) -> ActionResult:
        site = make_site(tmp_path / "p")
        return release(sandbox, tmp_path, capsys, site, SHA2, TOPIC, "vercel", **QUICK, **extra)

    locked_out = preview()
    assert locked_out.code == 1 and "401" in locked_out.stdout
    allowed = preview(**{"vercel-protection-bypass": secret})
    assert allowed.code == 0, allowed.stdout + allowed.stderr
    assert secret not in allowed.everything_but_masks


def test_a_missed_latency_budget_fails_the_health_check(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.inject("latency@sites.*,ms=60")
    result = release(
        sandbox, tmp_path, capsys, make_site(tmp_path / "dist"), SHA1,
        **{"health-check-max-latency-ms": "20", "on-health-failure": "fail"},
    )  # fmt: skip
    assert result.code == 1
    assert result.outputs["health"] == "failed"
    assert "budget 20 ms" in result.stdout


@pytest.mark.parametrize(
    ("platform", "endpoint"),
    [("cloudflare-pages", "cloudflare.deployments.rollback"), ("vercel", "vercel.projects.rollback")],
)
@pytest.mark.parametrize("fault", ["reset", "status=400"], ids=["no answer", "refused"])
def test_a_rollback_that_fails_says_the_health_failure_and_what_production_still_serves(
    platform: str,
    endpoint: str,
    fault: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_retry_time: object,
) -> None:
    good = release(sandbox, tmp_path, capsys, make_site(tmp_path / "good"), SHA1, platform=platform)
    sandbox.inject(f"{fault}@{endpoint},count=1000")
    broken = broken_site(tmp_path / "bad")
    bad = release(sandbox, tmp_path, capsys, broken, SHA2, TAG2, platform=platform, **QUICK)

    assert bad.code == 1
    assert bad.outputs["health"] == "failed" and bad.outputs["rolled-back-to"] == ""
    [error] = [line for line in bad.stdout.splitlines() if line.startswith("::error")]
    assert "health check failed: / answered 404" in error
    assert f"rolling back to {good.outputs['deployment-id']} failed: " in error
    assert error.endswith(f"production still serves {bad.outputs['deployment-id']}")
