"""A platform's own words stay one bounded line: when Cloudflare, Vercel or GitHub answers an
error with a megabyte of text, an HTML page, terminal escape sequences, control and bidi
characters or line breaks carrying would-be workflow commands (the sandbox's ``body=hostile``
and ``body=hostile-html`` faults), the run is exit 1 with one ``::error`` line that names what
failed, of bounded length, and no channel (stdout, stderr, the outputs, the summary, the PR
comment) holds an escape sequence, a control character or the megabyte."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import (
    MAX_PLATFORM_ERROR_LINE,
    assert_deployed,
    assert_foreign_text_bounded,
    assert_platform_error,
    run_case,
    sandbox_secrets,
)

from ci_deploy_sandbox.runtime import Sandbox

#: (case, platform, the endpoint that answers 400 with hostile words, body, inputs, what the line names)
CASES: list[tuple[str, str, str, str, dict[str, str], str]] = [
    ("cloudflare project read", "cloudflare-pages", "cloudflare.projects.get", "hostile", {},
     "could not read the Pages project 'shop': exploded"),
    ("cloudflare upload token", "cloudflare-pages", "cloudflare.assets.token", "hostile", {},
     "could not get an upload token: exploded"),
    ("cloudflare deployment create", "cloudflare-pages", "cloudflare.deployments.create", "hostile", {},
     "could not create the deployment: exploded"),
    ("cloudflare deployment create, an HTML page", "cloudflare-pages", "cloudflare.deployments.create",
     "hostile-html", {}, "could not create the deployment: received a malformed (non-JSON) response"),
    ("vercel project read", "vercel", "vercel.projects.get", "hostile", {},
     "could not read the Vercel project 'shop': exploded"),
    ("vercel project read, an HTML page", "vercel", "vercel.projects.get", "hostile-html", {},
     "could not read the Vercel project 'shop': HTTP 400: exploded"),
    ("vercel deployment create", "vercel", "vercel.deployments.create", "hostile", {},
     "creating the Vercel deployment failed: exploded"),
    ("vercel deployment create, an HTML page", "vercel", "vercel.deployments.create", "hostile-html", {},
     "creating the Vercel deployment failed: HTTP 400: exploded"),
    ("github artifact list", "cloudflare-pages", "github.artifacts.list", "hostile",
     {"artifact-name": "site"}, "list the artifacts of run 4242: GitHub answered 400 (exploded"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("platform", "endpoint", "body", "inputs", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_platforms_hostile_error_is_one_bounded_line_naming_what_failed_exit_1(
    platform: str, endpoint: str, body: str, inputs: dict[str, str], named: str,
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    sandbox.inject(f"status=400@{endpoint},body={body}")
    channels = run_case(sandbox, tmp_path, capsys, inputs, platform=platform)
    assert_platform_error(channels, named, sandbox_secrets(sandbox))
    for text in (channels.result.summary, *channels.comments):
        assert named in text, text


@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
def test_the_cut_is_counted_on_the_error_line_and_in_the_pr_comment(
    platform: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = (
        "cloudflare.deployments.create" if platform == "cloudflare-pages" else "vercel.deployments.create"
    )
    sandbox.inject(f"status=400@{endpoint},body=hostile")
    channels = run_case(sandbox, tmp_path, capsys, platform=platform)
    [comment] = channels.comments
    for text in (channels.error_lines[0], channels.result.summary, comment):
        assert "more characters)" in text and "A" * (MAX_PLATFORM_ERROR_LINE + 1) not in text


def test_a_hostile_github_answer_to_the_comment_is_one_bounded_warning_and_the_deploy_goes_on(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.inject("status=400@github.comments.create,body=hostile")
    channels = run_case(sandbox, tmp_path, capsys)
    assert_deployed(channels, sandbox_secrets(sandbox))
    assert_foreign_text_bounded(channels)
    warnings = [line for line in channels.result.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1 and "GitHub answered 400 (exploded" in warnings[0], warnings
    assert len(warnings[0]) <= MAX_PLATFORM_ERROR_LINE
