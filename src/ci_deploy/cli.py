"""``ci-deploy``: the command line and the action's entry point, with one error boundary.

``main(argv) -> int`` is testable without a subprocess. Every subcommand builds the same
settings (from ``INPUT_*`` in the action, from flags and the platforms' usual variables on the
command line) and runs inside :func:`_guarded`, the one place that turns errors into a first
line (``::error::`` in Actions), details, a summary block and an exit code: 0 done, 1 the deploy
or its health check failed, 2 bad input found before anything was changed.

Only argparse and the input table are imported at start-up, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from ci_deploy import __version__, collector
from ci_deploy.config.inputs import add_cli_arguments, inputs_from_cli, read_action_inputs
from ci_deploy.logs import install_logging

if TYPE_CHECKING:
    from ci_deploy.config.event import Operation

log = logging.getLogger("ci_deploy")

_DEPLOY_HELP = "Deploy a built site (a folder or archive) to Cloudflare Pages or Vercel."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ci-deploy",
        description="Put a built web app live on Cloudflare Pages or Vercel in one step.",
    )
    parser.add_argument("--version", action="version", version=f"ci-deploy {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
    commands.add_parser("action", help="run as the GitHub Action (reads INPUT_* variables)")
    _add_deploy_commands(commands)
    _add_project_commands(commands)
    _add_tool_commands(commands)
    from ci_deploy.connect.arguments import add_setup_commands

    add_setup_commands(commands)
    return parser


def _add_deploy_commands(commands: Any) -> None:
    """``deploy`` and its dry run ``plan``."""
    deploy = commands.add_parser("deploy", help=_DEPLOY_HELP, description=_DEPLOY_HELP)
    deploy.add_argument(
        "artifact_path", nargs="?", metavar="ARTIFACT", help="folder or archive (default: dist)"
    )
    deploy.add_argument(
        "--sandbox",
        action="store_true",
        help="start a local sandbox in-process and deploy into it (the demo)",
    )
    deploy.add_argument(
        "--serve", action=argparse.BooleanOptionalAction, default=True,
        help="with --sandbox: keep serving the site until Ctrl-C (default) or exit at once",
    )  # fmt: skip
    deploy.add_argument("--state-dir", help="with --sandbox: keep the sandbox's state in this folder")
    add_cli_arguments(deploy)

    plan = commands.add_parser("plan", help="dry run: print what a deploy would do, change nothing")
    plan.add_argument("artifact_path", nargs="?", metavar="ARTIFACT")
    add_cli_arguments(plan)


def _add_project_commands(commands: Any) -> None:
    """What else can be done to a project: cleanup, rollback, promote, domains."""
    cleanup = commands.add_parser("cleanup", help="delete a pull request's preview deployments")
    cleanup.add_argument("--pr", dest="pr_number", metavar="N", help="the pull request number")
    add_cli_arguments(cleanup, [n for n in _names() if n != "pr-number"])

    rollback = commands.add_parser("rollback", help="make an earlier production deployment live again")
    rollback.add_argument(
        "--to", dest="deployment_id", metavar="ID", help="default: the one before the live one"
    )
    add_cli_arguments(rollback, [n for n in _names() if n != "deployment-id"])

    promote = commands.add_parser("promote", help="make a deployment the live production one")
    promote.add_argument("deployment_id", metavar="ID")
    add_cli_arguments(promote, [n for n in _names() if n != "deployment-id"])

    domains = commands.add_parser("domains", help="attach custom domains or show their state")
    domains.add_argument("action", choices=("add", "status"))
    domains.add_argument("domain_names", nargs="*", metavar="DOMAIN")
    add_cli_arguments(domains)


def _add_tool_commands(commands: Any) -> None:
    """Tools around deploys: the monorepo matrix and the local sandbox."""
    matrix = commands.add_parser(
        "matrix", help="print the GitHub Actions matrix of the monorepo sites a change affects"
    )
    matrix.add_argument(
        "--config", default="ci-deploy.sites.yml", help="the sites file (default: %(default)s)"
    )
    changes = matrix.add_mutually_exclusive_group()
    changes.add_argument("--changed-files", metavar="FILE", help="changed paths, one a line ('-': stdin)")
    changes.add_argument("--all", dest="all_sites", action="store_true", help="every site, whatever changed")

    sandbox = commands.add_parser("sandbox", help="run the local Cloudflare Pages + Vercel + GitHub emulator")
    sandbox.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    sandbox.add_argument("--state-dir", help="folder that keeps state across restarts (default: temporary)")
    sandbox.add_argument(
        "--fault", action="append", default=[], metavar="SPEC", help="inject a fault at start"
    )
    sandbox.add_argument(
        "--set", dest="settings", action="append", default=[], metavar="KEY=VALUE", help="a behaviour setting"
    )
    sandbox.add_argument(
        "--pull-request",
        type=int,
        metavar="N",
        help="open pull request #N in its GitHub and print the run's variables",
    )


def _names() -> list[str]:
    from ci_deploy.config.inputs import INPUTS

    return list(INPUTS)


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run one command; returns the exit code. ``environ`` replaces ``os.environ`` (tests)."""
    args = build_parser().parse_args(argv)
    env = dict(os.environ if environ is None else environ)
    from ci_deploy import runner
    from ci_deploy.shutdown import Cancelled, cancellable

    remove_logging = install_logging(args.verbose)
    runner.use(runner.Runner(environ=env))
    try:
        with cancellable():
            return _main(args, env)
    except Cancelled as cancelled:  # the boundary lets it through: a deploy under way has reported it
        runner.error(str(cancelled), title="ci-deploy")
        return cancelled.exit_code
    finally:
        from ci_deploy import head_start

        head_start.stop()
        runner.use(None)
        remove_logging()
        collector.thaw()


def _main(args: argparse.Namespace, env: dict[str, str]) -> int:
    if args.subcommand == "sandbox":
        return _run_sandbox(args)
    if args.subcommand in ("connect", "init"):
        from ci_deploy.connect.arguments import run_setup

        return _guarded(lambda: run_setup(args, env), env)
    if args.subcommand == "matrix":
        from ci_deploy.commands.matrix import run_matrix

        return _guarded(lambda: run_matrix(args.config, args.changed_files, args.all_sites, env), env)
    inputs = read_action_inputs(env) if args.subcommand == "action" else _cli_inputs(args)
    if args.subcommand == "deploy" and args.sandbox:
        return _deploy_into_sandbox(args, inputs, env)
    from ci_deploy import head_start

    head_start.start(inputs, env)  # before the heavy imports below: the first reads overlap them
    with collector.start_up_uncollected():
        from ci_deploy.commands.dispatch import run

    operation: Operation | None = None
    if args.subcommand == "domains":
        operation = "domains-add" if args.action == "add" else "domains-status"
    return _guarded(lambda: run(inputs, env, operation=operation), env)


def _cli_inputs(args: argparse.Namespace) -> dict[str, str]:
    inputs = inputs_from_cli(args)
    if getattr(args, "artifact_path", None):
        inputs["artifact"] = args.artifact_path
    if args.subcommand == "plan":
        inputs["dry-run"] = "true"
    if args.subcommand in ("cleanup", "rollback", "promote"):
        inputs["command"] = args.subcommand
    if args.subcommand == "domains" and args.domain_names:
        inputs["domains"] = "\n".join(args.domain_names)
    return inputs


def _guarded(action: Callable[[], int], environ: Mapping[str, str]) -> int:
    """The one error boundary: a CiDeployError becomes its first line and exit code; anything
    else is a bug, reported as such (exit 1) with the traceback in the log."""
    import httpx

    from ci_deploy import runner
    from ci_deploy.errors import CiDeployError
    from ci_deploy.foreign_text import DETAILS_LIMIT, block, one_line
    from ci_deploy.http import AmbiguousOutcome
    from ci_deploy.redaction import redact
    from ci_deploy.shutdown import Cancelled

    try:
        return action()
    except CiDeployError as error:  # its message and details were bounded when it was made
        runner.error(redact(str(error)), title="ci-deploy")
        if error.details:
            print(runner.inert_lines(redact(error.details)), file=sys.stderr)
        return error.exit_code
    except httpx.HTTPError as error:  # retries exhausted: the network, not the input, failed
        runner.error(one_line(f"network error: {_describe(error)}"), title="ci-deploy")
        return 1
    except AmbiguousOutcome as error:  # a write whose answer was lost, where no lookup could tell
        message = f"network error: {error}; it may or may not have been applied"
        runner.error(one_line(message), title="ci-deploy")
        return 1
    except Cancelled:  # for main(), which sees it come from before this boundary too
        raise
    except KeyboardInterrupt:
        runner.error("interrupted", title="ci-deploy")
        return 130
    except BrokenPipeError:  # a print of a command whose reader exited (``| head``): no bug
        runner.silence(sys.stdout)
        runner.error(
            "its output was closed before the run finished (the reader of a pipe exited)", title="ci-deploy"
        )
        return 1
    except Exception as error:  # a bug: say so plainly, never hide it behind exit 0
        log.debug("internal error", exc_info=True)
        runner.error(one_line(f"internal error: {type(error).__name__}: {error}"), title="ci-deploy")
        import traceback

        trace = block(traceback.format_exc(), 4 * DETAILS_LIMIT, keep_end=True)
        print(runner.inert_lines(trace), file=sys.stderr)
        return 1


def _describe(error: Exception) -> str:
    """``GET https://host/path: ConnectTimeout: …`` without the query string."""
    import httpx

    request = getattr(error, "_request", None)
    where = ""
    if isinstance(request, httpx.Request):
        where = f"{request.method} {request.url.copy_with(query=None)}: "
    return f"{where}{type(error).__name__}: {error}".rstrip(": ")


def _deploy_into_sandbox(args: argparse.Namespace, inputs: dict[str, str], environ: dict[str, str]) -> int:
    from ci_deploy.commands.sandbox_demo import deploy_into_sandbox

    return deploy_into_sandbox(inputs, environ, state_dir=args.state_dir, serve=args.serve, guard=_guarded)


def _run_sandbox(args: argparse.Namespace) -> int:
    try:
        from ci_deploy_sandbox.faults import Fault
        from ci_deploy_sandbox.runtime import Sandbox, parse_setting, run_foreground
    except ModuleNotFoundError as error:
        from ci_deploy.commands.sandbox_demo import sandbox_not_installed

        return sandbox_not_installed("ci-deploy sandbox", error)

    try:
        settings = dict(parse_setting(item) for item in args.settings)
        faults = [Fault.parse(spec) for spec in args.fault]
        sandbox = Sandbox(args.state_dir, args.port, faults, settings)
    except ValueError as exc:
        print(f"error: --fault/--set: {exc}", file=sys.stderr)
        return 2
    if args.pull_request is not None and args.pull_request < 1:
        print("error: --pull-request: a pull request number is a positive integer", file=sys.stderr)
        return 2
    run_foreground(sandbox, pull_request=args.pull_request)
    return 0


def entrypoint() -> NoReturn:
    """The console script and ``python -m ci_deploy``.

    pydantic looks for plugins when the first model is built, by reading the entry points of
    every installed distribution: ~25 ms measured here, on the way to a deploy's first write,
    for hooks a run of this application has no use for. So they are off, unless the environment
    says otherwise (``PYDANTIC_DISABLE_PLUGINS``, pydantic's own switch)."""
    from ci_deploy.shutdown import exit_without_teardown

    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    exit_without_teardown(main())
