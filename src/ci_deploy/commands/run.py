"""One run of any command: inputs -> settings -> target -> the command -> outputs and summary.

Outputs are written and the job summary appended whatever happens (``finally``), so a failed
step still tells later steps and people what it did.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

from ci_deploy import runner
from ci_deploy.commands.session import Session
from ci_deploy.config.context import RunContext, load_event
from ci_deploy.config.event import resolve_target
from ci_deploy.config.inputs import INPUTS
from ci_deploy.config.settings import Settings, settings_from_inputs
from ci_deploy.errors import CiDeployError
from ci_deploy.health.spec import HealthOutcome
from ci_deploy.report.outcome import Outcome
from ci_deploy.report.render import PlanFacts, ReportFacts, State, render_summary

log = logging.getLogger("ci_deploy.commands.run")


def run(inputs: Mapping[str, str], environ: Mapping[str, str], *, operation: str | None = None) -> int:
    """Validate, decide, act; returns 0, or raises the CiDeployError that says what failed.
    ``operation`` names a command-line-only operation (``domains-add``, ``domains-status``)."""
    _mask(*(inputs.get(name, "") for name, spec in INPUTS.items() if spec.secret))
    settings = settings_from_inputs(inputs, environ)
    _mask(settings.token, settings.github_token, settings.vercel_protection_bypass or "")
    ctx = RunContext.from_environ(environ)
    target = resolve_target(settings, ctx, load_event(ctx))
    session = Session(settings, ctx, target, environ)
    outcome = Outcome(environment=target.environment)
    if target.command == "skip":
        runner.notice(f"Nothing to deploy: {target.reason}", title="ci-deploy")
        runner.set_outputs(outcome.outputs())
        return 0
    if target.from_fork and not settings.token:
        runner.notice(
            f"Skipped: {target.reason or 'a pull request from a fork'} gets no secrets, so there is no "
            "platform token. Deploy previews of fork PRs from a workflow_run workflow instead.",
            title="ci-deploy",
        )
        runner.set_outputs(outcome.outputs())
        return 0
    try:
        return _dispatch(session, outcome, operation)
    except CiDeployError as error:
        runner.append_summary(
            render_summary(session.facts(outcome, "failed", error=str(error), hint=error.details))
        )
        raise
    finally:
        runner.set_outputs(outcome.outputs())
        session.close()


def _mask(*secrets: str) -> None:
    """Hide secrets before anything can print them (the runner only knows ``secrets.*`` values;
    a token read from the step's env or built in the workflow would otherwise show)."""
    for secret in secrets:
        if secret:
            runner.mask(secret)


def _dispatch(session: Session, outcome: Outcome, operation: str | None) -> int:
    settings, target = session.settings, session.target
    if settings.dry_run and _command(settings, target.command) == "cleanup":
        print(f"Plan (dry run: nothing is changed)\n  cleanup       the previews of PR #{target.pr_number}")
        return 0
    if settings.dry_run:
        from ci_deploy.commands.dry_run import dry_run

        plan = dry_run(session, outcome)
        runner.append_summary(render_summary(_planned(session, outcome, plan)))
        return 0
    command = operation or _command(settings, target.command)
    if command == "cleanup":
        from ci_deploy.commands.operations import cleanup

        if target.command == "cleanup" and not settings.cleanup and settings.command != "cleanup":
            runner.notice("Pull request closed; cleanup: false, so its previews are kept.", title="ci-deploy")
            return 0
        cleanup(session, outcome)
        runner.append_summary(render_summary(session.facts(outcome, "removed")))
        return 0
    if command.startswith("domains-"):
        from ci_deploy.commands.operations import domains

        domains(session, outcome, command.removeprefix("domains-"))
        _print_domains(outcome)
        return 0
    health = _deploy_like(session, outcome, command)
    state: State = "rolled-back" if command == "rollback" else "ready"
    runner.append_summary(render_summary(session.facts(outcome, state, health=health.facts())))
    if outcome.url:
        print(outcome.url)
    return 0


def _command(settings: Settings, target_command: str) -> str:
    """The event's cleanup (a closed PR) wins over the default command."""
    if target_command == "cleanup" and settings.command == "deploy":
        return "cleanup"
    return settings.command


def _deploy_like(session: Session, outcome: Outcome, command: str) -> HealthOutcome:
    if command == "rollback":
        from ci_deploy.commands.operations import rollback

        return rollback(session, outcome)
    if command == "promote":
        from ci_deploy.commands.operations import promote

        return promote(session, outcome)
    from ci_deploy.commands.deploy import deploy

    return deploy(session, outcome)


def _planned(session: Session, outcome: Outcome, plan: PlanFacts) -> ReportFacts:
    from dataclasses import replace

    return replace(session.facts(outcome, "planned"), plan=plan)


def _print_domains(outcome: Outcome) -> None:
    for domain in outcome.domains:
        line = f"{domain.name}: {domain.status}"
        if domain.records:
            line += " — needs " + "; ".join(f"{r.type} {r.name} -> {r.value}" for r in domain.records)
        print(line, file=sys.stdout)
