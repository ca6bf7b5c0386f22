"""RunContext from GITHUB_* variables, and the event payload loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_deploy.config.context import RunContext, load_event
from ci_deploy.errors import InputError

ENVIRON = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_EVENT_NAME": "pull_request",
    "GITHUB_EVENT_PATH": "/github/workflow/event.json",
    "GITHUB_REPOSITORY": "acme/web",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_REF": "refs/pull/12/merge",
    "GITHUB_REF_NAME": "12/merge",
    "GITHUB_RUN_ID": "987654321",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_SERVER_URL": "https://ghe.example.com/",
    "GITHUB_API_URL": "https://ghe.example.com/api/v3",
    "GITHUB_WORKSPACE": "/github/workspace",
}


def test_context_reads_every_github_variable() -> None:
    ctx = RunContext.from_environ(ENVIRON)
    assert ctx.actions is True
    assert (ctx.event_name, ctx.repository, ctx.repository_owner) == ("pull_request", "acme/web", "acme")
    assert ctx.sha.startswith("01234567") and ctx.ref_name == "12/merge" and ctx.actor == "octocat"
    assert ctx.server_url == "https://ghe.example.com"
    assert ctx.api_url == "https://ghe.example.com/api/v3"
    assert ctx.workspace == "/github/workspace"


def test_run_url_uses_the_server_url_and_attempt() -> None:
    ctx = RunContext.from_environ(ENVIRON)
    assert ctx.run_url == "https://ghe.example.com/acme/web/actions/runs/987654321/attempts/2"
    assert ctx.repository_url == "https://ghe.example.com/acme/web"


def test_outside_actions_the_public_github_urls_are_defaults() -> None:
    ctx = RunContext.from_environ({})
    assert ctx.actions is False
    assert ctx.server_url == "https://github.com" and ctx.api_url == "https://api.github.com"
    assert ctx.run_url == "" and ctx.repository_url == ""


def test_load_event_without_a_path_is_empty() -> None:
    assert load_event(RunContext()) == {}


def test_load_event_reads_the_payload(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text('{"action": "opened", "number": 3}', encoding="utf-8")
    assert load_event(RunContext(event_path=str(path))) == {"action": "opened", "number": 3}


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "missing file"), ("{not json", "not valid JSON"), ("[1, 2]", "not hold a JSON object")],
)
def test_a_bad_event_file_is_an_input_error_naming_the_variable(
    tmp_path: Path, content: str | None, reason: str
) -> None:
    path = tmp_path / "event.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_event(RunContext(event_path=str(path)))
    assert "GITHUB_EVENT_PATH" in str(caught.value) and reason in str(caught.value)
    assert caught.value.exit_code == 2
