"""Exit 2 means nothing was changed: through ``ci-deploy action`` against the sandbox, every check
that can fail on input runs before the first write, so the request log holds only reads (no
project, upload, deployment, domain or GitHub record); a failure only knowable once the
deployment exists is exit 1 and says what was already created."""

from __future__ import annotations

from pathlib import Path

import pytest
from action_harness import (
    REPOSITORY,
    ActionResult,
    github_env,
    is_write,
    make_site,
    platform_inputs,
    pull_request_event,
    run_action,
    run_push,
)

from ci_deploy_sandbox.runtime import Sandbox

SHA1, SHA2 = "1" * 40, "2" * 40


def writes_since(sandbox: Sandbox, start: int) -> list[str]:
    """Every request after ``start`` that is not a read (GitHub's included)."""
    return [f"{e.method} {e.path}" for e in sandbox.log(start) if e.endpoint and is_write(e)]


def last_seq(sandbox: Sandbox) -> int:
    entries = sandbox.log()
    return entries[-1].seq if entries else 0


def assert_exit_2_with_nothing_written(
    result: ActionResult, sandbox: Sandbox, start: int, named: str
) -> None:
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert result.code == 2, result.stdout + result.stderr
    assert len(errors) == 1 and named in errors[0], errors
    assert writes_since(sandbox, start) == []


def seed_pr(sandbox: Sandbox, number: int, sha: str, head_ref: str) -> None:
    sandbox.world.apis["github"].seed_pull_request(REPOSITORY, number, head_sha=sha, head_ref=head_ref)  # type: ignore[attr-defined]


def test_a_preview_domain_with_no_zone_in_the_account_exits_2_before_anything_is_created(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_pr(sandbox, 5, SHA1, "feat")
    inputs = {
        **platform_inputs(sandbox, "cloudflare-pages", "shop", make_site(tmp_path / "dist")),
        "preview-domain": "pr-{{pr}}.preview.example.org",
    }
    start = last_seq(sandbox)
    result = run_action(
        capsys, tmp_path, event_name="pull_request", event=pull_request_event(5, sha=SHA1, head_ref="feat"),
        inputs=inputs, env=github_env(sandbox),
    )  # fmt: skip
    assert_exit_2_with_nothing_written(result, sandbox, start, "preview-domain")


@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
def test_a_missing_required_env_var_on_a_new_project_exits_2_without_creating_the_project(
    platform: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = {
        **platform_inputs(sandbox, platform, "brand-new", make_site(tmp_path / "dist")),
        "env-required": "DATABASE_URL",
    }
    start = last_seq(sandbox)
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA1, inputs)
    assert_exit_2_with_nothing_written(result, sandbox, start, "env-required")
    assert not [e for e in sandbox.log(start) if e.endpoint.endswith("projects.create")]


def test_a_preview_named_like_the_pages_projects_own_production_branch_exits_2_before_any_write(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The project deploys production from ``main``; this run thinks production is ``release``,
    so a push to ``main`` is a preview here, which Cloudflare would publish as production."""
    site = make_site(tmp_path / "dist")
    first = run_push(
        capsys,
        tmp_path,
        sandbox,
        "refs/heads/main",
        SHA1,
        platform_inputs(sandbox, "cloudflare-pages", "shop", site),
    )
    assert first.code == 0, first.stdout + first.stderr
    inputs = {**platform_inputs(sandbox, "cloudflare-pages", "shop", site), "production-branch": "release"}
    start = last_seq(sandbox)
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA2, inputs)
    assert_exit_2_with_nothing_written(result, sandbox, start, "branch")


def test_an_artifact_over_the_upload_tokens_file_limit_exits_2_before_env_vars_or_uploads(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path / "dist", files=3)
    first = run_push(
        capsys,
        tmp_path,
        sandbox,
        "refs/heads/main",
        SHA1,
        platform_inputs(sandbox, "cloudflare-pages", "shop", site),
    )
    assert first.code == 0, first.stdout + first.stderr
    sandbox.set("cloudflare.max_file_count", 3)
    inputs = {**platform_inputs(sandbox, "cloudflare-pages", "shop", site), "env": "FLAG: on"}
    start = last_seq(sandbox)
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA2, inputs)
    assert result.code == 2, result.stdout + result.stderr
    assert writes_since(sandbox, start) == []


def test_a_preview_domain_refused_after_the_deployment_exists_is_exit_1_naming_the_live_deployment(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Vercel can only refuse an alias once asked: the deployment is then live, and the message says so."""
    seed_pr(sandbox, 6, SHA1, "feat")
    inputs = {
        **platform_inputs(sandbox, "vercel", "web", make_site(tmp_path / "dist")),
        "preview-domain": "pr-{{pr}}.preview.localhost",
    }
    sandbox.inject({"kind": "status", "endpoint": "vercel.aliases.assign", "status": 403, "count": 1})
    result = run_action(
        capsys, tmp_path, event_name="pull_request", event=pull_request_event(6, sha=SHA1, head_ref="feat"),
        inputs=inputs, env=github_env(sandbox),
    )  # fmt: skip
    assert result.code == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert errors and "was created and is live at" in errors[0]
    assert "pr-6.preview.localhost could not be attached" in errors[0]
