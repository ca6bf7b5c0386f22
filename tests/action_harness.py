"""Run ``ci-deploy action`` exactly as GitHub runs the container, against the sandbox.

Inputs become ``INPUT_<NAME>`` variables with hyphens kept, every declared input present (empty
when unset, else action.yml's default), the event payload is written to ``GITHUB_EVENT_PATH``,
and outputs and the summary are read back from ``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY`` with a
parser written the way the runner parses heredoc file commands.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ci_deploy import redaction
from ci_deploy.cli import main
from ci_deploy.config.inputs import INPUTS
from ci_deploy_sandbox.runtime import Sandbox

REPOSITORY = "acme/shop"
RUN_ID = 4242


#: POSTs that change nothing: the interface names check-missing read-only (a dry run may send it)
READ_ONLY_POSTS = frozenset({"cloudflare.assets.check_missing"})


def is_write(entry: Any) -> bool:
    """A request in the sandbox's log that could change something: not a GET or HEAD, and not
    a POST the interface names read-only."""
    return entry.method not in ("GET", "HEAD") and entry.endpoint not in READ_ONLY_POSTS


def parse_github_output(text: str) -> dict[str, str]:
    """A port of the runner's file-command parser (SetOutputFileCommand / EnvFileKeyValuePairs):
    ``name=value`` on one line, or ``name<<DELIM`` then lines up to a line equal to ``DELIM``."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    result: dict[str, str] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            result[line[:equals]] = line[equals + 1 :]
            continue
        assert heredoc > 0, f"invalid line {line!r}"
        name, delimiter = line[:heredoc], line[heredoc + 2 :]
        body: list[str] = []
        while True:
            assert index < len(lines), f"heredoc for {name!r} is never closed"
            current = lines[index]
            index += 1
            if current == delimiter:
                break
            body.append(current)
        result[name] = "\n".join(body)
    return result


@dataclass
class ActionResult:
    code: int
    outputs: dict[str, str]
    summary: str
    stdout: str
    stderr: str
    environ: dict[str, str] = field(default_factory=dict)

    @property
    def everything(self) -> str:
        """Every text the run produced, for secret scans."""
        return "\n".join([json.dumps(self.outputs), self.summary, self.stdout, self.stderr])

    @property
    def everything_but_masks(self) -> str:
        """Every text but the ``::add-mask::`` commands, which must name the secret to hide it."""
        return "\n".join(line for line in self.everything.splitlines() if not line.startswith("::add-mask::"))


def action_defaults() -> dict[str, str]:
    """Every declared input as the runner sets it when the workflow leaves it out."""
    defaults = {}
    for name, spec in INPUTS.items():
        value = spec.action_default if spec.action_default is not None else spec.default
        defaults[name] = "" if "${{" in value else value
    return defaults


def run_action(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    *,
    event_name: str,
    event: Mapping[str, Any],
    inputs: Mapping[str, str],
    env: Mapping[str, str] | None = None,
    sha: str = "",
    ref: str = "",
) -> ActionResult:
    """One ``ci-deploy action`` run; a fresh output/summary file each time."""
    work = tmp_path / f"run-{len(list(tmp_path.glob('run-*')))}"
    work.mkdir()
    event_path = work / "event.json"
    event_path.write_text(json.dumps(event))
    output_path, summary_path = work / "output", work / "summary"
    output_path.touch()
    summary_path.touch()
    environ = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_REPOSITORY_OWNER": REPOSITORY.split("/")[0],
        "GITHUB_RUN_ID": str(RUN_ID),
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_SHA": sha,
        "GITHUB_REF": ref,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_OUTPUT": str(output_path),
        "GITHUB_STEP_SUMMARY": str(summary_path),
        "GITHUB_WORKSPACE": str(tmp_path),
        **(env or {}),
    }
    merged = {**action_defaults(), **inputs}
    for name, value in merged.items():
        environ[f"INPUT_{name.upper()}"] = value
    redaction.forget_all()  # a fresh container: no secret an earlier run registered hides a leak
    capsys.readouterr()
    code = main(["action"], environ=environ)
    captured = capsys.readouterr()
    return ActionResult(
        code,
        parse_github_output(output_path.read_text()),
        summary_path.read_text(),
        captured.out,
        captured.err,
        environ,
    )


def platform_inputs(sandbox: Sandbox, platform: str, project: str, artifact: Path) -> dict[str, str]:
    """The inputs that point a run at the sandbox's platform and GitHub."""
    env = sandbox.env()
    if platform == "vercel":
        creds = {
            "token": env["VERCEL_TOKEN"],
            "account": env["VERCEL_ORG_ID"],
            "api-url": env["VERCEL_API_URL"],
        }
    else:
        creds = {
            "token": env["CLOUDFLARE_API_TOKEN"],
            "account": env["CLOUDFLARE_ACCOUNT_ID"],
            "api-url": env["CLOUDFLARE_API_BASE_URL"],
        }
    return {
        "platform": platform,
        "project": project,
        "artifact": str(artifact),
        "github-token": env["GITHUB_TOKEN"],
        "env-required": "none",
        "health-check-timeout": "20",
        "timeout": "60",
        **creds,
    }


def github_env(sandbox: Sandbox) -> dict[str, str]:
    return {"GITHUB_API_URL": sandbox.github_api_url}


def make_site(root: Path, marker: str = "v1", files: int = 3) -> Path:
    """A small static site whose index says ``marker``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(f"<!doctype html><title>shop</title><p>build {marker}</p>\n")
    (root / "assets").mkdir(exist_ok=True)
    for index in range(files):
        (root / "assets" / f"part-{index}.js").write_text(f"console.log({index}, {marker!r});\n")
    (root / "assets" / "logo.bin").write_bytes(bytes(range(256)) * 4)
    return root


def pull_request_event(number: int, *, sha: str, head_ref: str, action: str = "opened",
                       head_repo: str = REPOSITORY) -> dict[str, Any]:  # fmt: skip
    """A pull_request payload with the fields GitHub sends that the action reads."""
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "title": f"Change {number}",
            "head": {
                "ref": head_ref,
                "sha": sha,
                "repo": {"full_name": head_repo, "fork": head_repo != REPOSITORY},
            },
            "base": {"ref": "main", "sha": "b" * 40, "repo": {"full_name": REPOSITORY}},
            "merged": action == "closed",
            "user": {"login": "dev"},
        },
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
        "sender": {"login": "dev"},
    }


def run_push(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    sandbox: Sandbox,
    ref: str,
    sha: str,
    inputs: Mapping[str, str],
    env: Mapping[str, str] | None = None,
) -> ActionResult:
    """``ci-deploy action`` on a push of ``ref`` at ``sha``, with the sandbox's GitHub."""
    return run_action(
        capsys,
        tmp_path,
        event_name="push",
        event=push_event(ref, sha),
        inputs=inputs,
        env={**github_env(sandbox), **(env or {})},
        sha=sha,
        ref=ref,
    )


def push_event(ref: str, sha: str) -> dict[str, Any]:
    return {
        "ref": ref,
        "after": sha,
        "before": "0" * 40,
        "deleted": False,
        "head_commit": {"id": sha, "message": f"Release {sha[:7]}"},
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
        "sender": {"login": "dev"},
    }
