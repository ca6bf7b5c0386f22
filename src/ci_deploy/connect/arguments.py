"""The command lines of ``ci-deploy connect`` and ``ci-deploy init`` and how each is run; kept
apart from ``cli.py`` so the deploy commands' parser stays small."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

_CONNECT_HELP = (
    "verify a platform token, find the account and project, and store them as the repository's "
    "GitHub secret and variables"
)
_INIT_HELP = "write .github/workflows/preview.yml and production.yml that deploy with what connect stored"


def add_setup_commands(commands: Any) -> None:
    """``connect`` and ``init``."""
    from ci_deploy.platforms import PLATFORMS

    connect = commands.add_parser("connect", help=_CONNECT_HELP, description=_CONNECT_HELP)
    connect.add_argument("platform", choices=list(PLATFORMS))
    connect.add_argument("--token-stdin", action="store_true", help="read the platform token from stdin")
    connect.add_argument("--account", help="account or team id (or name) when the token reaches several")
    connect.add_argument("--project", help="project name (default: the only one; a new name: made on deploy)")
    connect.add_argument("--repo", help="owner/name (default: the git remote 'origin')")
    connect.add_argument(
        "--environment", metavar="NAME", help="write to this GitHub environment, not the repository"
    )
    connect.add_argument("--dry-run", action="store_true", help="say what would be written, write nothing")
    connect.add_argument(
        "--client-id",
        help="the project's OAuth app client id for the platform's device flow (Vercel; "
        "default: CI_DEPLOY_VERCEL_CLIENT_ID), used when no platform token is given",
    )
    connect.add_argument(
        "--token-expiry",
        metavar="DAYS",
        help="after a device sign-in, the token connect makes for CI expires after DAYS days "
        "(default: never)",
    )
    connect.add_argument(
        "--github-client-id",
        help="the project's GitHub OAuth app client id for the device flow (default: "
        "CI_DEPLOY_GITHUB_CLIENT_ID), used when there is no GH_TOKEN, GITHUB_TOKEN or gh login",
    )

    init = commands.add_parser("init", help=_INIT_HELP, description=_INIT_HELP)
    init.add_argument("platform", choices=list(PLATFORMS))
    init.add_argument("--dir", default=".", help="the repository's root (default: the current folder)")
    init.add_argument(
        "--build", default="npm ci && npm run build", help="build command (default: %(default)s)"
    )
    init.add_argument("--output", default="dist", help="the folder the build writes (default: %(default)s)")
    init.add_argument(
        "--environment",
        default="production",
        help="production job's environment (%(default)s)",
    )
    init.add_argument(
        "--production-on", choices=("release", "main"), default="release",
        help="deploy production on a published release (default) or on every push to main",
    )  # fmt: skip
    init.add_argument("--force", action="store_true", help="overwrite existing workflow files")


def run_setup(args: argparse.Namespace, environ: dict[str, str]) -> int:
    """Run ``connect`` or ``init`` as parsed."""
    if args.subcommand == "init":
        from ci_deploy.commands.init import InitOptions, run_init

        return run_init(
            InitOptions(
                args.platform, Path(args.dir), args.build, args.output, args.environment,
                args.production_on, args.force,
            )
        )  # fmt: skip
    from ci_deploy.connect.command import ConnectOptions, run_connect
    from ci_deploy.connect.prompt import Asker

    options = ConnectOptions(
        args.platform, args.account, args.project, args.repo, args.environment, args.token_stdin,
        args.dry_run, args.client_id, args.github_client_id, args.token_expiry,
    )  # fmt: skip
    return run_connect(options, environ, Asker.from_terminal())
