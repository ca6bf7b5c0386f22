"""One run of any command: inputs -> settings -> target -> plan -> the command -> report.

The command is decided once, by the event resolution (:func:`ci_deploy.config.event.resolve_target`),
and run from the one table :data:`COMMANDS`. Outputs are written and the job summary appended
whatever happens, input errors included, so a failed step still tells later steps and people what
it did.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace

from ci_deploy import runner
from ci_deploy.artifact import Artifact
from ci_deploy.commands.cleanup import cleanup
from ci_deploy.commands.deploy import deploy
from ci_deploy.commands.domains import domains
from ci_deploy.commands.dry_run import dry_run
from ci_deploy.commands.make_live import make_live
from ci_deploy.commands.session import Session
from ci_deploy.config.context import RunContext, load_event
from ci_deploy.config.event import Operation, Target, resolve_target
from ci_deploy.config.settings import settings_from_inputs
from ci_deploy.errors import CiDeployError
from ci_deploy.plan import Plan, build_plan
from ci_deploy.plan.model import CleanupPlan, DeployPlan, DomainsPlan, MakeLivePlan
from ci_deploy.report.outcome import Outcome
from ci_deploy.report.render import HealthFacts, ReportFacts, State, render_summary
from ci_deploy.shutdown import Cancelled

log = logging.getLogger("ci_deploy.commands.dispatch")


@dataclass(frozen=True)
class Finished:
    """How a command ended, for the job summary: its state, health rows, notes; and whether
    the URL it made live is printed as the last stdout line."""

    state: State | None
    health: HealthFacts | None = None
    notes: tuple[str, ...] = ()
    print_url: bool = False


def _deploy(session: Session, plan: Plan, outcome: Outcome) -> Finished:
    assert isinstance(plan, DeployPlan)
    return Finished("ready", deploy(session, plan, outcome).facts(), print_url=True)


def _cleanup(session: Session, plan: Plan, outcome: Outcome) -> Finished:
    assert isinstance(plan, CleanupPlan)
    return Finished("removed", notes=(cleanup(session, plan, outcome),))


def _make_live(session: Session, plan: Plan, outcome: Outcome) -> Finished:
    assert isinstance(plan, MakeLivePlan)
    state: State = "rolled-back" if plan.command == "rollback" else "ready"
    return Finished(state, make_live(session, plan, outcome).facts(), print_url=True)


def _domains(session: Session, plan: Plan, outcome: Outcome) -> Finished:
    assert isinstance(plan, DomainsPlan)
    domains(session, plan, outcome)
    return Finished(None)


#: every command, by the name the event resolution decided
COMMANDS: dict[str, Callable[[Session, Plan, Outcome], Finished]] = {
    "deploy": _deploy,
    "cleanup": _cleanup,
    "rollback": _make_live,
    "promote": _make_live,
    "domains-add": _domains,
    "domains-status": _domains,
}


def run(inputs: Mapping[str, str], environ: Mapping[str, str], *, operation: Operation | None = None) -> int:
    """Validate, plan, act; returns 0, or raises the CiDeployError that says what failed."""
    outcome = Outcome()
    try:
        settings = settings_from_inputs(inputs, environ)
        ctx = RunContext.from_environ(environ)
        target = resolve_target(settings, ctx, load_event(ctx), operation)
    except (CiDeployError, Cancelled) as error:
        runner.append_summary(render_summary(_early_failure(inputs, error)))
        _outputs_after_failure(outcome)
        raise
    session = Session(settings, ctx, target, environ)
    outcome = Outcome(environment=target.environment)
    try:
        code = _run(session, outcome)
    except BaseException as error:
        _summarize_failure(session, outcome, error)
        _outputs_after_failure(outcome)
        raise
    else:
        runner.set_outputs(outcome.outputs())  # OutputsNotWritten fails a run that succeeded
    finally:
        session.close()
    return code


def _summarize_failure(session: Session, outcome: Outcome, error: BaseException) -> None:
    """The job summary of a run that failed or was cancelled (a bug gets its traceback instead)."""
    if isinstance(error, CiDeployError):
        facts = session.facts(outcome, "failed", error=str(error), hint=error.details)
        runner.append_summary(render_summary(facts))
    elif isinstance(error, Cancelled):
        runner.append_summary(render_summary(session.facts(outcome, "cancelled", error=str(error))))


def _outputs_after_failure(outcome: Outcome) -> None:
    """Every output, even on a failure; one that cannot be written is only a warning there, as
    the run's own error is the one to report."""
    try:
        runner.set_outputs(outcome.outputs())
    except runner.OutputsNotWritten as error:
        log.warning("%s", error)


def _run(session: Session, outcome: Outcome) -> int:
    target = session.target
    if _skipped(session, target):
        return 0
    with _artifact_for(session) as artifact:
        plan = build_plan(session.settings, target, session.ctx, artifact, run_key=session.run_key)
        if session.settings.dry_run:
            plan_facts = dry_run(session, plan)
            runner.append_summary(render_summary(replace(session.facts(outcome, "planned"), plan=plan_facts)))
            return 0
        finished = COMMANDS[target.command](session, plan, outcome)
    if finished.state is not None:
        facts = session.facts(outcome, finished.state, health=finished.health, notes=finished.notes)
        runner.append_summary(render_summary(facts))
    if finished.print_url and outcome.url and not runner.print_result(runner.inert_lines(outcome.url)):
        log.warning("standard output could not be written, so the URL was not printed there: %s", outcome.url)
    return 0


def _skipped(session: Session, target: Target) -> bool:
    """Nothing to do (the event says so), or a fork's PR with no token: a notice, exit 0."""
    if target.command == "skip":
        runner.notice(f"Nothing to deploy: {target.reason}", title="ci-deploy")
        return True
    if target.from_fork and not session.settings.token:
        runner.notice(
            f"Skipped: {target.reason or 'a pull request from a fork'} gets no secrets, so there is no "
            "platform token. Deploy previews of fork PRs from a workflow_run workflow instead.",
            title="ci-deploy",
        )
        return True
    return False


@contextlib.contextmanager
def _artifact_for(session: Session) -> Iterator[Artifact | None]:
    """The artifact, opened for a deploy only (the other commands deploy nothing)."""
    if session.target.command != "deploy":
        yield None
        return
    with session.artifact() as artifact:
        yield artifact


def _early_failure(inputs: Mapping[str, str], error: CiDeployError | Cancelled) -> ReportFacts:
    """The summary of a run that failed (or was cancelled) before its settings were valid: what
    is known."""
    return ReportFacts(
        platform=(inputs.get("platform") or "").strip()[:40] or "-",
        project=(inputs.get("project") or "").strip()[:80] or "-",
        environment="preview",
        state="cancelled" if isinstance(error, Cancelled) else "failed",
        error=str(error),
        hint=error.details if isinstance(error, CiDeployError) else "",
    )
