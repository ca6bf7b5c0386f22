"""Hostile text stays text: branch names, PR titles and bodies, commit messages and bad input
values that carry Markdown, HTML, @mentions or workflow commands are shown inert in the PR
comment and the job summary, and no line we print is read by the runner as a command."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import (
    assert_deployed,
    assert_input_error,
    assert_planned,
    pr_event,
    push_event_with,
    run_case,
    sandbox_secrets,
)

from ci_deploy_sandbox.runtime import Sandbox

HOSTILE = [
    "@octocat please look",
    "![x](http://evil.example/pixel.png)",
    "[click](javascript:alert(1))",
    "\\[escaped](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "x\n::set-output name=url::http://evil.example",
    "x\n::add-mask::hide-everything",
    "x\n::stop-commands::pwned\n::set-env name=A::b",
    "x\r\n  ::warning::spoofed",
    "##[set-output name=url;]http://evil.example",
    "::error::fake failure",
]
IDS = [f"text-{index}" for index in range(len(HOSTILE))]


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_a_hostile_pr_title_and_body_and_head_branch_deploy_and_show_inert(
    text: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = pr_event(head_ref=f"feat/{text}", title=text, body=text)
    assert_deployed(run_case(sandbox, tmp_path, capsys, event=event), sandbox_secrets(sandbox))


@pytest.mark.parametrize("text", HOSTILE[:6], ids=IDS[:6])
def test_a_hostile_commit_message_on_a_push_deploys_and_shows_inert(
    text: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    channels = run_case(sandbox, tmp_path, capsys, event=push_event_with(text), event_name="push")
    assert_deployed(channels, sandbox_secrets(sandbox))


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_a_dry_run_prints_a_hostile_branch_without_starting_a_workflow_command(
    text: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plan names the branch on its own line: a newline in it must not start a command."""
    event = pr_event(head_ref=f"feat/{text}", title=text, body=text)
    channels = run_case(sandbox, tmp_path, capsys, {"dry-run": "true"}, event=event)
    assert_planned(channels, sandbox_secrets(sandbox))


ECHOING_INPUTS = ("environment", "timeout", "project", "on-health-failure")


@pytest.mark.parametrize("name", ECHOING_INPUTS)
@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_a_bad_input_value_carrying_markup_or_commands_is_echoed_inert(
    name: str, text: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    channels = run_case(sandbox, tmp_path, capsys, {name: f"bad {text}"})
    assert_input_error(channels, f"input '{name}'", sandbox_secrets(sandbox))
