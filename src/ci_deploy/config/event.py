"""GitHub event -> deployment target: the contract's event table, in one place.

``resolve_target`` reads the event payload and the run context and decides what this run does
(deploy a preview or production, clean up a closed PR, skip, promote, roll back), which branch
and commit are recorded, and whether the code comes from a fork (no secrets). Explicit
``environment`` / ``branch`` / ``pr-number`` / ``command`` inputs override what the event says.
A preview is never recorded under the production branch's name: on Cloudflare that name *is*
production.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from ci_deploy.config.context import RunContext
from ci_deploy.config.settings import Settings
from ci_deploy.errors import InputError

#: what the run does; decided here once (the CLI-only ``domains add|status`` arrive as an operation)
Command = Literal["deploy", "cleanup", "skip", "promote", "rollback", "domains-add", "domains-status"]
Operation = Literal["domains-add", "domains-status"]
Environment = Literal["preview", "production"]

PR_EVENTS = ("pull_request", "pull_request_target")
RELEASE_ACTIONS = ("published", "released")
DEPENDABOT = "dependabot[bot]"


@dataclass(frozen=True)
class Target:
    """What this run should do, decided from the event and the inputs."""

    command: Command
    environment: Environment
    #: branch recorded on the deployment (never the production branch for a preview)
    branch: str
    sha: str
    pr_number: int | None = None
    #: head repository differs from this repository (fork or Dependabot: no secrets)
    from_fork: bool = False
    event_name: str = ""
    #: one line saying why, for logs and the plan ("push to main -> production")
    reason: str = ""
    #: the production branch this decision used (input, event's default branch, else main)
    production_branch: str = "main"
    #: the tag that triggered a production deploy (push of a tag, release), else None
    tag: str | None = None
    #: what the platform shows next to the deployment (head commit message, PR title)
    commit_message: str = ""


def _get(payload: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(key)
    return payload


def _text(payload: Any, *path: str) -> str:
    value = _get(payload, *path)
    return value if isinstance(value, str) else ""


def production_branch(settings: Settings, event: dict[str, Any]) -> str:
    """The input, else the repository's default branch from the event, else ``main``."""
    return settings.production_branch or _text(event, "repository", "default_branch") or "main"


def _repository(ctx: RunContext, event: dict[str, Any]) -> str:
    return _text(event, "repository", "full_name") or ctx.repository


def _pull_request(settings: Settings, ctx: RunContext, event: dict[str, Any], prod: str) -> Target:
    pr = _get(event, "pull_request") or {}
    found = settings.pr_number or _get(event, "number") or _get(pr, "number")
    number = found if isinstance(found, int) else None
    head_ref = _text(pr, "head", "ref")
    head_repo = _text(pr, "head", "repo", "full_name")
    actor = _text(event, "sender", "login") or ctx.actor
    from_fork = head_repo != _repository(ctx, event) or DEPENDABOT in (actor, _text(pr, "user", "login"))
    action = _text(event, "action")
    needs_pr_name = from_fork or head_ref == prod or not head_ref
    branch = f"pr-{number}" if number is not None and needs_pr_name else head_ref
    where = f"{ctx.event_name} #{number} ({action or 'unknown action'})"
    common: dict[str, Any] = {
        "environment": "preview",
        "branch": branch,
        "sha": _text(pr, "head", "sha") or ctx.sha,
        "pr_number": number,
        "from_fork": from_fork,
        "event_name": ctx.event_name,
        "commit_message": _text(pr, "title"),
    }
    if action == "closed":
        if not settings.cleanup:
            return Target(command="skip", reason=f"{where} -> skipped: cleanup is false", **common)
        return Target(command="cleanup", reason=f"{where} -> cleanup of its previews", **common)
    origin = " from a fork" if from_fork else ""
    return Target(command="deploy", reason=f"{where}{origin} -> preview", **common)


def _push(ctx: RunContext, event: dict[str, Any], prod: str) -> Target:
    ref = _text(event, "ref") or ctx.ref
    sha = _text(event, "after") or ctx.sha
    if _get(event, "deleted") is True:
        return Target(
            command="skip", environment="preview", branch=ref.removeprefix("refs/heads/"), sha=sha,
            event_name="push", reason=f"push deleting {ref} -> skipped: nothing to deploy",
        )  # fmt: skip
    if ref.startswith("refs/tags/"):
        tag = ref.removeprefix("refs/tags/")
        return Target(
            command="deploy", environment="production", branch=prod, sha=sha, event_name="push",
            reason=f"push of tag {tag} -> production", tag=tag,
            commit_message=_text(event, "head_commit", "message"),
        )  # fmt: skip
    branch = ref.removeprefix("refs/heads/")
    environment: Environment = "production" if branch == prod else "preview"
    return Target(
        command="deploy", environment=environment, branch=branch, sha=sha, event_name="push",
        reason=f"push to {branch} -> {environment}", commit_message=_text(event, "head_commit", "message"),
    )  # fmt: skip


def _release(ctx: RunContext, event: dict[str, Any], prod: str) -> Target:
    """A release deploys the tag's commit, which the runner gives as GITHUB_SHA."""
    action = _text(event, "action")
    tag = _text(event, "release", "tag_name") or ctx.ref_name
    deploy = action in RELEASE_ACTIONS
    why = "production" if deploy else "skipped: only published/released deploy"
    return Target(
        command="deploy" if deploy else "skip", environment="production", branch=prod, sha=ctx.sha,
        event_name="release", reason=f"release {tag} {action} -> {why}", tag=tag if deploy else None,
        commit_message=_text(event, "release", "name") or tag,
    )  # fmt: skip


def _workflow_run(settings: Settings, ctx: RunContext, event: dict[str, Any], prod: str) -> Target:
    """Production only for a push from this repository to the production branch."""
    run = _get(event, "workflow_run") or {}
    branch = _text(run, "head_branch")
    head_repo = _text(run, "head_repository", "full_name")
    from_fork = bool(head_repo) and head_repo != _repository(ctx, event)
    prs = _get(run, "pull_requests")
    listed = _get(prs[0], "number") if isinstance(prs, list) and prs else None
    number = settings.pr_number or (listed if isinstance(listed, int) else None)
    trigger = _text(run, "event")
    production = trigger == "push" and not from_fork and branch == prod and number is None
    if not production and number is not None and (from_fork or branch == prod or not branch):
        branch = f"pr-{number}"
    environment: Environment = "production" if production else "preview"
    return Target(
        command="deploy", environment=environment, branch=branch, sha=_text(run, "head_sha") or ctx.sha,
        pr_number=number, from_fork=from_fork, event_name="workflow_run",
        reason=f"workflow_run after {trigger or 'a run'} on {branch or '?'} -> {environment}",
        commit_message=_text(run, "head_commit", "message"),
    )  # fmt: skip


def _other(settings: Settings, ctx: RunContext, prod: str) -> Target:
    """workflow_dispatch, schedule, a local run, ...: production on the production branch.

    The ``branch`` input names the branch being deployed (``ci-deploy deploy --branch X`` is a
    preview unless X is the production branch). With no branch known at all (a local run outside
    Actions) it is the production branch: the same as `wrangler pages deploy` outside a git
    checkout. The reason says how to change it."""
    from_ref = "" if ctx.ref.startswith("refs/tags/") else ctx.ref_name or ctx.ref.removeprefix("refs/heads/")
    branch = settings.branch or from_ref
    name = ctx.event_name or "local run"
    if not branch:
        why = f"{name} with no branch known -> production ({prod}); pass branch or environment to change it"
        branch = prod
    else:
        why = f"{name} on {branch} -> " + ("production" if branch == prod else "preview")
    environment: Environment = "production" if branch == prod else "preview"
    return Target(
        command="deploy", environment=environment, branch=branch, sha=ctx.sha, pr_number=settings.pr_number,
        event_name=ctx.event_name, reason=why,
    )  # fmt: skip


def _event_target(settings: Settings, ctx: RunContext, event: dict[str, Any], prod: str) -> Target:
    if ctx.event_name in PR_EVENTS:
        return _pull_request(settings, ctx, event, prod)
    if ctx.event_name == "push":
        return _push(ctx, event, prod)
    if ctx.event_name == "release":
        return _release(ctx, event, prod)
    if ctx.event_name == "workflow_run":
        return _workflow_run(settings, ctx, event, prod)
    return _other(settings, ctx, prod)


def _apply_overrides(target: Target, settings: Settings) -> Target:
    changes: dict[str, Any] = {}
    notes: list[str] = []
    if settings.pr_number is not None and target.pr_number != settings.pr_number:
        changes["pr_number"] = settings.pr_number
    if settings.environment != "auto" and settings.environment != target.environment:
        changes["environment"] = settings.environment
        notes.append(f"environment: {settings.environment}")
    if settings.branch:
        changes["branch"] = settings.branch
        notes.append(f"branch: {settings.branch}")
    if settings.command in ("cleanup", "promote", "rollback"):
        changes["command"] = settings.command
        changes["environment"] = "preview" if settings.command == "cleanup" else "production"
        notes.append(f"command: {settings.command}")
    if changes.get("environment") == "production" and "branch" not in changes:
        changes["branch"] = target.production_branch
    if not notes:
        return replace(target, **changes)
    return replace(target, **changes, reason=f"{target.reason}; overridden by input ({', '.join(notes)})")


def _never_production_named(target: Target, settings: Settings) -> Target:
    """A preview named like the production branch would *be* production on Cloudflare."""
    if target.environment != "preview" or target.branch != target.production_branch:
        return target
    if settings.branch:
        raise InputError(
            f"a preview cannot use the production branch's name {settings.branch!r}; "
            "choose another branch or set environment: production",
            input_name="branch",
        )
    if target.pr_number is not None:
        return replace(target, branch=f"pr-{target.pr_number}")
    return replace(target, branch=f"{target.branch}-preview")


def resolve_target(
    settings: Settings, ctx: RunContext, event: dict[str, Any], operation: Operation | None = None
) -> Target:
    """Decide the deployment target for this run from the event table and explicit inputs.

    ``operation`` is a command-line-only operation on the project's production (``domains``);
    it wins over the event."""
    prod = production_branch(settings, event)
    target = replace(_event_target(settings, ctx, event, prod), production_branch=prod)
    if operation is not None:
        return replace(target, command=operation, environment="production", branch=prod, reason=operation)
    if target.command != "skip":
        target = _apply_overrides(target, settings)
    return _never_production_named(target, settings)
