"""Hostile inputs: each is one ``::error`` line naming the input, exit 2, no write, no traceback,
every output and a summary written, and no secret anywhere (promise 8 and 9 of the README)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import assert_input_error, pr_event, run_case, sandbox_secrets

from ci_deploy_sandbox.runtime import Sandbox

HUGE = "x" * 10_000
#: URLs httpx would send somewhere else, or fail on only late: an unclosed IPv6 bracket, a port
#: out of range, a blank in the host, and a query or fragment a base URL cannot carry
BAD_URLS = [
    "http://[::1/v4",
    "http://127.0.0.1:99999/v4",
    "http://exa mple.com/v4",
    "http://h.example/v4?k=1",
]
PATH_CHARS = ["a/b", "..", "a/../b", "id?x=1", "id#frag", "id%2F", "two words", "tab\there"]

OVERSIZED = (
    "platform", "timeout", "environment", "pr-number", "domains", "branch", "api-url",
    "health-check", "health-check-expect", "on-health-failure", "project", "account",
    "comment", "preview-domain", "command", "github-environment",
)  # fmt: skip
CASES: list[tuple[str, dict[str, str], str]] = [
    *[(f"account {v!r}", {"account": v}, "account") for v in PATH_CHARS],
    *[
        (f"deployment-id {v!r}", {"command": "rollback", "deployment-id": v}, "deployment-id")
        for v in PATH_CHARS
    ],
    *[(f"project {v!r}", {"project": v}, "project") for v in PATH_CHARS],
    ("token non-ASCII", {"token": "tok\u00e9n-value-123"}, "token"),
    ("token with a blank", {"token": "tok en-value-123"}, "token"),
    ("token with a control character", {"token": "tok\x07en-value-123"}, "token"),
    ("github-token non-ASCII", {"github-token": "ghs_\u2603snowman-token"}, "github-token"),
    ("header value non-ASCII", {"health-check-headers": "X-Key: caf\u00e9"}, "health-check-headers"),
    ("header value control character", {"health-check-headers": "X-Key: a\x00b"}, "health-check-headers"),
    ("header name non-ASCII", {"health-check-headers": "X-K\u00e9y: v"}, "health-check-headers"),
    ("env key is a list", {"env": "? [a, b]\n: x"}, "env"),
    ("env key is a map", {"env": "? {a: 1}\n: x"}, "env"),
    ("env nested deeply", {"env": "[" * 5000 + "]" * 5000}, "env"),
    ("env maps nested deeply", {"env": "a: " + "{b: " * 3000 + "1" + "}" * 3000}, "env"),
    *[(f"oversized {name}", {name: HUGE}, name) for name in OVERSIZED],
    *[(f"api-url {v!r}", {"api-url": v}, "api-url") for v in BAD_URLS],
]


@pytest.mark.parametrize(("inputs", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_hostile_input_is_one_line_naming_it_and_changes_nothing(
    inputs: dict[str, str], named: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    channels = run_case(sandbox, tmp_path, capsys, inputs)
    assert_input_error(channels, f"input '{named}'", sandbox_secrets(sandbox))


def write_event(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "hostile-event.json"
    path.write_text(text)
    return {"GITHUB_EVENT_PATH": str(path)}


EVENTS: list[tuple[str, str]] = [
    ("arrays nested 100000 deep", "[" * 100_000 + "]" * 100_000),
    ("objects nested 100000 deep", '{"a":' * 100_000 + "1" + "}" * 100_000),
    ("a payload that is not JSON", "{'pull_request': 1"),
    ("a payload that is a list", "[1, 2, 3]"),
]


@pytest.mark.parametrize("text", [e[1] for e in EVENTS], ids=[e[0] for e in EVENTS])
def test_a_hostile_event_payload_is_one_line_naming_the_event_file(
    text: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    channels = run_case(sandbox, tmp_path, capsys, env=write_event(tmp_path, text))
    assert_input_error(channels, "GITHUB_EVENT_PATH", sandbox_secrets(sandbox))


def test_a_deeply_nested_event_field_the_action_does_not_read_is_harmless(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Depth the decoder accepts is only data: the action reads the fields it knows."""
    event = pr_event()
    nested: dict[str, object] = {}
    for _ in range(400):
        nested = {"n": nested}
    event["pull_request"]["labels"] = nested
    channels = run_case(sandbox, tmp_path, capsys, {"timeout": "soon"}, event=event)
    assert_input_error(channels, "input 'timeout'", sandbox_secrets(sandbox))
