"""The hostile corpus's one set of assertions, shared by every ``test_hostile_*`` module.

A case runs ``ci-deploy action`` against the sandbox (a pull request, so a comment could be
posted) and gets back every channel a secret or an injected command could reach: stdout, stderr,
the ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` files, the PR comments in the sandbox's GitHub,
and the sandbox's request log (writes = anything but GET/HEAD).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from action_harness import REPOSITORY, ActionResult, github_env, make_site, platform_inputs, run_action

from ci_deploy.config.inputs import OUTPUTS
from ci_deploy.foreign_text import FOREIGN_LIMIT
from ci_deploy_sandbox.control import LogEntry
from ci_deploy_sandbox.runtime import Sandbox

PR = 77
SHA = "f" * 40
#: workflow commands ci-deploy itself writes; any other command-looking line was injected
OWN_COMMANDS = re.compile(r"::(add-mask|error|warning|notice|group|endgroup|debug)( [^:]*)?::")
#: the longest first line a bad input may produce (a bad value is echoed clipped to ~60 chars)
MAX_ERROR_LINE = 300
#: the longest first line a platform's error may produce: our words naming what failed, the
#: platform's cut to ``FOREIGN_LIMIT`` characters and the count of the rest
MAX_PLATFORM_ERROR_LINE = FOREIGN_LIMIT + 300
#: more than any channel of a failed run holds once a platform's megabyte is cut
MAX_CHANNEL = 64 * 1024
#: characters no channel may hold: controls (but tab and line feed) and bidi overrides
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass
class Channels:
    """Everything one run produced that a person or the runner reads."""

    result: ActionResult
    comments: list[str]
    writes: list[LogEntry]

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.result.stdout.splitlines() if line.startswith("::error")]

    def texts(self) -> dict[str, str]:
        """Each channel by name (the ``::add-mask::`` lines must name the secret to hide it)."""
        return {
            "stdout": "\n".join(
                line for line in self.result.stdout.splitlines() if not line.startswith("::add-mask::")
            ),
            "stderr": self.result.stderr,
            "outputs": json.dumps(self.result.outputs),
            "summary": self.result.summary,
            "comment": "\n".join(self.comments),
        }


def pr_event(head_ref: str = "feature", title: str = "Change", body: str = "") -> dict[str, Any]:
    return {
        "action": "synchronize",
        "number": PR,
        "pull_request": {
            "number": PR,
            "title": title,
            "body": body,
            "head": {"ref": head_ref, "sha": SHA, "repo": {"full_name": REPOSITORY, "fork": False}},
            "base": {"ref": "main", "sha": "b" * 40, "repo": {"full_name": REPOSITORY}},
            "user": {"login": "dev"},
        },
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
        "sender": {"login": "dev"},
    }


def push_event_with(message: str) -> dict[str, Any]:
    """A push to ``feature`` whose head commit says ``message``."""
    return {
        "ref": "refs/heads/feature",
        "after": SHA,
        "before": "0" * 40,
        "deleted": False,
        "head_commit": {"id": SHA, "message": message},
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
        "sender": {"login": "dev"},
    }


def run_case(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    inputs: Mapping[str, str] | None = None,
    *,
    platform: str = "cloudflare-pages",
    event: Mapping[str, Any] | None = None,
    event_name: str = "pull_request",
    env: Mapping[str, str] | None = None,
) -> Channels:
    """One ``ci-deploy action`` run on a pull request; ``inputs`` override the sandbox's."""
    github = sandbox.world.apis["github"]
    github.seed_pull_request(REPOSITORY, PR, head_sha=SHA, head_ref="feature")
    site = tmp_path / "dist"
    if not site.exists():
        make_site(site)
    given = {**platform_inputs(sandbox, platform, "shop", site), **(inputs or {})}
    seen = sandbox.world.requests.last
    result = run_action(
        capsys, tmp_path, event_name=event_name, event=event or pr_event(), inputs=given,
        env={**github_env(sandbox), **(env or {})}, sha=SHA, ref="refs/heads/feature",
    )  # fmt: skip
    writes = [e for e in sandbox.log(seen) if e.method not in ("GET", "HEAD") and e.seq > seen]
    comments = [c["body"] for c in github.comments(REPOSITORY, PR)]
    return Channels(result, comments, writes)


def encodings(secret: str) -> set[str]:
    """The forms a secret travels in: plain, base64 (alone and as ``user:secret`` Basic auth,
    standard and URL-safe) and URL-encoded."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    for text in (secret, f"user:{secret}"):
        encoded = base64.b64encode(text.encode()).decode()
        forms |= {encoded, encoded.rstrip("="), base64.urlsafe_b64encode(text.encode()).decode()}
    return forms


def sandbox_secrets(sandbox: Sandbox) -> list[str]:
    return [sandbox.tokens["cloudflare"], sandbox.tokens["vercel"], sandbox.tokens["github"]]


def assert_no_secrets(channels: Channels, secrets: Iterable[str]) -> None:
    """No secret, in any of its encodings, in any channel."""
    for name, text in channels.texts().items():
        for secret in secrets:
            for form in encodings(secret):
                assert form not in text, f"{name} leaks {form!r}"


def assert_no_injected_commands(channels: Channels) -> None:
    """Every line the runner would parse as a workflow command is one of ours, and the
    ``GITHUB_OUTPUT`` file holds only the declared outputs."""
    for line in (channels.result.stdout + "\n" + channels.result.stderr).splitlines():
        stripped = line.lstrip()
        if stripped.startswith("##["):
            raise AssertionError(f"injected command: {line!r}")
        if stripped.startswith("::"):
            assert line == stripped and OWN_COMMANDS.match(line), f"injected command: {line!r}"
    assert set(channels.result.outputs) <= set(OUTPUTS)


def assert_markdown_inert(text: str, mention: str = "octocat") -> None:
    """Outside code spans: no live link to ``javascript:``, no image, no HTML, no @mention."""
    prose = re.sub(r"`[^`\n]*`", "", text)
    assert not re.search(r"(?<!\\)!(?<!\\)\[", prose), prose
    assert not re.search(r"(?<!\\)\]\(javascript:", prose, re.IGNORECASE), prose
    assert not re.search(r"<(img|script|a|iframe|svg|style)\b", prose, re.IGNORECASE), prose
    assert f"@{mention}" not in prose, prose


def assert_failure_reported(channels: Channels, secrets: Iterable[str]) -> None:
    """Every failure: all outputs written, a summary, no secret, no injected command."""
    result = channels.result
    assert set(result.outputs) == set(OUTPUTS), result.outputs
    assert result.summary.strip(), "no step summary"
    assert "Traceback" not in result.stderr, result.stderr
    assert_no_secrets(channels, secrets)
    assert_no_injected_commands(channels)


def assert_input_error(channels: Channels, named: str, secrets: Iterable[str] = ()) -> None:
    """Exit 2, one ``::error`` line naming ``named`` (short), nothing written anywhere."""
    result = channels.result
    assert result.code == 2, result.stdout + result.stderr
    assert len(channels.error_lines) == 1, channels.error_lines
    line = channels.error_lines[0]
    assert named in line, line
    assert len(line) <= MAX_ERROR_LINE, line
    assert channels.writes == [], channels.writes
    assert channels.comments == []
    assert_failure_reported(channels, secrets)
    assert_markdown_inert(result.summary)


def assert_deployed(channels: Channels, secrets: Iterable[str]) -> None:
    """Exit 0, no ``::error``, the live URL the one last line of stdout, nothing leaked."""
    result = channels.result
    assert result.code == 0, result.stdout + result.stderr
    assert channels.error_lines == []
    assert result.stdout.splitlines()[-1] == result.outputs["url"] != ""
    assert_no_secrets(channels, secrets)
    assert_no_injected_commands(channels)
    assert_markdown_inert(result.summary)
    for comment in channels.comments:
        assert_markdown_inert(comment)


def assert_planned(channels: Channels, secrets: Iterable[str]) -> None:
    """A dry run: exit 0, no ``::error``, nothing written, nothing leaked or injected."""
    result = channels.result
    assert result.code == 0, result.stdout + result.stderr
    assert channels.error_lines == []
    assert [w for w in channels.writes if "github" not in w.endpoint] == []
    assert_no_secrets(channels, secrets)
    assert_no_injected_commands(channels)
    assert_markdown_inert(result.summary)


def assert_foreign_text_bounded(channels: Channels) -> None:
    """No channel holds a control character or an escape sequence, or more than
    :data:`MAX_CHANNEL` characters (a platform's megabyte was cut)."""
    for name, text in channels.texts().items():
        assert not CONTROLS.search(text), f"{name} holds {CONTROLS.search(text)!r}"
        assert len(text) < MAX_CHANNEL, f"{name} holds {len(text)} characters"


def assert_platform_error(channels: Channels, named: str, secrets: Iterable[str]) -> None:
    """Exit 1, one ``::error`` line naming what failed, bounded, every channel bounded and
    clean, the failure reported (outputs, summary, comment) with nothing leaked or injected."""
    result = channels.result
    assert result.code == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert len(channels.error_lines) == 1, channels.error_lines
    line = channels.error_lines[0]
    assert named in line, line
    assert len(line) <= MAX_PLATFORM_ERROR_LINE, line
    assert_failure_reported(channels, secrets)
    assert_foreign_text_bounded(channels)
    assert_markdown_inert(result.summary)
    for comment in channels.comments:
        assert_markdown_inert(comment)
