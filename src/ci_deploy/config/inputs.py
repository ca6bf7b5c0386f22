"""Every input and output of the action, declared once.

``action.yml``, the README table, the CLI flags and the :class:`~ci_deploy.config.settings.Settings` model
are all checked against :data:`INPUTS` / :data:`OUTPUTS` by tests, so a new input cannot be
half-added. Values arrive here as raw strings — from ``INPUT_*`` variables or CLI flags — and are
validated only by the config model.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ci_deploy.runner import input_variable

Kind = Literal["text", "boolean", "multiline"]


@dataclass(frozen=True)
class InputSpec:
    """One input: what it means, its default as action.yml states it, and how it is typed."""

    description: str
    #: the value used when the input is empty ("" = none); also action.yml's default
    default: str = ""
    required: bool = False
    #: registered for redaction the moment it is read; never shown in repr or errors
    secret: bool = False
    #: boolean inputs become ``--x/--no-x`` flags, multiline ones repeatable flags
    kind: Kind = "text"
    #: action.yml's default when it differs from the CLI's (``${{ github.token }}``)
    action_default: str | None = None


def _spec(description: str, default: str = "", **extra: Any) -> InputSpec:
    return InputSpec(description=description, default=default, **extra)


INPUTS: dict[str, InputSpec] = {
    "platform": _spec("Where to deploy: `cloudflare-pages` or `vercel`.", required=True),
    "token": _spec(
        "Platform API token, from a secret. Defaults to CLOUDFLARE_API_TOKEN / VERCEL_TOKEN from the "
        "step's env. Masked at once. Required unless dry-run.",
        secret=True,
    ),
    "account": _spec(
        "Cloudflare account ID (needed unless the token sees exactly one account) or Vercel team ID/slug "
        "(omit for a personal account). Defaults to CLOUDFLARE_ACCOUNT_ID / VERCEL_ORG_ID."
    ),
    "project": _spec(
        "Platform project name (or a Vercel prj_ id). Required unless VERCEL_PROJECT_ID is set."
    ),
    "create-project": _spec("Create the project when it does not exist.", "true", kind="boolean"),
    "artifact": _spec(
        "Build output: a directory, or a .zip/.tar/.tar.gz/.tgz archive, relative to working-directory. "
        "For Vercel a Build Output API v3 directory (.vercel/output) is deployed as prebuilt.",
        "dist",
    ),
    "working-directory": _spec("Relative paths resolve against it (monorepos).", "."),
    "artifact-name": _spec(
        "Name of an artifact uploaded earlier in this workflow run (actions/upload-artifact); "
        "downloaded with github-token and deployed instead of `artifact`."
    ),
    "environment": _spec("`auto`, `preview` or `production` (auto follows the event).", "auto"),
    "production-branch": _spec(
        "Branch whose pushes deploy to production. Default: the repository's default branch from the "
        "event, else `main`."
    ),
    "branch": _spec(
        "Branch name recorded on the deployment. Default: from the event; `pr-<n>` for a PR from a fork. "
        "A preview never uses the production branch's name."
    ),
    "pr-number": _spec("Pull request number, for workflow_run and other events that carry no PR."),
    "domains": _spec(
        "Custom domains (newline or comma separated) to attach to the project's production.",
        kind="multiline",
    ),
    "domains-timeout": _spec(
        "Seconds to wait for custom domains to become active before reporting them `pending` with the "
        "DNS records still needed (a warning, never a failure).",
        "30",
    ),
    "preview-domain": _spec(
        "Template for a preview alias host, e.g. `pr-{{pr}}.preview.example.com`; placeholders {{pr}}, "
        "{{branch}}, {{sha}}, {{project}}. Ignored on production."
    ),
    "env": _spec(
        "YAML mapping `KEY: value` of env vars for the deployed app. A value of exactly `${NAME}` is read "
        "from the step's env var NAME and stored as a secret; `$${` escapes a literal `${`.",
        kind="multiline",
    ),
    "env-file": _spec(
        "Dotenv file (or YAML when it ends in .yml/.yaml) with more variables; `env` wins on a clash."
    ),
    "env-required": _spec(
        "`auto` (names in .env.example/.env.sample and names the artifact's server code reads), a list of "
        "names, or `none`. A required name with no value fails the run before anything is uploaded.",
        "auto",
        kind="multiline",
    ),
    "github-token": _spec(
        "Token for PR comments, GitHub deployments and artifact download. Defaults to GITHUB_TOKEN.",
        secret=True,
        action_default="${{ github.token }}",
    ),
    "comment": _spec("Keep one sticky PR comment per deploy, updated in place.", "true", kind="boolean"),
    "comment-key": _spec(
        "Keeps separate sticky comments for several deploys in one PR. Default: `<platform>/<project>`."
    ),
    "github-deployment": _spec(
        "Create a GitHub deployment with in_progress -> success/failure statuses.", "true", kind="boolean"
    ),
    "github-environment": _spec("GitHub environment name. Default: `Preview` / `Production`."),
    "wait": _spec(
        "Wait until the platform says the deployment is ready; `false` exits once it is accepted.",
        "true",
        kind="boolean",
    ),
    "timeout": _spec("Seconds for the whole wait (upload excluded).", "600"),
    "health-check": _spec(
        "Newline list of paths (or absolute URLs) to check after deploy; `false` skips.",
        "/",
        kind="multiline",
    ),
    "health-check-expect": _spec(
        "Expected status codes (e.g. `200-399`, `200,204`) and optionally a line `text: ...` the body must "
        "contain (placeholders as in preview-domain).",
        "200-399",
        kind="multiline",
    ),
    "health-check-timeout": _spec("Seconds to keep retrying (with backoff) until healthy.", "120"),
    "health-check-headers": _spec(
        "Newline list of `Name: value` headers sent with every check of the deployment's own hosts "
        "(its URL, `domains`). Every value is masked as a secret, whatever the header is called (values "
        "under 4 characters excepted).",
        kind="multiline",
    ),
    "health-check-max-latency-ms": _spec("Optional latency budget per check (median of samples), in ms."),
    "vercel-protection-bypass": _spec(
        "Secret for Vercel Deployment Protection, sent as x-vercel-protection-bypass.", secret=True
    ),
    "on-health-failure": _spec(
        "`rollback` (production: restore the previous production deployment, then fail), `fail` or `warn`.",
        "rollback",
    ),
    "perf-budget-ms": _spec(
        "Optional budget for each checked path's p95 time to first byte, in ms (separate from "
        "health-check-max-latency-ms, the median total time); missed -> on-health-failure applies."
    ),
    "sentry-org": _spec(
        "Sentry organization slug: create a release and deploy there. Defaults to SENTRY_ORG."
    ),
    "sentry-project": _spec("Sentry project slug of the release. Defaults to SENTRY_PROJECT."),
    "sentry-token": _spec(
        "Sentry auth token (project:releases, and project:read for error-watch). Defaults to "
        "SENTRY_AUTH_TOKEN. Masked at once.",
        secret=True,
    ),
    "sentry-url": _spec("Sentry address (self-hosted). Defaults to SENTRY_URL.", "https://sentry.io"),
    "sentry-release-prefix": _spec("Put before the commit sha in the release version, e.g. `shop@`."),
    "error-watch": _spec(
        "After the deploy, watch the release in Sentry for this long (`5m`, `90s`); over "
        "error-watch-threshold -> on-health-failure applies. `off` skips.",
        "off",
    ),
    "error-watch-threshold": _spec(
        "`new-issues=N` (more than N issues first seen in the release fail it) and/or "
        "`crash-free=PERCENT` (a crash-free session rate below it fails).",
        "new-issues=0",
    ),
    "notify-webhook": _spec(
        "URL that gets a JSON event when a deploy succeeds, fails or is rolled back. Masked.", secret=True
    ),
    "notify-webhook-secret": _spec(
        "Signs notify-webhook's body: `X-CI-Deploy-Signature: sha256=<hex HMAC-SHA256>`.", secret=True
    ),
    "notify-slack-webhook": _spec("Slack incoming-webhook URL for the same events. Masked.", secret=True),
    "cleanup": _spec(
        "On pull_request closed: delete the PR's previews, its alias and GitHub deployments.",
        "true",
        kind="boolean",
    ),
    "command": _spec("`deploy`, `cleanup`, `promote` or `rollback`.", "deploy"),
    "deployment-id": _spec(
        "Platform deployment ID: target of `rollback` (default: the previous production) and `promote` "
        "(required)."
    ),
    "dry-run": _spec("Validate everything and print the plan; change nothing.", "false", kind="boolean"),
    "api-url": _spec(
        "Advanced: platform API base URL (proxies, the sandbox). Defaults to CLOUDFLARE_API_BASE_URL / "
        "VERCEL_API_URL, else the official API."
    ),
}

OUTPUTS: dict[str, str] = {
    "url": "The live URL to open: production domain/URL, or the preview alias, branch alias or "
    "deployment URL.",
    "deployment-url": "The unique, immutable URL of this deployment.",
    "alias-url": "Branch / preview alias URL, or empty.",
    "deployment-id": "The platform's deployment ID (not GitHub's).",
    "inspect-url": "The platform dashboard / log URL for this deployment.",
    "deployed": "`true`, or `false` (dry run, fork skip, cleanup).",
    "environment": "`preview` or `production`.",
    "health": "`passed`, `failed` or `skipped`.",
    "rolled-back-to": "Deployment ID restored by a rollback, or empty.",
    "comment-id": "ID of the sticky PR comment, or empty.",
    "github-deployment-id": "ID of the GitHub deployment, or empty.",
    "domains": 'JSON list of {"name", "status", "records", "certificate"}: each custom domain\'s state, '
    "the DNS records still needed and the certificate's state as the platform reports it.",
    "sentry-release": "The Sentry release this deploy created or found (its version), or empty.",
}


def read_action_inputs(environ: Mapping[str, str]) -> dict[str, str]:
    """Every declared input from its ``INPUT_*`` variable, keyed by kebab name, stripped.

    The runner sets every declared input (empty or its default); a missing one reads as ""."""
    return {name: environ.get(input_variable(name), "").strip() for name in INPUTS}


def _dest(name: str) -> str:
    return name.replace("-", "_")


def add_cli_arguments(parser: argparse.ArgumentParser, names: Iterable[str] | None = None) -> None:
    """Add ``--<input>`` flags for ``names`` (default: all inputs).

    Booleans are ``--wait/--no-wait``; multiline inputs may repeat (``--domains a --domains b``);
    absent flags stay None so environment fallbacks and defaults still apply."""
    for name in INPUTS if names is None else names:
        spec = INPUTS[name]
        help_text = spec.description.replace("%", "%%")
        if spec.kind == "boolean":
            parser.add_argument(
                f"--{name}", dest=_dest(name), action=argparse.BooleanOptionalAction, default=None,
                help=help_text,
            )  # fmt: skip
        elif spec.kind == "multiline":
            parser.add_argument(
                f"--{name}", dest=_dest(name), action="append", default=None, metavar="VALUE", help=help_text
            )
        else:
            parser.add_argument(f"--{name}", dest=_dest(name), default=None, metavar="VALUE", help=help_text)


def inputs_from_cli(namespace: argparse.Namespace) -> dict[str, str]:
    """The inputs given as flags, keyed by kebab name, as the strings an action would get."""
    found: dict[str, str] = {}
    for name in INPUTS:
        value = getattr(namespace, _dest(name), None)
        if value is None:
            continue
        if isinstance(value, bool):
            found[name] = "true" if value else "false"
        elif isinstance(value, list):
            found[name] = "\n".join(str(item) for item in value)
        else:
            found[name] = str(value)
    return found
