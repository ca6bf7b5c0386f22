"""Custom domains never block a deploy: through ``ci-deploy action`` against the sandbox, a domain
whose DNS is not set up is attached, reported with the records it needs and its certificate
state, waited for at most ``domains-timeout`` (not ``timeout``), and the step still passes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from action_harness import (
    REPOSITORY,
    github_env,
    make_site,
    platform_inputs,
    pull_request_event,
    run_action,
    run_push,
)

from ci_deploy.cli import main
from ci_deploy_sandbox.runtime import Sandbox

SHA1 = "1" * 40
DOMAIN = "www.shop.localhost"


@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
def test_a_domain_without_dns_is_reported_pending_with_its_records_after_domains_timeout_and_exits_0(
    platform: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if platform == "vercel":
        sandbox.set("vercel.domains_needing_verification", [DOMAIN])
    inputs = {
        **platform_inputs(sandbox, platform, "shop", make_site(tmp_path / "dist")),
        "domains": DOMAIN,
        "domains-timeout": "2",
        "timeout": "600",
    }
    started = time.monotonic()
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, inputs)
    elapsed = time.monotonic() - started

    assert result.code == 0, result.stdout + result.stderr
    assert elapsed < 30, "the domain wait is bounded by domains-timeout, not timeout"
    (domain,) = json.loads(result.outputs["domains"])
    assert domain["name"] == DOMAIN and domain["status"] == "pending"
    assert domain["records"], "the DNS records still needed are named"
    assert domain["certificate"]
    warnings = [line for line in result.stdout.splitlines() if line.startswith("::warning")]
    assert any(DOMAIN in line and "pending" in line for line in warnings)
    assert DOMAIN in result.summary and "pending" in result.summary
    assert f"{DOMAIN}: pending — needs" in result.stderr, "the records are printed before the wait"
    attaches = [e for e in sandbox.log() if e.endpoint in ("cloudflare.domains.create", "vercel.domains.add")]
    assert len(attaches) == 1


def test_domains_add_on_the_command_line_waits_only_domains_timeout(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = platform_inputs(sandbox, "cloudflare-pages", "shop", make_site(tmp_path / "dist"))
    first = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, inputs)
    assert first.code == 0, first.stdout + first.stderr
    env = sandbox.env()
    started = time.monotonic()
    code = main(
        [
            "domains",
            "add",
            DOMAIN,
            "--platform",
            "cloudflare-pages",
            "--project",
            "shop",
            "--domains-timeout",
            "1",
        ],
        environ={"PATH": "/usr/bin:/bin", **env},
    )
    out = capsys.readouterr().out
    assert code == 0
    assert time.monotonic() - started < 20
    assert f"{DOMAIN}: pending — needs CNAME {DOMAIN} -> " in out


@pytest.mark.parametrize(
    ("platform", "endpoint", "said"),
    [
        ("cloudflare-pages", "cloudflare.domains.create", "could not attach www.shop.localhost: no answer"),
        ("cloudflare-pages", "cloudflare.dns.create", "could not create CNAME www.shop.localhost"),
        ("vercel", "vercel.domains.add", "no answer from Vercel while attaching it"),
        ("vercel", "vercel.domains.config", "its DNS configuration could not be read"),
    ],
)
def test_a_domain_step_that_never_gets_an_answer_is_reported_and_the_deploy_passes(
    platform: str,
    endpoint: str,
    said: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_retry_time: object,
) -> None:
    sandbox.set("cloudflare.zones", ["shop.localhost"])
    sandbox.inject(f"reset@{endpoint},count=1000")
    inputs = {
        **platform_inputs(sandbox, platform, "shop", make_site(tmp_path / "dist")),
        "domains": DOMAIN,
        "domains-timeout": "1",
    }
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, inputs)

    assert result.code == 0, result.stdout + result.stderr
    (domain,) = json.loads(result.outputs["domains"])
    assert domain["name"] == DOMAIN and domain["status"] in ("error", "pending")
    warnings = [line for line in result.stdout.splitlines() if line.startswith("::warning")]
    assert any(DOMAIN in line and said in line for line in warnings), warnings
    assert result.outputs["url"], "the deployment itself is live"


@pytest.mark.parametrize(
    ("platform", "said"),
    [
        ("cloudflare-pages", "is already in use by a project"),
        ("vercel", "already assigned to another project"),
    ],
)
def test_a_domain_another_project_holds_is_an_error_naming_that_without_dns_records_to_add(
    platform: str, said: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.set("cloudflare.zones", ["shop.localhost"])
    results = []
    for project in ("shop", "other"):
        inputs = {
            **platform_inputs(sandbox, platform, project, make_site(tmp_path / project)),
            "domains": DOMAIN,
            "domains-timeout": "1",
        }
        results.append(run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, inputs))
    second = results[1]
    assert second.code == 0, second.stdout + second.stderr
    (domain,) = json.loads(second.outputs["domains"])
    assert (domain["status"], domain["records"]) == ("error", [])
    warning = next(
        line for line in second.stdout.splitlines() if line.startswith("::warning") and DOMAIN in line
    )
    assert said in warning and "needs" not in warning


PREVIEW_HOST_CALLS = [("cloudflare-pages", "cloudflare.dns.create"), ("vercel", "vercel.aliases.assign")]


@pytest.mark.parametrize(("platform", "endpoint"), PREVIEW_HOST_CALLS)
def test_a_preview_domain_never_answered_fails_saying_what_is_already_live(
    platform: str,
    endpoint: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_retry_time: object,
) -> None:
    sandbox.set("cloudflare.zones", ["preview.localhost"])
    sandbox.world.apis["github"].seed_pull_request(REPOSITORY, 5, head_sha=SHA1, head_ref="feat")  # type: ignore[attr-defined]
    sandbox.inject(f"reset@{endpoint},count=1000")
    inputs = {
        **platform_inputs(sandbox, platform, "shop", make_site(tmp_path / "dist")),
        "preview-domain": "pr-{{pr}}.preview.localhost",
    }
    result = run_action(
        capsys, tmp_path, event_name="pull_request", event=pull_request_event(5, sha=SHA1, head_ref="feat"),
        inputs=inputs, env=github_env(sandbox),
    )  # fmt: skip

    assert result.code == 1
    [error] = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert f"deployment {result.outputs['deployment-id']} was created and is live at " in error
    assert "the preview domain pr-5.preview.localhost could not be attached: no answer (ReadError" in error
