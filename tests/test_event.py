"""The contract's event table: each event kind (a real-looking payload in tests/events/) -> Target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ci_deploy.config.context import RunContext
from ci_deploy.config.event import Target, production_branch, resolve_target
from ci_deploy.config.settings import Settings, settings_from_inputs
from ci_deploy.errors import InputError

EVENTS = Path(__file__).parent / "events"
HEAD = "3f786850e387550fdab836ed7e6dc881de23001b"
TAG_SHA = "c0ffee0000000000000000000000000000000001"


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def settings(**inputs: str) -> Settings:
    given = {"platform": "cloudflare-pages", "project": "web"}
    given.update({name.replace("_", "-"): value for name, value in inputs.items()})
    return settings_from_inputs(given, {})


def context(
    event_name: str, ref: str = "refs/heads/main", sha: str = HEAD, actor: str = "octocat"
) -> RunContext:
    ref_name = ref.split("/", 2)[-1] if ref.startswith(("refs/heads/", "refs/tags/")) else ref
    return RunContext(
        event_name=event_name, repository="acme/web", sha=sha, ref=ref, ref_name=ref_name, actor=actor
    )


def resolve(
    file: str, event_name: str, *, ref: str = "refs/heads/main", sha: str = HEAD, **inputs: str
) -> Target:
    return resolve_target(settings(**inputs), context(event_name, ref, sha), payload(file))


@pytest.mark.parametrize(
    ("file", "event_name", "expected"),
    [
        ("pull_request_opened", "pull_request", ("deploy", "preview", "feature/login-page", 42, False)),
        ("pull_request_synchronize", "pull_request", ("deploy", "preview", "feature/login-page", 42, False)),
        ("pull_request_labeled", "pull_request", ("deploy", "preview", "feature/login-page", 42, False)),
        ("pull_request_closed", "pull_request", ("cleanup", "preview", "feature/login-page", 42, False)),
        ("pull_request_fork_main", "pull_request", ("deploy", "preview", "pr-42", 42, True)),
        ("pull_request_target_dependabot", "pull_request_target", ("deploy", "preview", "pr-77", 77, True)),
        ("pull_request_target_closed", "pull_request_target", ("cleanup", "preview", "pr-42", 42, True)),
    ],
)
def test_pull_request_events(file: str, event_name: str, expected: tuple[str, str, str, int, bool]) -> None:
    target = resolve(file, event_name, ref="refs/pull/42/merge", sha="merge0000")
    assert (target.command, target.environment, target.branch, target.pr_number, target.from_fork) == expected
    assert target.sha == HEAD, "a PR deploys its head commit, not the merge commit"
    assert target.event_name == event_name and target.reason


def test_a_closed_pr_with_cleanup_off_is_skipped() -> None:
    target = resolve("pull_request_closed", "pull_request", cleanup="false")
    assert target.command == "skip" and "cleanup is false" in target.reason


def test_push_to_the_production_branch_is_production() -> None:
    target = resolve("push_main", "push")
    assert (target.command, target.environment, target.branch, target.sha) == (
        "deploy",
        "production",
        "main",
        HEAD,
    )
    assert target.commit_message.startswith("Merge pull request #42")


def test_push_to_another_branch_is_a_preview_with_its_branch_alias() -> None:
    target = resolve("push_branch", "push", ref="refs/heads/feature/login-page")
    assert (target.environment, target.branch, target.pr_number) == ("preview", "feature/login-page", None)


def test_push_of_a_tag_is_production_with_the_tags_commit() -> None:
    target = resolve("push_tag", "push", ref="refs/tags/v1.4.0")
    assert (target.environment, target.branch, target.tag, target.sha) == (
        "production",
        "main",
        "v1.4.0",
        HEAD,
    )


def test_a_branch_deletion_push_is_skipped_with_a_reason() -> None:
    target = resolve("push_delete", "push", ref="refs/heads/feature/login-page")
    assert target.command == "skip" and "deleting refs/heads/feature/login-page" in target.reason


def test_a_published_release_is_production_with_the_tags_sha() -> None:
    target = resolve("release_published", "release", ref="refs/tags/v1.4.0", sha=TAG_SHA)
    assert (target.command, target.environment, target.sha, target.tag) == (
        "deploy",
        "production",
        TAG_SHA,
        "v1.4.0",
    )


def test_other_release_actions_are_skipped() -> None:
    assert resolve("release_created", "release", ref="refs/tags/v1.4.0").command == "skip"


def test_workflow_dispatch_on_the_production_branch_is_production() -> None:
    target = resolve("workflow_dispatch", "workflow_dispatch")
    assert (target.environment, target.branch) == ("production", "main")


def test_workflow_dispatch_on_another_branch_is_a_preview() -> None:
    target = resolve("workflow_dispatch", "workflow_dispatch", ref="refs/heads/docs")
    assert (target.environment, target.branch) == ("preview", "docs")


def test_workflow_run_after_a_push_to_main_is_production() -> None:
    target = resolve("workflow_run_push_main", "workflow_run")
    assert (target.environment, target.branch, target.sha, target.from_fork) == (
        "production",
        "main",
        HEAD,
        False,
    )


def test_workflow_run_after_a_pull_request_takes_the_pr_from_the_run() -> None:
    target = resolve("workflow_run_pull_request", "workflow_run")
    assert (target.environment, target.branch, target.pr_number) == ("preview", "feature/login-page", 42)


def test_workflow_run_from_a_fork_uses_pr_number_and_never_the_production_name() -> None:
    target = resolve("workflow_run_fork", "workflow_run", pr_number="42")
    assert (target.environment, target.branch, target.pr_number, target.from_fork) == (
        "preview",
        "pr-42",
        42,
        True,
    )


def test_workflow_run_from_a_fork_without_pr_number_is_still_not_production() -> None:
    target = resolve("workflow_run_fork", "workflow_run")
    assert target.environment == "preview" and target.branch == "main-preview"


def test_any_other_event_follows_the_branch() -> None:
    assert resolve("schedule", "schedule").environment == "production"
    assert resolve("schedule", "schedule", ref="refs/heads/next").environment == "preview"


def test_a_local_run_without_any_branch_is_production_and_says_so() -> None:
    target = resolve_target(settings(), RunContext(), {})
    assert (target.environment, target.branch) == ("production", "main")
    assert "no branch known" in target.reason


def test_production_branch_comes_from_input_then_event_then_main() -> None:
    event = payload("push_main")
    event["repository"]["default_branch"] = "trunk"
    assert production_branch(settings(), event) == "trunk"
    assert production_branch(settings(production_branch="release"), event) == "release"
    assert production_branch(settings(), {}) == "main"


def test_push_to_the_repositorys_default_branch_is_production() -> None:
    event = payload("push_main")
    event["repository"]["default_branch"] = "trunk"
    event["ref"] = "refs/heads/trunk"
    target = resolve_target(settings(), context("push", "refs/heads/trunk"), event)
    assert (target.environment, target.branch, target.production_branch) == ("production", "trunk", "trunk")


def test_explicit_inputs_override_the_event() -> None:
    target = resolve("push_branch", "push", ref="refs/heads/feature/login-page", environment="production")
    assert (target.environment, target.branch) == ("production", "main")
    assert "overridden by input" in target.reason
    target = resolve("pull_request_opened", "pull_request", branch="custom-label", pr_number="7")
    assert (target.branch, target.pr_number) == ("custom-label", 7)


@pytest.mark.parametrize("command", ["cleanup", "promote", "rollback"])
def test_command_input_overrides_the_event(command: str) -> None:
    extra = {"deployment_id": "abc123"} if command == "promote" else {}
    target = resolve("push_main", "push", command=command, **extra)
    assert target.command == command
    assert target.environment == ("preview" if command == "cleanup" else "production")


def test_a_forced_preview_on_the_production_branch_is_renamed() -> None:
    target = resolve("push_main", "push", environment="preview")
    assert (target.environment, target.branch) == ("preview", "main-preview")


def test_a_preview_named_like_the_production_branch_by_input_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        resolve("pull_request_opened", "pull_request", branch="main")
    assert str(caught.value).startswith("input 'branch': a preview cannot use the production branch's name")


def test_a_same_repo_pr_from_the_production_branch_is_named_pr_n() -> None:
    event = payload("pull_request_opened")
    event["pull_request"]["head"]["ref"] = "main"
    target = resolve_target(settings(), context("pull_request"), event)
    assert (target.branch, target.from_fork) == ("pr-42", False)


def test_dependabot_by_actor_alone_is_treated_as_a_fork() -> None:
    event = payload("pull_request_opened")
    event["sender"] = {"login": "dependabot[bot]"}
    assert resolve_target(settings(), context("pull_request"), event).from_fork is True
