"""A cancelled run (the runner's SIGINT, ``docker stop``'s SIGTERM, Ctrl-C) says so everywhere a
finished one would: the error line and exit code, the outputs and job summary, the PR comment
and the GitHub deployment. The signal is sent to this very process once the deployment exists,
while the run waits for its build."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from action_harness import REPOSITORY, github_env, make_site, platform_inputs, pull_request_event, run_action

from ci_deploy.shutdown import Cancelled, cancellable
from ci_deploy_sandbox.runtime import Sandbox

SHA = "c" * 40


def signal_once_created(sandbox: Sandbox, number: int) -> threading.Event:
    """Send ``number`` to this process as soon as the sandbox has created a deployment; set the
    returned event to give up."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.02):
            if any(e.endpoint.endswith("deployments.create") and e.status == 200 for e in sandbox.log()):
                time.sleep(0.2)  # into the wait for the build
                os.kill(os.getpid(), number)
                return

    threading.Thread(target=watch, daemon=True).start()
    return stop


@pytest.mark.parametrize(("number", "name"), [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")])
def test_a_run_cancelled_while_its_build_runs_reports_it_and_exits_128_plus_the_signal(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], number: int, name: str
) -> None:
    github = sandbox.world.apis["github"]
    github.seed_pull_request(REPOSITORY, 40, head_sha=SHA, head_ref="slow")
    sandbox.set("vercel.build_delay_ms", 30_000)
    inputs = platform_inputs(sandbox, "vercel", "shop", make_site(tmp_path / "dist"))
    event = pull_request_event(40, sha=SHA, head_ref="slow")
    before = signal.getsignal(number)
    stop = signal_once_created(sandbox, number)
    try:
        result = run_action(
            capsys, tmp_path, event_name="pull_request", event=event, inputs=inputs, env=github_env(sandbox)
        )
    finally:
        stop.set()
    assert result.code == 128 + number, result.stdout + result.stderr
    assert f"::error title=ci-deploy::cancelled by {name} before the run finished" in result.stdout
    assert result.outputs["deployment-id"].startswith("dpl_") and result.outputs["deployed"] == "false"
    assert "deploy cancelled" in result.summary and f"cancelled by {name}" in result.summary
    (comment,) = github.comments(REPOSITORY, 40)
    assert "deploy cancelled" in comment["body"] and result.outputs["deployment-id"] in comment["body"]
    (deployment,) = github.deployments(REPOSITORY)
    assert deployment["statuses"][0]["state"] == "failure"
    assert signal.getsignal(number) == before


def test_the_first_signal_cancels_and_a_second_one_meets_the_handler_from_before() -> None:
    seen: list[int] = []

    def handler(number: int, frame: object) -> None:
        seen.append(number)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        with cancellable():
            with pytest.raises(Cancelled) as caught:
                signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGTERM)  # while the run reports the first
        assert (
            caught.value.exit_code == 143
            and str(caught.value) == "cancelled by SIGTERM before the run finished"
        )
        assert seen == [signal.SIGTERM] and signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_signal_before_the_run_starts_deploying_is_the_same_one_line_and_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ci_deploy import head_start
    from ci_deploy.cli import main

    monkeypatch.setattr(head_start, "start", lambda inputs, env: signal.raise_signal(signal.SIGTERM))
    site = make_site(tmp_path / "dist")
    argv = ["deploy", str(site), "--platform", "vercel", "--project", "shop", "--token", "tok-123456"]
    assert main(argv, environ={"PATH": "/usr/bin:/bin"}) == 143
    assert capsys.readouterr().err.strip() == "error: ci-deploy: cancelled by SIGTERM before the run finished"


def test_a_signal_while_the_inputs_are_checked_still_writes_every_output_and_the_summary(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ci_deploy.commands import dispatch

    def signalled(inputs: object, environ: object) -> None:
        signal.raise_signal(signal.SIGTERM)

    monkeypatch.setattr(dispatch, "settings_from_inputs", signalled)
    inputs = platform_inputs(sandbox, "vercel", "shop", make_site(tmp_path / "dist"))
    event = pull_request_event(41, sha=SHA, head_ref="early")
    result = run_action(capsys, tmp_path, event_name="pull_request", event=event, inputs=inputs)
    assert result.code == 143
    assert result.outputs["deployed"] == "false" and "deployment-id" in result.outputs
    assert "deploy cancelled" in result.summary and "cancelled by SIGTERM" in result.summary


def test_a_signal_ignored_on_entry_stays_ignored() -> None:
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)  # as nohup or a background job has it
    try:
        with cancellable():
            signal.raise_signal(signal.SIGTERM)  # nothing happens
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous)
